/**
 * Installs node:crypto's SHA-256 (about 8x faster than the portable code in the UnixFS import here)
 * and Ed25519 (about 20x faster: one signature per shard PUT, one check per signed request) into core,
 * and AES-256-GCM for the object cipher (no Web Crypto job scheduling and copies per chunk).
 * Imported for its effect by the Node entry of the client and by the storage node.
 */
import { createCipheriv, createDecipheriv, createHash, createPrivateKey, createPublicKey, hash, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';
import { ENC_TAG_SIZE, MERKLE_LEAF_SIZE, useAesGcm, useEd25519, useSha256, type AesGcmImpl, type Ed25519Impl, type Sha256Hasher, type Sha256Impl } from '@ddc/core';

// crypto.hash (Node 20.12+) skips the Hash object for one-shot digests.
const oneShot = typeof hash === 'function' ? (data: Uint8Array) => hash('sha256', data, 'buffer') as unknown as Buffer : undefined;

/** Plain Uint8Array views, so results compare equal to core's portable ones. */
function plain(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/**
 * Multi-part inputs up to a Merkle leaf and its prefix (leaves, Merkle nodes, placement scores,
 * shard ids) are joined here and hashed one-shot: copying a 16 KiB leaf costs less than a Hash
 * object (Merkle roots of 384 MiB of shards took 236-246 ms of CPU this way against 251-290;
 * docs/BENCHMARKS.md, fifteenth session).
 */
const SCRATCH_SIZE = MERKLE_LEAF_SIZE + 64;
const scratch = new Uint8Array(SCRATCH_SIZE);

/** node:crypto's SHA-256 (exported for tests that compare it with the portable code). */
export const nodeSha256: Sha256Impl = {
  name: 'node:crypto',
  digest(...parts) {
    if (oneShot) {
      if (parts.length === 1) return plain(oneShot(parts[0]!));
      let total = 0;
      for (const p of parts) total += p.length;
      if (total <= SCRATCH_SIZE) {
        let off = 0;
        for (const p of parts) {
          scratch.set(p, off);
          off += p.length;
        }
        return plain(oneShot(scratch.subarray(0, total)));
      }
    }
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

// DER prefixes that wrap a raw 32-byte Ed25519 seed (PKCS#8) and public key (SPKI).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
/** Key objects cost a few microseconds to build: keep the ones in use (own keys, peers, users). */
const MAX_CACHED_KEYS = 1024;
const privateKeys = new WeakMap<Uint8Array, KeyObject>();
const publicKeys = new Map<string, KeyObject>();

// Group order L and field prime p, little-endian, for the strict-encoding checks below.
const L_LE = Buffer.from('edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010', 'hex');
const P_LE = Buffer.from('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', 'hex');

/** a < b for little-endian 32-byte numbers. */
function lessLE(a: Uint8Array, b: Uint8Array, topMask = 0xff): boolean {
  for (let i = 31; i >= 0; i--) {
    const x = i === 31 ? a[i]! & topMask : a[i]!;
    if (x !== b[i]!) return x < b[i]!;
  }
  return false;
}

/** A point encoding the portable strict decoder takes: y < p, and no "negative" x = 0. */
function canonicalPoint(e: Uint8Array): boolean {
  if (!lessLE(e, P_LE, 0x7f)) return false;
  if ((e[31]! & 0x80) === 0) return true;
  // x = 0 only for y = 1 and y = p - 1; their sign bit must be clear.
  let one = e[0] === 1;
  let minusOne = e[0] === 0xec;
  for (let i = 1; i < 32 && (one || minusOne); i++) {
    const b = i === 31 ? e[i]! & 0x7f : e[i]!;
    one &&= b === 0;
    minusOne &&= b === (i === 31 ? 0x7f : 0xff);
  }
  return !one && !minusOne;
}

/** The eight points of small order (canonical encodings): the portable strict verifier refuses them as keys. */
const SMALL_ORDER = new Set([
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0000000000000000000000000000000000000000000000000000000000000080',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
]);

function hexOf(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}

function privateKeyOf(secretKey: Uint8Array): KeyObject {
  let key = privateKeys.get(secretKey);
  if (!key) privateKeys.set(secretKey, (key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secretKey]), format: 'der', type: 'pkcs8' })));
  return key;
}

function publicKeyOf(hex: string, publicKey: Uint8Array): KeyObject {
  let key = publicKeys.get(hex);
  if (!key) {
    if (publicKeys.size >= MAX_CACHED_KEYS) publicKeys.delete(publicKeys.keys().next().value!);
    publicKeys.set(hex, (key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' })));
  }
  return key;
}

/** node:crypto's Ed25519 (exported for tests that compare it with the portable code). */
export const nodeEd25519: Ed25519Impl = {
  name: 'node:crypto',
  sign: (message, secretKey) => plain(edSign(null, message, privateKeyOf(secretKey))),
  verify(signature, message, publicKey) {
    // OpenSSL checks S < L and compares R bytewise, cofactorless: it accepts a subset of what the
    // portable strict verifier accepts once non-canonical encodings and small-order keys are refused here too.
    if (!lessLE(signature.subarray(32), L_LE) || !canonicalPoint(signature.subarray(0, 32)) || !canonicalPoint(publicKey)) return false;
    const hex = hexOf(publicKey);
    if (SMALL_ORDER.has(hex)) return false;
    try {
      return edVerify(null, message, publicKeyOf(hex, publicKey), signature);
    } catch {
      return false;
    }
  },
};

useEd25519(nodeEd25519);

/** node:crypto's AES-256-GCM, ciphertext || 16-byte tag as Web Crypto lays it out (exported for tests). */
export const nodeAesGcm: AesGcmImpl = {
  encrypt(key, iv, aad, data, into) {
    const c = createCipheriv('aes-256-gcm', key, iv, { authTagLength: ENC_TAG_SIZE });
    c.setAAD(aad);
    const out = into ?? new Uint8Array(data.length + ENC_TAG_SIZE);
    const body = c.update(data);
    out.set(body, 0);
    const rest = c.final();
    out.set(rest, body.length);
    out.set(c.getAuthTag(), body.length + rest.length);
    return out;
  },
  decrypt(key, iv, aad, data) {
    if (data.length < ENC_TAG_SIZE) throw new Error('ciphertext shorter than its tag');
    const d = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: ENC_TAG_SIZE });
    d.setAAD(aad);
    d.setAuthTag(data.subarray(data.length - ENC_TAG_SIZE));
    const body = d.update(data.subarray(0, data.length - ENC_TAG_SIZE));
    const rest = d.final(); // throws on a bad tag
    return rest.length === 0 ? plain(body) : plain(Buffer.concat([body, rest]));
  },
};

useAesGcm(nodeAesGcm);
