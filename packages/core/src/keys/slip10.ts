/**
 * SLIP-0010 key derivation for Ed25519 (and so X25519 secrets): HMAC-SHA512 with the key
 * "ed25519 seed" for the master, hardened children only. The 32-byte child key is used
 * directly as an Ed25519 seed or an X25519 secret.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { DdcError } from '../errors.js';
import { textEncoder } from '../bytes.js';

export const SLIP10_HARDENED_OFFSET = 0x8000_0000;
const MASTER_KEY = textEncoder.encode('ed25519 seed');

export interface Slip10Node {
  key: Uint8Array;
  chainCode: Uint8Array;
}

function badPath(path: string, why: string): DdcError {
  return new DdcError('DDC_INVALID_ARGUMENT', `derivation path ${JSON.stringify(path).slice(0, 80)} ${why}`, {
    hint: "Write it as m/44'/60'/0'/1'/0': SLIP-0010 Ed25519 derives hardened children only",
  });
}

/** Parses `m/a'/b'/...` (also `h`/`H` for hardened) into hardened indexes. */
export function parseHardenedPath(path: string): number[] {
  const parts = path.split('/');
  if (parts[0] !== 'm') throw badPath(path, 'does not start with m');
  return parts.slice(1).map((p) => {
    const m = /^(0|[1-9][0-9]{0,9})['hH]$/.exec(p);
    if (!m) throw badPath(path, `has a segment ${JSON.stringify(p).slice(0, 20)} that is not a hardened index`);
    const i = Number(m[1]);
    if (i >= SLIP10_HARDENED_OFFSET) throw badPath(path, `has an index ${i} over 2^31 - 1`);
    return i + SLIP10_HARDENED_OFFSET;
  });
}

export function slip10MasterEd25519(seed: Uint8Array): Slip10Node {
  if (seed.length < 16 || seed.length > 64) {
    throw new DdcError('DDC_INVALID_ARGUMENT', `a SLIP-0010 seed is 16 to 64 bytes, not ${seed.length}`, { hint: 'Pass the 64-byte BIP39 seed' });
  }
  const i = hmac(sha512, MASTER_KEY, seed);
  return { key: i.slice(0, 32), chainCode: i.slice(32) };
}

export function slip10ChildEd25519(parent: Slip10Node, index: number): Slip10Node {
  if (!Number.isInteger(index) || index < SLIP10_HARDENED_OFFSET || index > 0xffff_ffff) {
    throw new DdcError('DDC_INVALID_ARGUMENT', `SLIP-0010 Ed25519 index ${index} is not hardened`, { hint: 'Add 2^31 to the index' });
  }
  const data = new Uint8Array(37); // 0x00 || key || ser32(index)
  data.set(parent.key, 1);
  new DataView(data.buffer).setUint32(33, index);
  const i = hmac(sha512, parent.chainCode, data);
  data.fill(0);
  return { key: i.slice(0, 32), chainCode: i.slice(32) };
}

export function slip10DeriveEd25519(seed: Uint8Array, path: string): Slip10Node {
  let node = slip10MasterEd25519(seed);
  for (const index of parseHardenedPath(path)) {
    const next = slip10ChildEd25519(node, index);
    node.key.fill(0);
    node = next;
  }
  return node;
}
