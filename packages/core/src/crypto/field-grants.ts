/**
 * Sharing one subtree of a field-encrypted JSON document (docs/ACCESS.md "Encryption"): the
 * key of the node at a pointer, sealed to one reader with the EDEK construction (HPKE), under
 * an object id bound to the pointer: SHA-256(`ddc-field-grant-v1\0` || oid || pointer)[0..16].
 * A grant cannot be moved to another pointer or object, nor opened as the object's DEK.
 */
import { DdcError } from '../errors.js';
import { sha256 } from '../hash.js';
import { equalBytes, textEncoder } from '../bytes.js';
import { openBytesFrom, sealBytesTo, type Edek } from './edek.js';
import { FIELD_KEY_SIZE, keyForPointer, parsePointer } from './fields.js';
import { assertObjectId } from './object-cipher.js';

/** A field-encrypted JSON object: its body is the document with every leaf sealed (encryptJsonFields). */
export const JSON_FIELDS_ALG = 'json-fields-v1';

const GRANT_DOMAIN = textEncoder.encode('ddc-field-grant-v1\0');

export interface FieldGrant extends Edek {
  ptr: string;
}

function grantContext(oid: Uint8Array, pointer: string): Uint8Array {
  assertObjectId(oid);
  parsePointer(pointer); // refuses a malformed pointer
  return sha256(GRANT_DOMAIN, oid, textEncoder.encode(pointer)).subarray(0, 16);
}

/** Seals the key of the subtree at `pointer` (derived from the document's root field key) to a reader. */
export async function sealFieldGrant(rootKey: Uint8Array, pointer: string, recipientX25519Pub: Uint8Array, oid: Uint8Array, exp: number | null): Promise<FieldGrant> {
  const key = keyForPointer(rootKey, pointer);
  return { ptr: pointer, ...(await sealBytesTo(key, recipientX25519Pub, grantContext(oid, pointer), exp)) };
}

/** Opens a grant: the key of the subtree at `grant.ptr`. DDC_EDEK_INVALID if it was changed, moved or is not for this key. */
export async function openFieldGrant(grant: FieldGrant, x25519SecretKey: Uint8Array, oid: Uint8Array): Promise<Uint8Array> {
  const key = await openBytesFrom(grant, x25519SecretKey, grantContext(oid, grant.ptr));
  if (key.length !== FIELD_KEY_SIZE) throw new DdcError('DDC_EDEK_INVALID', `a field grant holds ${key.length} bytes, not a ${FIELD_KEY_SIZE}-byte field key`);
  return key;
}

/** The grants addressed to this X25519 public key. */
export function findFieldGrantsFor<G extends { to: Uint8Array }>(grants: readonly G[] | undefined, x25519Pub: Uint8Array): G[] {
  return (grants ?? []).filter((g) => equalBytes(g.to, x25519Pub));
}
