/** The shared ring between hash-offload.ts and hash-worker.ts: control words (BigInt64 indexes) and the start message. */
import type { ChecksumAlgorithm } from './checksums.js';

export const WRITTEN = 0;
export const HASHED = 1;
export const DONE = 2;
export const CONTROL_WORDS = 3;

/** What a body is hashed with: MD5 (the ETag), and the checksums S3 clients send (SHA-256 also checks a signed payload). */
export type BodyAlgorithm = 'md5' | ChecksumAlgorithm;

export interface StreamStart {
  ring: SharedArrayBuffer;
  control: SharedArrayBuffer;
  algorithms: BodyAlgorithm[];
}
