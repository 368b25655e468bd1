/**
 * Encrypted data keys (EDEKs, docs/ACCESS.md "Encryption"): a DEK sealed to one reader's
 * X25519 key with HPKE base mode (RFC 9180), DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
 * AES-256-GCM, info = `ddc-edek-v1\0` || object id. X25519 is the pure-JS one from
 * @hpke/dhkem-x25519, so this also runs in browsers whose Web Crypto lacks X25519.
 */
import { Aes256Gcm, CipherSuite, HkdfSha256 } from '@hpke/core';
import { DhkemX25519HkdfSha256 } from '@hpke/dhkem-x25519';
import { x25519 } from '@noble/curves/ed25519.js';
import { DdcError } from '../errors.js';
import { concatBytes, equalBytes, textEncoder } from '../bytes.js';
import { assertDek, assertObjectId, DEK_SIZE } from './object-cipher.js';

export const X25519_KEY_SIZE = 32;
const INFO_DOMAIN = textEncoder.encode('ddc-edek-v1\0');

/** A DEK sealed to `to` (an X25519 public key); `exp` is unix seconds or null (no expiry). */
export interface Edek {
  to: Uint8Array;
  enc: Uint8Array;
  ct: Uint8Array;
  exp: number | null;
}

let suiteCache: CipherSuite | undefined;
/** The one HPKE suite DDC uses (kem 0x0020, kdf 0x0001, aead 0x0002). */
export function edekSuite(): CipherSuite {
  suiteCache ??= new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
  return suiteCache;
}

function assertX25519Key(key: Uint8Array, what: string): void {
  if (!(key instanceof Uint8Array) || key.length !== X25519_KEY_SIZE) {
    throw new DdcError('DDC_KEY_INVALID', `an X25519 ${what} is ${X25519_KEY_SIZE} bytes`, { hint: 'Use the encryption key of a DDC identity (its public identity string holds it)' });
  }
}

/** The X25519 public key of a 32-byte secret. */
export function x25519PublicKey(secret: Uint8Array): Uint8Array {
  assertX25519Key(secret, 'secret key');
  return x25519.getPublicKey(secret);
}

function edekInfo(oid: Uint8Array): Uint8Array {
  assertObjectId(oid);
  return concatBytes([INFO_DOMAIN, oid]);
}

/** Seals any short secret (a DEK, or a group share) to one X25519 key. */
export async function sealBytesTo(secret: Uint8Array, recipientX25519Pub: Uint8Array, oid: Uint8Array, exp: number | null): Promise<Edek> {
  assertX25519Key(recipientX25519Pub, 'public key');
  if (exp !== null && (!Number.isSafeInteger(exp) || exp < 0)) {
    throw new DdcError('DDC_INVALID_ARGUMENT', `expiresAt ${exp} is not a unix time in seconds`);
  }
  const info = edekInfo(oid);
  const suite = edekSuite();
  let sealed: { enc: ArrayBuffer; ct: ArrayBuffer };
  try {
    const recipientPublicKey = await suite.kem.deserializePublicKey(Uint8Array.from(recipientX25519Pub));
    sealed = await suite.seal({ recipientPublicKey, info }, Uint8Array.from(secret));
  } catch (e) {
    throw new DdcError('DDC_KEY_INVALID', 'cannot seal a data key to this X25519 public key', { hint: 'Check the reader\'s public identity; this key is not usable', cause: e });
  }
  return { to: Uint8Array.from(recipientX25519Pub), enc: new Uint8Array(sealed.enc), ct: new Uint8Array(sealed.ct), exp };
}

/** Opens what sealBytesTo sealed; any failure is DDC_EDEK_INVALID. */
export async function openBytesFrom(edek: Edek, x25519SecretKey: Uint8Array, oid: Uint8Array): Promise<Uint8Array> {
  assertX25519Key(x25519SecretKey, 'secret key');
  const info = edekInfo(oid);
  if (!edek || !(edek.enc instanceof Uint8Array) || !(edek.ct instanceof Uint8Array) || !(edek.to instanceof Uint8Array)) {
    throw new DdcError('DDC_EDEK_INVALID', 'the encrypted data key is malformed', { hint: 'An EDEK is {to, enc, ct, exp}; read it from the record\'s enc' });
  }
  const mine = equalBytes(edek.to, x25519PublicKey(x25519SecretKey));
  const suite = edekSuite();
  try {
    const recipientKey = await suite.kem.deserializePrivateKey(Uint8Array.from(x25519SecretKey));
    return new Uint8Array(await suite.open({ recipientKey, enc: Uint8Array.from(edek.enc), info }, Uint8Array.from(edek.ct)));
  } catch (e) {
    throw new DdcError('DDC_EDEK_INVALID', mine ? 'the encrypted data key does not open: it was changed or is for another object' : 'the encrypted data key is for another key and does not open with this one', {
      hint: mine ? 'Fetch the record again' : 'Use the EDEK whose `to` is your X25519 public key (findEdekFor), or ask the owner to share with you',
      cause: e,
    });
  }
}

/** Seals a DEK to a reader's X25519 public key for object `oid`. */
export async function sealDek(dek: Uint8Array, recipientX25519Pub: Uint8Array, oid: Uint8Array, opts: { expiresAt?: number } = {}): Promise<Edek> {
  assertDek(dek);
  return sealBytesTo(dek, recipientX25519Pub, oid, opts.expiresAt ?? null);
}

/** Opens an EDEK with the reader's X25519 secret; a wrong key, object or changed byte is DDC_EDEK_INVALID. */
export async function openEdek(edek: Edek, x25519SecretKey: Uint8Array, oid: Uint8Array): Promise<Uint8Array> {
  const dek = await openBytesFrom(edek, x25519SecretKey, oid);
  if (dek.length !== DEK_SIZE) throw new DdcError('DDC_EDEK_INVALID', `the encrypted data key holds ${dek.length} bytes, not a ${DEK_SIZE}-byte data key`, { hint: 'A group share opens with openGroupShare' });
  return dek;
}

/** The EDEK addressed to this X25519 public key, if any. */
export function findEdekFor(edeks: readonly Edek[], x25519Pub: Uint8Array): Edek | undefined {
  return edeks.find((e) => e.to instanceof Uint8Array && equalBytes(e.to, x25519Pub));
}
