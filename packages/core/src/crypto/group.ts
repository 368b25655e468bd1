/**
 * Group access (docs/ACCESS.md "Encryption"): the DEK split t-of-n with Shamir's scheme
 * (shamir-secret-sharing, audited) and each share sealed as an EDEK to one member, so any t
 * members together rebuild the DEK and fewer learn nothing about it.
 */
import { combine, split } from 'shamir-secret-sharing';
import { DdcError } from '../errors.js';
import { toHex } from '../bytes.js';
import { assertDek, DEK_SIZE } from './object-cipher.js';
import { findEdekFor, openBytesFrom, sealBytesTo, x25519PublicKey, type Edek } from './edek.js';

export interface GroupInfo {
  /** Shares needed to rebuild the DEK. */
  t: number;
  /** One sealed share per member, in member order. */
  shares: Edek[];
}

const MAX_MEMBERS = 255;
/** A share is the secret's length plus one byte, its x coordinate. */
const SHARE_SIZE = DEK_SIZE + 1;

function thresholdError(message: string): DdcError {
  return new DdcError('DDC_GROUP_THRESHOLD', message, { hint: `Use 2 <= t <= members <= ${MAX_MEMBERS}; for one reader use a plain EDEK` });
}

/** Splits the DEK t-of-n and seals share i to members[i] (X25519 public keys). */
export async function sealDekToGroup(dek: Uint8Array, members: Uint8Array[], threshold: number, oid: Uint8Array): Promise<GroupInfo> {
  assertDek(dek);
  if (!Array.isArray(members) || members.length < 2 || members.length > MAX_MEMBERS) throw thresholdError(`a group has 2..${MAX_MEMBERS} members, got ${members?.length}`);
  if (!Number.isSafeInteger(threshold) || threshold < 2 || threshold > members.length) {
    throw thresholdError(`threshold ${threshold} is not in 2..${members.length}`);
  }
  const seen = new Set(members.map((m) => (m instanceof Uint8Array ? toHex(m) : '')));
  if (seen.size !== members.length) {
    // One person holding two shares would need fewer others than t.
    throw new DdcError('DDC_INVALID_ARGUMENT', 'a group lists the same member key twice', { hint: 'Give each member once' });
  }
  const shares = await split(Uint8Array.from(dek), members.length, threshold);
  const sealed = await Promise.all(shares.map((share, i) => sealBytesTo(share, members[i]!, oid, null)));
  return { t: threshold, shares: sealed };
}

/** Opens this member's share (the one sealed to the X25519 public key of `secret`). */
export async function openGroupShare(group: GroupInfo, secret: Uint8Array, oid: Uint8Array): Promise<Uint8Array> {
  const edek = findEdekFor(group.shares, x25519PublicKey(secret));
  if (!edek) throw new DdcError('DDC_NOT_A_READER', 'this key holds no share of the group', { hint: 'Ask the owner to add you to the group' });
  const share = await openBytesFrom(edek, secret, oid);
  if (share.length !== SHARE_SIZE) throw new DdcError('DDC_EDEK_INVALID', `a group share is ${SHARE_SIZE} bytes, this one ${share.length}`);
  return share;
}

/** Rebuilds the DEK from at least t opened shares (duplicates count once). */
export async function combineGroupShares(shares: Uint8Array[], t: number): Promise<Uint8Array> {
  const unique = new Map<number, Uint8Array>(); // by x coordinate, the last byte
  for (const s of shares) {
    if (!(s instanceof Uint8Array) || s.length !== SHARE_SIZE) throw new DdcError('DDC_INVALID_ARGUMENT', `a group share is ${SHARE_SIZE} bytes`, { hint: 'Pass the shares openGroupShare returned' });
    if (!unique.has(s[SHARE_SIZE - 1]!)) unique.set(s[SHARE_SIZE - 1]!, s);
  }
  if (!Number.isSafeInteger(t) || t < 2) throw thresholdError(`threshold ${t} is below 2`);
  if (unique.size < t) throw thresholdError(`${unique.size} distinct share(s) given, the group needs ${t}`);
  try {
    return await combine([...unique.values()]);
  } catch (e) {
    throw new DdcError('DDC_GROUP_THRESHOLD', 'the shares do not combine', { hint: 'Pass shares opened from the same group', cause: e });
  }
}
