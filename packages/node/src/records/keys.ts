/**
 * Binary keys of the record store, ordered as LMDB compares them (bytewise):
 * [bucket u64 BE][object key UTF-8][0x00][version, 20 ASCII]. An object key holds no NUL,
 * so all versions of one key are contiguous and sort before any longer key; UTF-8 never
 * holds 0xFF, so [bucket][p][0xFF] sorts after every key starting with p.
 */
const VERSION_LENGTH = 20;
const TAIL = 1 + VERSION_LENGTH;

function bucketBytes(bucket: number): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigUInt64BE(BigInt(bucket));
  return b;
}

/** The first key of a bucket (all its keys are >= this and < bucketStart(bucket + 1)). */
export function bucketStart(bucket: number): Buffer {
  return bucketBytes(bucket);
}

export function recordKey(bucket: number, key: string, version: string): Buffer {
  return Buffer.concat([bucketBytes(bucket), Buffer.from(key, 'utf8'), Buffer.from([0]), Buffer.from(version, 'latin1')]);
}

/** [start, end) of every version of one key. */
export function versionsRange(bucket: number, key: string): { start: Buffer; end: Buffer } {
  const k = Buffer.concat([bucketBytes(bucket), Buffer.from(key, 'utf8')]);
  return { start: Buffer.concat([k, Buffer.from([0])]), end: Buffer.concat([k, Buffer.from([1])]) };
}

/** Keys >= `text`'s (as an object key prefix). */
export function fromKey(bucket: number, text: string): Buffer {
  return Buffer.concat([bucketBytes(bucket), Buffer.from(text, 'utf8')]);
}

/** The first position after every version of object key `text`. */
export function afterKey(bucket: number, text: string): Buffer {
  return Buffer.concat([bucketBytes(bucket), Buffer.from(text, 'utf8'), Buffer.from([1])]);
}

/** The first position after every key starting with `prefix`. */
export function pastPrefix(bucket: number, prefix: string): Buffer {
  return Buffer.concat([bucketBytes(bucket), Buffer.from(prefix, 'utf8'), Buffer.from([0xff])]);
}

export interface ParsedKey {
  bucket: number;
  /** The object key's UTF-8 bytes (a view). */
  keyBytes: Buffer;
  version: string;
}

export function parseRecordKey(k: Buffer): ParsedKey {
  return {
    bucket: Number(k.readBigUInt64BE(0)),
    keyBytes: k.subarray(8, k.length - TAIL),
    version: k.toString('latin1', k.length - VERSION_LENGTH),
  };
}

/** The part after the bucket (key bytes, 0x00, version): a digest cursor. */
export function keySuffix(k: Buffer): Buffer {
  return k.subarray(8);
}

export function withSuffix(bucket: number, suffix: Buffer): Buffer {
  return Buffer.concat([bucketBytes(bucket), suffix]);
}
