/**
 * The public identity string a user gives to someone who shares with them
 * (docs/ACCESS.md): `ddcid1` + base64url, no padding, of
 * 0x01 || Ed25519 public key (32) || X25519 public key (32) || ledger address (20).
 * Parsing is strict: one identity has exactly one text, and both keys must be usable.
 */
import { base64url } from 'multiformats/bases/base64';
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { DdcError } from '../errors.js';
import { toHex } from '../bytes.js';
import { toChecksumAddress, type EvmAddress, type UserKeys } from './derive.js';

export const PUBLIC_IDENTITY_PREFIX = 'ddcid1';
export const PUBLIC_IDENTITY_VERSION = 0x01;
const BODY_SIZE = 1 + 32 + 32 + 20;
const TEXT_SIZE = PUBLIC_IDENTITY_PREFIX.length + Math.ceil((BODY_SIZE * 8) / 6);
const P25519 = 2n ** 255n - 19n;
/** A clamped scalar: every low-order u maps to zero, which x25519 refuses. */
const PROBE_SCALAR = new Uint8Array(32).fill(0x5a);

export interface PublicIdentity {
  ed25519: Uint8Array;
  x25519: Uint8Array;
  address: EvmAddress;
}

function invalid(what: string): DdcError {
  return new DdcError('DDC_KEY_INVALID', `not a DDC public identity: ${what}`, {
    hint: 'Ask its owner to run `ddc keys export-public` and copy the whole ddcid1... string',
  });
}

function addressBytes(address: string): Uint8Array {
  const hex = toChecksumAddress(address).slice(2);
  const out = new Uint8Array(20);
  for (let i = 0; i < 20; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** A canonical (u < p) X25519 public key that is not of low order. */
export function isValidX25519PublicKey(key: Uint8Array): boolean {
  if (key.length !== 32) return false;
  let u = 0n;
  for (let i = 31; i >= 0; i--) u = (u << 8n) | BigInt(key[i]!);
  if (u >= P25519) return false;
  try {
    x25519.getSharedSecret(PROBE_SCALAR, key);
    return true;
  } catch {
    return false;
  }
}

/** A strictly encoded Ed25519 point that is not of small order (no one can sign for those). */
export function isValidEd25519IdentityKey(key: Uint8Array): boolean {
  if (key.length !== 32 || !ed25519.utils.isValidPublicKey(key, false)) return false;
  try {
    return !ed25519.Point.fromBytes(key, false).isSmallOrder();
  } catch {
    return false;
  }
}

export function encodePublicIdentity(p: PublicIdentity): string {
  if (p.ed25519.length !== 32 || p.x25519.length !== 32) throw invalid('the keys are not 32 bytes each');
  const body = new Uint8Array(BODY_SIZE);
  body[0] = PUBLIC_IDENTITY_VERSION;
  body.set(p.ed25519, 1);
  body.set(p.x25519, 33);
  body.set(addressBytes(p.address), 65);
  return PUBLIC_IDENTITY_PREFIX + base64url.baseEncode(body);
}

export function parsePublicIdentity(s: string): PublicIdentity {
  if (typeof s !== 'string') throw invalid('not text');
  const text = s.trim();
  if (!text.startsWith(PUBLIC_IDENTITY_PREFIX)) throw invalid(`it does not start with ${PUBLIC_IDENTITY_PREFIX}`);
  if (text.length !== TEXT_SIZE) throw invalid(`it is ${text.length} characters, not ${TEXT_SIZE}`);
  const b64 = text.slice(PUBLIC_IDENTITY_PREFIX.length);
  if (!/^[A-Za-z0-9_-]*$/.test(b64)) throw invalid('it has characters outside base64url');
  let body: Uint8Array;
  try {
    body = base64url.baseDecode(b64);
  } catch {
    throw invalid('it is not base64url');
  }
  // Re-encoding catches non-zero padding bits: one identity, one text.
  if (body.length !== BODY_SIZE || base64url.baseEncode(body) !== b64) throw invalid('it is not canonical base64url');
  if (body[0] !== PUBLIC_IDENTITY_VERSION) throw invalid(`version ${body[0]} (this build reads ${PUBLIC_IDENTITY_VERSION})`);
  const ed = body.slice(1, 33);
  const x = body.slice(33, 65);
  if (!isValidEd25519IdentityKey(ed)) throw invalid('its Ed25519 key is not a valid point');
  if (!isValidX25519PublicKey(x)) throw invalid('its X25519 key is not usable');
  return { ed25519: ed, x25519: x, address: toChecksumAddress(toHex(body.subarray(65))) };
}

export function publicIdentityOf(keys: UserKeys): PublicIdentity {
  return { ed25519: Uint8Array.from(keys.signing.publicKey), x25519: Uint8Array.from(keys.encryption.publicKey), address: keys.evm.address };
}
