/** The shared ring between md5-offload.ts and md5-worker.ts: control words (BigInt64 indexes) and the start message. */
export const WRITTEN = 0;
export const HASHED = 1;
export const DONE = 2;
export const CONTROL_WORDS = 3;

export interface StreamStart {
  ring: SharedArrayBuffer;
  control: SharedArrayBuffer;
}
