/** Moving bytes between web streams and async iterables (responses are written by http/respond.ts pipeBody). */

/** The chunks of a web stream as an async iterable (the SDK's). */
export { chunksOf } from '@ddc/client';

/** `chunks`, then `onEnd()` once they all passed (before the consumer sees the end). */
export async function* thenRun(chunks: AsyncIterable<Uint8Array>, onEnd: () => void): AsyncGenerator<Uint8Array> {
  yield* chunks;
  onEnd();
}

/** Collects a small body (the caller bounds its size). */
export async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
  return Buffer.concat(parts);
}
