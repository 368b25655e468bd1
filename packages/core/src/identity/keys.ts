/**
 * Ed25519 identities (RFC 8032) for nodes and, later, users. Keys are raw bytes: a 32-byte
 * secret (the seed), a 32-byte public key; signatures are 64 bytes. Verification is strict
 * RFC 8032 (no ZIP-215 leniency), so a signature that verifies here verifies anywhere.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { DdcError } from '../errors.js';
import { fromHex, toHex } from '../bytes.js';

export const SECRET_KEY_SIZE = 32;
export const PUBLIC_KEY_SIZE = 32;
export const SIGNATURE_SIZE = 64;

export interface Ed25519KeyPair {
  /** The 32-byte seed. Keep it secret. */
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/** A fresh key pair from the platform's CSPRNG (crypto.getRandomValues). */
export function generateKeyPair(): Ed25519KeyPair {
  const secretKey = ed25519.utils.randomSecretKey();
  return { secretKey, publicKey: ed25519.getPublicKey(secretKey) };
}

export function keyPairFromSecret(secretKey: Uint8Array): Ed25519KeyPair {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== SECRET_KEY_SIZE) {
    throw new DdcError('DDC_KEY_INVALID', `an Ed25519 secret key is ${SECRET_KEY_SIZE} bytes`, { hint: 'Pass the 32-byte seed' });
  }
  const copy = Uint8Array.from(secretKey);
  return { secretKey: copy, publicKey: ed25519.getPublicKey(copy) };
}

/**
 * A faster Ed25519 for a platform (the Node entries install node:crypto's, about 20x faster
 * than the portable code). Signing is deterministic, so any RFC 8032 signer gives the same
 * bytes. A verifier must accept nothing the portable strict one refuses.
 */
export interface Ed25519Impl {
  name: string;
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
  /** Called with a 64-byte signature and a 32-byte key; never throws. */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}

let ed25519Impl: Ed25519Impl | undefined;

/** Installs a platform Ed25519 (undefined: back to the portable code). */
export function useEd25519(next: Ed25519Impl | undefined): void {
  ed25519Impl = next;
}

export function signBytes(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return ed25519Impl ? ed25519Impl.sign(message, secretKey) : ed25519.sign(message, secretKey);
}

/** True iff `signature` is a valid strict-RFC 8032 signature of `message` by `publicKey`. Never throws. */
export function verifySignature(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_SIZE || publicKey.length !== PUBLIC_KEY_SIZE) return false;
  if (ed25519Impl) return ed25519Impl.verify(signature, message, publicKey);
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

const KEY_HEX = /^[0-9a-f]{64}$/;

/** 64 lowercase hex digits: the text form of a public key everywhere (descriptor, /info, evidence). */
export function isPublicKeyHex(s: unknown): s is string {
  return typeof s === 'string' && KEY_HEX.test(s);
}

/** Parses a public key's hex form and checks that it is a point on the curve. */
export function parsePublicKeyHex(s: unknown, what = 'public key'): Uint8Array {
  if (!isPublicKeyHex(s)) {
    throw new DdcError('DDC_KEY_INVALID', `${what} ${JSON.stringify(s)?.slice(0, 80)} is not 64 lowercase hex digits`, { hint: 'Copy the key from the node\'s /info or its listening line' });
  }
  const key = fromHex(s);
  if (!ed25519.utils.isValidPublicKey(key, false)) {
    throw new DdcError('DDC_KEY_INVALID', `${what} ${s} is not a valid Ed25519 public key`, { hint: 'Copy the key from the node\'s /info or its listening line' });
  }
  return key;
}

export function publicKeyHex(key: Uint8Array): string {
  return toHex(key);
}
