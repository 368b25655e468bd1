/**
 * SHA-256 for the whole project. Core stays isomorphic, so it starts with the audited
 * @noble/hashes code (works everywhere) and lets a platform install a faster one:
 * Node's `node:crypto` is about 8x faster (UnixFS import: ~1500 vs 185 MB/s here), so the Node entry points of `client` and
 * `node` call `useSha256` with it at import time.
 */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

/** Incremental hasher: update with parts, then digest once. */
export interface Sha256Hasher {
  update(data: Uint8Array): Sha256Hasher;
  digest(): Uint8Array;
}

export interface Sha256Impl {
  /** One-shot digest of one buffer or the concatenation of several, in a new array the caller keeps. */
  digest(...parts: Uint8Array[]): Uint8Array;
  create(): Sha256Hasher;
  readonly name: string;
}

const noble: Sha256Impl = {
  name: 'noble',
  digest(...parts) {
    if (parts.length === 1) return nobleSha256(parts[0]!);
    const h = nobleSha256.create();
    for (const p of parts) h.update(p);
    return h.digest();
  },
  create() {
    const h = nobleSha256.create();
    const wrapper: Sha256Hasher = {
      update(d) {
        h.update(d);
        return wrapper;
      },
      digest: () => h.digest(),
    };
    return wrapper;
  },
};

let impl: Sha256Impl = noble;

export function useSha256(next: Sha256Impl): void {
  impl = next;
}

export function sha256Impl(): Sha256Impl {
  return impl;
}

export function sha256(...parts: Uint8Array[]): Uint8Array {
  return impl.digest(...parts);
}

export function createSha256(): Sha256Hasher {
  return impl.create();
}
