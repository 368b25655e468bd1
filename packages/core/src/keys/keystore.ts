/**
 * Keystore file v1 (docs/ACCESS.md): the recovery phrase sealed with AES-256-GCM under
 * scrypt(passphrase). JSON, stored with mode 0600:
 *
 *   {"format":"ddc-keystore","version":1,
 *    "kdf":{"name":"scrypt","N","r","p","salt":b64},"cipher":{"name":"aes-256-gcm","nonce":b64},
 *    "ciphertext":b64,"public":{"address","ed25519","x25519"}}
 *
 * The associated data is "ddc-keystore-v1". `public` (EIP-55 address, lowercase hex keys) is
 * outside the AEAD, so opening re-derives it and refuses a file whose public part was edited.
 */
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { DdcError } from '../errors.js';
import { textDecoder, textEncoder, toHex } from '../bytes.js';
import { decodeBase64Strict, encodeBase64, intIn, isRecord } from '../identity/wire.js';
import { assertMnemonic } from './mnemonic.js';
import { deriveUserKeys, toChecksumAddress, type EvmAddress } from './derive.js';

export const KEYSTORE_FORMAT = 'ddc-keystore';
export const KEYSTORE_VERSION = 1;
export const KEYSTORE_N = 131072;
export const DEV_KEYSTORE_N = 16384;
/** Anvil's and Hardhat's well-known test phrase: public, for `ddc dev` only. */
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk';

const SALT_SIZE = 32;
const NONCE_SIZE = 12;
const TAG_SIZE = 16;
/** 24 words of at most 8 letters and 23 spaces is 215 bytes; leave room, refuse junk. */
const MAX_PLAINTEXT = 1024;
/** scrypt needs 128 * r * (N + p) bytes; more than 1 GiB is refused (a file must not exhaust memory). */
const MAX_SCRYPT_MEMORY = 2 ** 30;
const AAD = textEncoder.encode('ddc-keystore-v1');

export interface KeystoreFile {
  format: 'ddc-keystore';
  version: 1;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  cipher: { name: 'aes-256-gcm'; nonce: string };
  ciphertext: string;
  public: { address: EvmAddress; ed25519: string; x25519: string };
}

export interface KeystoreOptions {
  /** scrypt cost (a power of two); default KEYSTORE_N, DEV_KEYSTORE_N for dev keystores. */
  N?: number;
}

function invalid(what: string): DdcError {
  return new DdcError('DDC_KEYSTORE_INVALID', `not a v1 DDC keystore: ${what}`, {
    hint: 'Restore the keystore from a backup, or import your recovery phrase again with `ddc keys import`',
  });
}

function checkKeys(v: Record<string, unknown>, keys: readonly string[], where: string): void {
  const extra = Object.keys(v).filter((k) => !keys.includes(k));
  if (extra.length) throw invalid(`unknown field ${JSON.stringify(extra[0]).slice(0, 40)} in ${where}`);
  const missing = keys.filter((k) => !(k in v));
  if (missing.length) throw invalid(`${where} lacks ${missing[0]}`);
}

function scryptParamsOk(N: number, r: number, p: number): boolean {
  return N >= 2 ** 10 && N <= 2 ** 22 && (N & (N - 1)) === 0 && 128 * r * (N + p) <= MAX_SCRYPT_MEMORY;
}

/** Strict: exact fields, this format and version, canonical base64 of the right sizes. */
export function parseKeystore(json: unknown): KeystoreFile {
  if (!isRecord(json)) throw invalid('not a JSON object');
  checkKeys(json, ['format', 'version', 'kdf', 'cipher', 'ciphertext', 'public'], 'the file');
  if (json.format !== KEYSTORE_FORMAT) throw invalid(`format ${JSON.stringify(json.format)?.slice(0, 40)}`);
  if (json.version !== KEYSTORE_VERSION) throw invalid(`version ${JSON.stringify(json.version)?.slice(0, 20)} (this build reads ${KEYSTORE_VERSION})`);
  const { kdf, cipher, public: pub } = json;
  if (!isRecord(kdf)) throw invalid('kdf is not an object');
  checkKeys(kdf, ['name', 'N', 'r', 'p', 'salt'], 'kdf');
  if (kdf.name !== 'scrypt') throw invalid(`kdf ${JSON.stringify(kdf.name)?.slice(0, 40)} (only scrypt)`);
  const N = intIn(kdf.N, 1, 2 ** 22);
  const r = intIn(kdf.r, 1, 64);
  const p = intIn(kdf.p, 1, 16);
  if (N === undefined || r === undefined || p === undefined || !scryptParamsOk(N, r, p)) {
    throw invalid('scrypt parameters out of range (N a power of two from 2^10, memory at most 1 GiB)');
  }
  const salt = decodeBase64Strict(kdf.salt, 64);
  if (!salt || salt.length < 16) throw invalid('the salt is not 16 to 64 bytes of canonical base64');
  if (!isRecord(cipher)) throw invalid('cipher is not an object');
  checkKeys(cipher, ['name', 'nonce'], 'cipher');
  if (cipher.name !== 'aes-256-gcm') throw invalid(`cipher ${JSON.stringify(cipher.name)?.slice(0, 40)} (only aes-256-gcm)`);
  const nonce = decodeBase64Strict(cipher.nonce, NONCE_SIZE);
  if (!nonce || nonce.length !== NONCE_SIZE) throw invalid('the nonce is not 12 bytes of canonical base64');
  const ct = decodeBase64Strict(json.ciphertext, MAX_PLAINTEXT + TAG_SIZE);
  if (!ct || ct.length <= TAG_SIZE) throw invalid('the ciphertext is not canonical base64 of a sealed phrase');
  if (!isRecord(pub)) throw invalid('public is not an object');
  checkKeys(pub, ['address', 'ed25519', 'x25519'], 'public');
  if (typeof pub.address !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(pub.address) || toChecksumAddress(pub.address) !== pub.address) {
    throw invalid('public.address is not an EIP-55 checksummed address');
  }
  for (const k of ['ed25519', 'x25519'] as const) {
    if (typeof pub[k] !== 'string' || !/^[0-9a-f]{64}$/.test(pub[k])) throw invalid(`public.${k} is not 64 lowercase hex digits`);
  }
  return {
    format: KEYSTORE_FORMAT,
    version: KEYSTORE_VERSION,
    kdf: { name: 'scrypt', N, r, p, salt: kdf.salt as string },
    cipher: { name: 'aes-256-gcm', nonce: cipher.nonce as string },
    ciphertext: json.ciphertext as string,
    public: { address: pub.address as EvmAddress, ed25519: pub.ed25519 as string, x25519: pub.x25519 as string },
  };
}

async function aeadKey(passphrase: string, salt: Uint8Array, N: number, r: number, p: number): Promise<CryptoKey> {
  const password = textEncoder.encode(passphrase.normalize('NFKD'));
  const raw = await scryptAsync(password, salt, { N, r, p, dkLen: 32, maxmem: MAX_SCRYPT_MEMORY + 1024 });
  try {
    return await globalThis.crypto.subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, 'AES-GCM', false, ['encrypt', 'decrypt']);
  } finally {
    raw.fill(0);
    password.fill(0);
  }
}

export async function createKeystore(mnemonic: string, passphrase: string, options: KeystoreOptions = {}): Promise<KeystoreFile> {
  if (typeof passphrase !== 'string') throw new DdcError('DDC_INVALID_ARGUMENT', 'the keystore passphrase must be a string', { hint: 'Pass "" for no passphrase' });
  const N = options.N ?? KEYSTORE_N;
  if (!Number.isSafeInteger(N) || !scryptParamsOk(N, 8, 1)) {
    throw new DdcError('DDC_INVALID_ARGUMENT', `scrypt N = ${N} is not a power of two from 2^10 to 2^19`, { hint: `Use the default ${KEYSTORE_N}` });
  }
  const phrase = assertMnemonic(mnemonic);
  const keys = deriveUserKeys(phrase);
  const salt = globalThis.crypto.getRandomValues(new Uint8Array(SALT_SIZE));
  const nonce = globalThis.crypto.getRandomValues(new Uint8Array(NONCE_SIZE));
  const key = await aeadKey(passphrase, salt, N, 8, 1);
  const plain = textEncoder.encode(phrase);
  const ct = new Uint8Array(await globalThis.crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: AAD, tagLength: 128 }, key, plain));
  plain.fill(0);
  const file: KeystoreFile = {
    format: KEYSTORE_FORMAT,
    version: KEYSTORE_VERSION,
    kdf: { name: 'scrypt', N, r: 8, p: 1, salt: encodeBase64(salt) },
    cipher: { name: 'aes-256-gcm', nonce: encodeBase64(nonce) },
    ciphertext: encodeBase64(ct),
    public: { address: keys.evm.address, ed25519: toHex(keys.signing.publicKey), x25519: toHex(keys.encryption.publicKey) },
  };
  keys.evm.privateKey.fill(0);
  keys.signing.secretKey.fill(0);
  keys.encryption.secretKey.fill(0);
  return file;
}

/** Returns the recovery phrase. A wrong passphrase or an edited ciphertext: DDC_KEYSTORE_PASSPHRASE (AEAD cannot tell them apart). */
export async function openKeystore(file: KeystoreFile, passphrase: string): Promise<string> {
  const f = parseKeystore(file);
  if (typeof passphrase !== 'string') throw new DdcError('DDC_INVALID_ARGUMENT', 'the keystore passphrase must be a string');
  const key = await aeadKey(passphrase, decodeBase64Strict(f.kdf.salt, 64)!, f.kdf.N, f.kdf.r, f.kdf.p);
  let plain: Uint8Array;
  try {
    const nonce = decodeBase64Strict(f.cipher.nonce, NONCE_SIZE)! as Uint8Array<ArrayBuffer>;
    const ct = decodeBase64Strict(f.ciphertext, MAX_PLAINTEXT + TAG_SIZE)! as Uint8Array<ArrayBuffer>;
    plain = new Uint8Array(await globalThis.crypto.subtle.decrypt({ name: 'AES-GCM', iv: nonce, additionalData: AAD, tagLength: 128 }, key, ct));
  } catch (e) {
    throw new DdcError('DDC_KEYSTORE_PASSPHRASE', 'the passphrase does not open this keystore (or the file was altered)', {
      cause: e,
      hint: 'Check the passphrase (DDC_PASSPHRASE); if it is right, restore the keystore from a backup',
    });
  }
  let phrase: string;
  try {
    phrase = assertMnemonic(textDecoder.decode(plain));
  } catch (e) {
    throw invalid(`it holds no valid recovery phrase (${e instanceof Error ? e.message : String(e)})`);
  } finally {
    plain.fill(0);
  }
  const keys = deriveUserKeys(phrase);
  const same = keys.evm.address === f.public.address && toHex(keys.signing.publicKey) === f.public.ed25519 && toHex(keys.encryption.publicKey) === f.public.x25519;
  keys.evm.privateKey.fill(0);
  keys.signing.secretKey.fill(0);
  keys.encryption.secretKey.fill(0);
  if (!same) throw invalid('its public keys do not match the phrase it holds (the public part was edited)');
  return phrase;
}
