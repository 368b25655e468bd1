/**
 * Node 20 lacks Promise.withResolvers (Node 22), which it-queue, a dependency of
 * @helia/verified-fetch, calls. The standard behaviour, for the tests only.
 */
const P = Promise as unknown as { withResolvers?: unknown };
P.withResolvers ??= function withResolvers<T>() {
  let resolve!: (v: T | PromiseLike<T>) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};
export {};
