/**
 * The worker side of hash-offload.ts: for each stream it is handed, hashes bytes (MD5 and any
 * checksums) out of the
 * shared ring as the request thread writes them, and posts the digests once told the stream ended.
 */
import { parentPort } from 'node:worker_threads';
import { bodyDigester } from './checksums.js';
import { DONE, HASHED, WRITTEN, type StreamStart } from './hash-ring.js';

parentPort!.on('message', ({ ring, control, algorithms }: StreamStart) => {
  const bytes = new Uint8Array(ring);
  const c = new BigInt64Array(control);
  const size = BigInt(bytes.length);
  const hashes = algorithms.map(bodyDigester);
  let hashed = 0n;
  for (;;) {
    const written = Atomics.load(c, WRITTEN);
    if (written === hashed) {
      if (Atomics.load(c, DONE) === 1n) break;
      Atomics.wait(c, WRITTEN, hashed);
      continue;
    }
    const start = Number(hashed % size);
    const length = Number(written - hashed);
    const first = Math.min(length, bytes.length - start);
    for (const h of hashes) {
      h.update(bytes.subarray(start, start + first));
      if (first < length) h.update(bytes.subarray(0, length - first));
    }
    hashed = written;
    Atomics.store(c, HASHED, hashed);
    Atomics.notify(c, HASHED);
  }
  parentPort!.postMessage(hashes.map((h) => h.digest()));
});
