/**
 * Installs node:crypto's SHA-256 (about 8x faster than the portable code in the UnixFS import here) into core.
 * Imported for its effect by the Node entry of the client and by the storage node.
 */
import { createHash, hash } from 'node:crypto';
import { useSha256, type Sha256Hasher, type Sha256Impl } from '@ddc/core';

// crypto.hash (Node 20.12+) skips the Hash object for one-shot digests.
const oneShot = typeof hash === 'function' ? (data: Uint8Array) => hash('sha256', data, 'buffer') as unknown as Buffer : undefined;

/** Plain Uint8Array views, so results compare equal to core's portable ones. */
function plain(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

const nodeSha256: Sha256Impl = {
  name: 'node:crypto',
  digest(...parts) {
    if (parts.length === 1 && oneShot) return plain(oneShot(parts[0]!));
    const h = createHash('sha256');
    for (const p of parts) h.update(p);
    return plain(h.digest());
  },
  create() {
    const h = createHash('sha256');
    const wrapper: Sha256Hasher = {
      update(d) {
        h.update(d);
        return wrapper;
      },
      digest: () => plain(h.digest()),
    };
    return wrapper;
  },
};

useSha256(nodeSha256);
export {};
