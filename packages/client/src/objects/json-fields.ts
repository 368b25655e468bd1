/**
 * Reading a field-encrypted JSON document (docs/ACCESS.md "Encryption"): with a data key the
 * whole document opens; with field grants only the subtrees they name, the rest stays sealed.
 */
import {
  DdcError, decryptJsonFields, findEdekFor, findFieldGrantsFor, openFieldGrant, rootFieldKey,
  type EncryptedJson, type EncryptionInfo, type PlainJson, type UserKeys,
} from '@ddc/core';
import { nowSeconds, openDataKey } from './data-keys.js';

/** The body of a JSON object as stored (sealed leaves, or plain JSON in a public bucket). */
export function parseJsonBody(bytes: Uint8Array, key: string): PlainJson {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as PlainJson;
  } catch (cause) {
    throw new DdcError('DDC_INVALID_ARGUMENT', `${JSON.stringify(key)} does not hold a JSON document`, { hint: 'Read it with bucket.get', cause });
  }
}

/** Opens what this identity may open; returns the document and the pointers opened ("" for all of it). */
export async function openJsonDocument(doc: PlainJson, enc: EncryptionInfo, key: string, keys: Pick<UserKeys, 'encryption'> | undefined): Promise<{ doc: PlainJson; opened: string[] }> {
  const pub = keys?.encryption.publicKey;
  if (pub && findEdekFor(enc.edeks, pub)) {
    const dek = await openDataKey(enc, key, keys);
    return { doc: await decryptJsonFields(doc as EncryptedJson, rootFieldKey(dek)), opened: [''] };
  }
  const grants = pub ? findFieldGrantsFor(enc.fields, pub).filter((g) => g.exp === null || g.exp > nowSeconds()) : [];
  if (!keys || grants.length === 0) {
    throw new DdcError('DDC_NOT_A_READER', `${JSON.stringify(key)} holds no data key and no field grant for this identity`, {
      hint: 'Ask the owner to share the document, or a part of it (bucket.shareJsonField), with your public identity',
    });
  }
  let out = doc;
  const opened: string[] = [];
  // Outer subtrees first; a grant inside one already opened has nothing left to open.
  for (const g of [...grants].sort((a, b) => a.ptr.length - b.ptr.length)) {
    if (opened.some((p) => g.ptr === p || g.ptr.startsWith(`${p}/`) || p === '')) continue;
    out = await decryptJsonFields(out as EncryptedJson, await openFieldGrant(g, keys.encryption.secretKey, enc.oid), g.ptr);
    opened.push(g.ptr);
  }
  return { doc: out, opened };
}
