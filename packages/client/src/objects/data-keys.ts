/**
 * Data keys of encrypted objects (docs/ACCESS.md "Encryption"): opening a record's DEK with
 * the reader's X25519 key (or t group shares), and sealing a DEK to a set of readers.
 */
import {
  combineGroupShares, DdcError, ENC_ALG, JSON_FIELDS_ALG, equalBytes, findEdekFor, openEdek, openGroupShare, PLAIN_CHUNK, sealDek,
  type EdekInfo, type EncryptionInfo, type UserKeys,
} from '@ddc/core';

export const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * Refuses a cipher this client does not implement (a newer writer), before any bytes are fetched:
 * the chunked object cipher, or a field-encrypted JSON document. Both open their DEK the same way.
 */
export function checkCipher(enc: EncryptionInfo, key: string): void {
  if (enc.alg === JSON_FIELDS_ALG) return;
  if (enc.alg !== ENC_ALG || enc.chunk !== PLAIN_CHUNK) {
    throw new DdcError('DDC_RECORD_INVALID', `${JSON.stringify(key)} is encrypted with ${enc.alg} (chunk ${enc.chunk}); this client reads ${ENC_ALG} (chunk ${PLAIN_CHUNK})`, { hint: 'Upgrade DDC to read it' });
  }
}

/** The DEK of an encrypted object: from the reader's EDEK, or from t opened group shares. */
export async function openDataKey(enc: EncryptionInfo, key: string, keys: Pick<UserKeys, 'encryption'> | undefined, groupShares?: Uint8Array[]): Promise<Uint8Array> {
  checkCipher(enc, key);
  if (groupShares && groupShares.length > 0) {
    if (!enc.group) throw new DdcError('DDC_NOT_A_READER', `${JSON.stringify(key)} is not shared with a group`, { hint: 'Read it with your own keys' });
    return combineGroupShares(groupShares, enc.group.t);
  }
  if (!keys) {
    throw new DdcError('DDC_NOT_A_READER', `${JSON.stringify(key)} is encrypted and no keys were given to open it`, { hint: 'Open the bucket with client.bucket(id, { keys }) using the keys of a reader' });
  }
  const edek = findEdekFor(enc.edeks, keys.encryption.publicKey);
  if (!edek) {
    const member = enc.group?.shares.some((s) => equalBytes(s.to, keys.encryption.publicKey));
    throw new DdcError('DDC_NOT_A_READER', `${JSON.stringify(key)} holds no data key for this identity`, {
      hint: member ? 'You hold a group share: gather t shares (bucket.openGroupShare) and pass them as groupShares' : 'Ask the object\'s owner to share it with your public identity',
    });
  }
  if (edek.exp !== null && edek.exp <= nowSeconds()) {
    throw new DdcError('DDC_NOT_A_READER', `the data key shared with this identity for ${JSON.stringify(key)} expired at ${new Date(edek.exp * 1000).toISOString()}`, { hint: 'Ask the owner to share it again' });
  }
  return openEdek(edek, keys.encryption.secretKey, enc.oid);
}

/** This identity's share of the object's group key (to combine with t - 1 others). */
export async function openOwnGroupShare(enc: EncryptionInfo, key: string, keys: Pick<UserKeys, 'encryption'>): Promise<Uint8Array> {
  checkCipher(enc, key);
  if (!enc.group) throw new DdcError('DDC_NOT_A_READER', `${JSON.stringify(key)} is not shared with a group`, { hint: 'Read it with your own keys' });
  return openGroupShare(enc.group, keys.encryption.secretKey, enc.oid);
}

export interface Reader {
  x25519: Uint8Array;
  /** Unix seconds after which the SDK stops using this EDEK, or null. */
  exp: number | null;
}

/** One EDEK per distinct reader (the first of duplicates wins). */
export async function sealToReaders(dek: Uint8Array, oid: Uint8Array, readers: readonly Reader[]): Promise<EdekInfo[]> {
  const distinct: Reader[] = [];
  for (const r of readers) if (!distinct.some((d) => equalBytes(d.x25519, r.x25519))) distinct.push(r);
  return Promise.all(distinct.map((r) => sealDek(dek, r.x25519, oid, r.exp === null ? {} : { expiresAt: r.exp })));
}
