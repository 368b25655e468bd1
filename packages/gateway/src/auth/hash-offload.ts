/**
 * The hashes of a large upload's body on a worker thread: the MD5 for the ETag S3 clients expect,
 * the gateway's single largest cost per byte (~0.9 GB/s, serial), the SHA-256 of a signed payload
 * (what lib-storage sends for every part), and the checksum the client sent (CRC-64/NVME runs at
 * ~0.4 GB/s in JS). The request's own thread also verifies, imports and codes the body. Bytes go
 * to the worker through a shared ring buffer (one copy, no messages per chunk): the request thread
 * waits only when the worker is a whole ring behind. Workers are reused; past MAX_WORKERS busy
 * ones a stream hashes inline.
 */
import { Worker } from 'node:worker_threads';
import { bodyDigester } from './checksums.js';
import { CONTROL_WORDS, DONE, HASHED, WRITTEN, type BodyAlgorithm, type StreamStart } from './hash-ring.js';

const RING_BYTES = 8 * 1024 * 1024;
const MAX_WORKERS = 2;
const WORKER_URL = new URL('./hash-worker.js', import.meta.url);

/** Atomics.waitAsync (V8 since Node 16), missing from TypeScript's ES2022 lib. */
interface AtomicsWaitAsync {
  waitAsync(array: BigInt64Array, index: number, value: bigint): { async: boolean; value: Promise<string> | string };
}

interface PooledWorker {
  worker: Worker;
  ring: SharedArrayBuffer;
  control: SharedArrayBuffer;
}

const idle: PooledWorker[] = [];
let busy = 0;

/** Workers hashing a stream now (tests: a stream that ended or was given up gives its worker back). */
export function busyHashWorkers(): number {
  return busy;
}

function takeWorker(): PooledWorker | undefined {
  const w = idle.pop();
  if (w) {
    busy++;
    return w;
  }
  if (busy >= MAX_WORKERS) return undefined;
  busy++;
  const worker = new Worker(WORKER_URL);
  worker.unref();
  return { worker, ring: new SharedArrayBuffer(RING_BYTES), control: new SharedArrayBuffer(CONTROL_WORDS * 8) };
}

function giveWorker(w: PooledWorker): void {
  busy--;
  idle.push(w);
}

/** Incremental hashes of one body whose update may ask the caller to wait (await the promise it returns). */
export interface BodyHashes {
  update(data: Uint8Array): Promise<void> | undefined;
  /** The digests of everything updated, in the order of the algorithms (the same promise when called again). */
  digest(): Promise<Buffer[]>;
}

/** The hashes on the calling thread (small bodies: not worth a hand-over). */
export function inlineHashes(algorithms: readonly BodyAlgorithm[]): BodyHashes {
  const hashes = algorithms.map(bodyDigester);
  let digest: Promise<Buffer[]> | undefined;
  return {
    update(data) {
      for (const h of hashes) h.update(data);
      return undefined;
    },
    digest: () => (digest ??= Promise.resolve(hashes.map((h) => h.digest()))),
  };
}

/** The hashes on a worker thread when one is free; inline otherwise. */
export function offloadedHashes(algorithms: readonly BodyAlgorithm[]): BodyHashes {
  const w = takeWorker();
  if (!w) return inlineHashes(algorithms);
  const ring = new Uint8Array(w.ring);
  const c = new BigInt64Array(w.control);
  c.fill(0n);
  let failure: Error | undefined;
  const result = new Promise<Buffer[]>((resolve, reject) => {
    const onMessage = (digests: Uint8Array[]) => {
      w.worker.off('error', onGone).off('exit', onGone);
      giveWorker(w);
      resolve(digests.map((d) => Buffer.from(d)));
    };
    // A dead worker is not reused; a writer waiting for room is woken to fail.
    const onGone = (e: unknown) => {
      w.worker.off('message', onMessage).off('error', onGone).off('exit', onGone);
      busy--;
      failure = new Error(`the hashing worker stopped: ${e instanceof Error ? e.message : `exit code ${String(e)}`}`);
      Atomics.notify(c, HASHED);
      reject(failure);
    };
    w.worker.once('message', onMessage).once('error', onGone).once('exit', onGone);
  });
  result.catch(() => {});
  const start: StreamStart = { ring: w.ring, control: w.control, algorithms: [...algorithms] };
  w.worker.postMessage(start);
  let written = 0n;
  let ended = false;
  const size = BigInt(RING_BYTES);

  const put = (data: Uint8Array): void => {
    const start = Number(written % size);
    const first = Math.min(data.length, RING_BYTES - start);
    ring.set(data.subarray(0, first), start);
    if (first < data.length) ring.set(data.subarray(first), 0);
    written += BigInt(data.length);
    Atomics.store(c, WRITTEN, written);
    Atomics.notify(c, WRITTEN);
  };

  const write = async (data: Uint8Array): Promise<void> => {
    for (let at = 0; at < data.length;) {
      if (failure) throw failure;
      const hashed = Atomics.load(c, HASHED);
      const free = RING_BYTES - Number(written - hashed);
      if (free === 0) {
        const waited = (Atomics as unknown as AtomicsWaitAsync).waitAsync(c, HASHED, hashed);
        if (waited.async) await waited.value;
        continue;
      }
      const n = Math.min(free, data.length - at);
      put(data.subarray(at, at + n));
      at += n;
    }
  };

  return {
    update(data) {
      if (failure) throw failure;
      if (RING_BYTES - Number(written - Atomics.load(c, HASHED)) >= data.length) {
        put(data);
        return undefined;
      }
      return write(data);
    },
    digest() {
      // Also what frees the worker after a failed upload. Once only: the worker may serve another stream by the next call.
      if (!ended) {
        ended = true;
        Atomics.store(c, DONE, 1n);
        Atomics.notify(c, WRITTEN);
      }
      return result;
    },
  };
}
