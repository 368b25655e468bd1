/** Benchmark data: distinct pseudo-random chunks made fast from one random block. */
import { randomFillSync, createHash } from 'node:crypto';

const CHUNK = 1024 * 1024;
const seed = randomFillSync(new Uint8Array(CHUNK));

/** `total` bytes in 1 MiB chunks, each one fresh (the importer keeps views, so no reuse). */
export async function* randomStream(total: number, onChunk?: (c: Uint8Array) => void): AsyncGenerator<Uint8Array> {
  let sent = 0;
  let i = 0;
  while (sent < total) {
    const n = Math.min(CHUNK, total - sent);
    const chunk = new Uint8Array(n);
    chunk.set(seed.subarray(0, n));
    new DataView(chunk.buffer).setFloat64(0, i++ + Math.random());
    onChunk?.(chunk);
    sent += n;
    yield chunk;
  }
}

export function smallObject(size: number): Uint8Array {
  return randomFillSync(new Uint8Array(size));
}

export function hashOf(): { update(c: Uint8Array): void; hex(): string } {
  const h = createHash('sha256');
  return { update: (c) => void h.update(c), hex: () => h.digest('hex') };
}
