/** Cutting a piece into k equal data shards and back, with klauspost's Split/Join layout. */
import { DdcError } from '../errors.js';

function checkK(k: number): void {
  if (!Number.isInteger(k) || k < 1 || k > 256) {
    throw new DdcError('DDC_ERASURE_PARAMS', `data shard count k=${k} is invalid`, { hint: 'Use an integer k between 1 and 256' });
  }
}

/** Bytes per shard for a piece of `length` bytes: ceil(length / k); 0 for an empty piece. */
export function shardSize(length: number, k: number): number {
  checkK(k);
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new DdcError('DDC_INVALID_ARGUMENT', `piece length ${length} is invalid`, { hint: 'Pass a non-negative integer byte length' });
  }
  return Math.ceil(length / k);
}

/**
 * k data shards of shardSize(data.length, k) bytes; the tail is zero-padded like klauspost's Split.
 * Whole shards are views into `data` (no copy); the padded ones share one new buffer.
 * An empty piece gives k empty shards (Go's Split returns ErrShortData instead; empty shards
 * encode to empty parity and round-trip, so callers need no special case).
 */
export function splitData(data: Uint8Array, k: number): Uint8Array[] {
  const per = shardSize(data.length, k);
  if (per === 0) return Array.from({ length: k }, () => data.subarray(0, 0));
  const full = Math.floor(data.length / per);
  const shards: Uint8Array[] = [];
  for (let i = 0; i < full; i++) shards.push(data.subarray(i * per, (i + 1) * per));
  if (full < k) {
    const padding = new Uint8Array((k - full) * per);
    padding.set(data.subarray(full * per));
    for (let i = full; i < k; i++) shards.push(padding.subarray((i - full) * per, (i - full + 1) * per));
  }
  return shards;
}

/** The first `length` bytes of the concatenated data shards, in `out` (exactly `length` bytes) or a new array. */
export function joinData(dataShards: readonly Uint8Array[], length: number, out?: Uint8Array): Uint8Array {
  const total = dataShards.reduce((n, s) => n + s.length, 0);
  if (!Number.isSafeInteger(length) || length < 0 || length > total) {
    throw new DdcError('DDC_INVALID_ARGUMENT', `cannot join ${length} bytes from data shards holding ${total}`, {
      hint: 'Pass the k data shards (reconstructed if needed) and the original piece length',
    });
  }
  if (out !== undefined && out.length !== length) {
    throw new DdcError('DDC_INVALID_ARGUMENT', `joinData needs an output of ${length} bytes, got ${out.length}`);
  }
  const target = out ?? new Uint8Array(length);
  let off = 0;
  for (const part of dataParts(dataShards, length)) {
    target.set(part, off);
    off += part.length;
  }
  return target;
}

/** Views of the first `length` bytes of the concatenated data shards, in order (what joinData copies). */
export function dataParts(dataShards: readonly Uint8Array[], length: number): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (const s of dataShards) {
    if (length <= 0) break;
    parts.push(s.length <= length ? s : s.subarray(0, length));
    length -= s.length;
  }
  return parts;
}
