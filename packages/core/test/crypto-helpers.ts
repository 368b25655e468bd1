// Shared helpers for the crypto tests: feed bytes through the cipher streams in chosen pieces.
import { createDecryptStream, createEncryptStream, isDdcError, type DdcErrorCode } from '../src/index.js';

/** Cuts `bytes` at the given points (any numbers; taken modulo the length, sorted, deduplicated). */
export function cut(bytes: Uint8Array, points: readonly number[] = []): Uint8Array[] {
  if (bytes.length === 0) return [bytes];
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...at, bytes.length]) {
    parts.push(bytes.subarray(prev, p)); // empty parts too: a stream may see them
    prev = p;
  }
  return parts;
}

export function streamOf(parts: readonly Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < parts.length) controller.enqueue(parts[i++]!);
      else controller.close();
    },
  });
}

export async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return out;
    out.push(value);
  }
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/** Ciphertext chunks as the encrypt stream emits them. */
export async function encryptParts(dek: Uint8Array, oid: Uint8Array, plain: Uint8Array, points: readonly number[] = []): Promise<Uint8Array[]> {
  return collect(streamOf(cut(plain, points)).pipeThrough(createEncryptStream(dek, oid)));
}

export async function encryptAll(dek: Uint8Array, oid: Uint8Array, plain: Uint8Array, points: readonly number[] = []): Promise<Uint8Array> {
  return concat(await encryptParts(dek, oid, plain, points));
}

export async function decryptAll(
  dek: Uint8Array,
  oid: Uint8Array,
  cipher: Uint8Array,
  plainSize: number,
  points: readonly number[] = [],
  range?: { start: number; end: number },
): Promise<Uint8Array> {
  const opts = range ? { plainSize, range } : { plainSize };
  return concat(await collect(streamOf(cut(cipher, points)).pipeThrough(createDecryptStream(dek, oid, opts))));
}

export function hasCode(code: DdcErrorCode): (e: unknown) => boolean {
  return (e) => {
    if (isDdcError(e, code)) return true;
    throw e; // show the wrong error instead of a bare "validation failed"
  };
}

/** Deterministic pseudo-random bytes (xorshift), so failures reproduce. */
export function patternBytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed | 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 0xff;
  }
  return out;
}
