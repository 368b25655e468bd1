/** SHA-256 off the reading thread, where the platform offers it (the Node client: a worker thread). */
export interface PieceHasher {
  /**
   * The SHA-256 of the concatenated `parts`, computed elsewhere; undefined when these parts cannot
   * be hashed there (their memory is not shared), and the caller hashes them itself.
   */
  sha256(parts: readonly Uint8Array[]): Promise<Uint8Array> | undefined;
  close?(): Promise<void>;
}
