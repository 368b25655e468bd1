/**
 * The node identity key file, version 1 (`identity.key` in a node's data folder):
 *
 *   off  size  field
 *   0    4     magic "DDCK"
 *   4    1     version = 1
 *   5    1     key type: 1 = Ed25519
 *   6    32    the secret key (Ed25519 seed)
 *   38   4     checksum: the first 4 bytes of SHA-256 of bytes 0..38
 *
 * 42 bytes in all. The checksum tells a damaged file from a different key, so a node never
 * starts under an identity it did not have.
 */
import { DdcError } from '../errors.js';
import { sha256 } from '../hash.js';
import { equalBytes } from '../bytes.js';
import { SECRET_KEY_SIZE, keyPairFromSecret, type Ed25519KeyPair } from './keys.js';

export const KEY_FILE_MAGIC = new Uint8Array([0x44, 0x44, 0x43, 0x4b]); // "DDCK"
export const KEY_FILE_VERSION = 1;
export const KEY_TYPE_ED25519 = 1;
export const KEY_FILE_SIZE = 4 + 1 + 1 + SECRET_KEY_SIZE + 4;
const BODY = KEY_FILE_SIZE - 4;

export function encodeKeyFile(secretKey: Uint8Array): Uint8Array {
  if (secretKey.length !== SECRET_KEY_SIZE) throw new DdcError('DDC_KEY_INVALID', `an Ed25519 secret key is ${SECRET_KEY_SIZE} bytes`);
  const out = new Uint8Array(KEY_FILE_SIZE);
  out.set(KEY_FILE_MAGIC, 0);
  out[4] = KEY_FILE_VERSION;
  out[5] = KEY_TYPE_ED25519;
  out.set(secretKey, 6);
  out.set(sha256(out.subarray(0, BODY)).subarray(0, 4), BODY);
  return out;
}

/** Parses a key file; `where` names it in errors. Throws DDC_KEY_INVALID. */
export function decodeKeyFile(bytes: Uint8Array, where = 'the key file'): Ed25519KeyPair {
  const bad = (what: string) =>
    new DdcError('DDC_KEY_INVALID', `${where} ${what}`, {
      hint: 'Restore the key file from a backup; a node with a new key is a new identity to the cluster',
      details: { file: where },
    });
  if (bytes.length !== KEY_FILE_SIZE) throw bad(`is ${bytes.length} bytes, not ${KEY_FILE_SIZE}`);
  if (!equalBytes(bytes.subarray(0, 4), KEY_FILE_MAGIC)) throw bad('does not start with "DDCK"');
  if (bytes[4] !== KEY_FILE_VERSION) throw bad(`has version ${bytes[4]}; this build reads version ${KEY_FILE_VERSION}`);
  if (bytes[5] !== KEY_TYPE_ED25519) throw bad(`holds key type ${bytes[5]}; this build knows 1 (Ed25519)`);
  if (!equalBytes(sha256(bytes.subarray(0, BODY)).subarray(0, 4), bytes.subarray(BODY))) throw bad('is damaged (checksum mismatch)');
  return keyPairFromSecret(bytes.subarray(6, BODY));
}
