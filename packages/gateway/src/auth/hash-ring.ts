/** The shared ring between hash-offload.ts and hash-worker.ts: control words (BigInt64 indexes) and the start message. */
export const WRITTEN = 0;
export const HASHED = 1;
export const DONE = 2;
export const CONTROL_WORDS = 3;

/** The hashes a worker can take over (node:crypto names). */
export type OffloadedAlgorithm = 'md5' | 'sha256';

export interface StreamStart {
  ring: SharedArrayBuffer;
  control: SharedArrayBuffer;
  algorithms: OffloadedAlgorithm[];
}
