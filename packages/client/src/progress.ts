export interface Progress {
  phase: 'put' | 'get' | 'verify' | 'stat';
  /** Bytes of the file processed so far. */
  bytes: number;
  /** Total bytes, when known. */
  total?: number;
  /** Pieces done so far. */
  pieces: number;
}

export type ProgressHandler = (p: Progress) => void;
