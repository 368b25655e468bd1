/**
 * Checks a capability token chain for one request against the ledger (docs/ACCESS.md,
 * "A chain is valid for ..."). Each check runs over the whole chain before the next, so a
 * token with several faults always reports the first code of this precedence:
 * INVALID, WRONG_BUCKET, NOT_OWNER, WIDENED, EXPIRED, NOT_YET_VALID, REVOKED, AUDIENCE,
 * OP_DENIED, PREFIX_DENIED. Times: a link is valid for notBefore <= now < expiry.
 */
import { DdcError } from '../errors.js';
import { equalBytes, toHex } from '../bytes.js';
import { decodeToken, isCheckedToken, tokenChain, type CapabilityToken, type TokenOp } from './token.js';

export interface TokenCheck {
  bucket: number;
  op: TokenOp;
  /** The object key the request touches ("" for bucket-wide operations such as list of all). */
  key: string;
  /** The Ed25519 key that signed the request. */
  requester: Uint8Array;
}

export interface TokenLedgerView {
  /** The bucket's owner; throws DDC_NO_SUCH_BUCKET when there is none. */
  bucketOwner(bucket: number): Promise<`0x${string}`>;
  isRevoked(bucket: number, tokenIdHex: string): boolean | Promise<boolean>;
  chainId: number;
}

const ASK_OWNER = 'Ask the bucket owner (or whoever gave you the token) for a new one';

function refuse(code: ConstructorParameters<typeof DdcError>[0], message: string, hint: string, link?: CapabilityToken): DdcError {
  return new DdcError(code, message, link ? { hint, details: { tokenId: link.idHex } } : { hint });
}

/** Resolves when the chain allows `check` now; otherwise throws the first DdcError by the precedence above. */
export async function verifyTokenChain(t: CapabilityToken, check: TokenCheck, ledger: TokenLedgerView, nowSeconds = Date.now() / 1000): Promise<void> {
  // Fields of a token this module did not decode may not match its signed bytes: the bytes rule.
  const leaf = isCheckedToken(t) ? t : decodeToken(t.bytes);
  const chain = tokenChain(leaf);
  const root = chain[0]!;
  const dgn = root.delegation!;
  if (dgn.chainId !== ledger.chainId) {
    throw refuse('DDC_TOKEN_INVALID', `invalid capability token: its delegation is for chain ${dgn.chainId}, this ledger is chain ${ledger.chainId}`, 'Ask the bucket owner for a token delegated on this network');
  }

  for (const link of chain) {
    if (link.bucket !== check.bucket) throw refuse('DDC_TOKEN_WRONG_BUCKET', `the token is for bucket ${link.bucket}, not ${check.bucket}`, 'Use a token for this bucket', link);
  }

  const owner = await ledger.bucketOwner(check.bucket);
  if (owner.toLowerCase() !== dgn.account.toLowerCase()) {
    throw refuse('DDC_TOKEN_NOT_OWNER', `the token's root is delegated by ${dgn.account}, but bucket ${check.bucket} is owned by ${owner}`, ASK_OWNER, root);
  }

  for (let i = 1; i < chain.length; i++) {
    const parent = chain[i - 1]!;
    const child = chain[i]!;
    const why = !parent.mayDelegate ? 'its parent does not allow delegation'
      : child.ops.some((op) => !parent.ops.includes(op)) ? `operations ${child.ops.join(',')} are not within ${parent.ops.join(',')}`
      : !child.prefix.startsWith(parent.prefix) ? `prefix ${JSON.stringify(child.prefix)} is outside ${JSON.stringify(parent.prefix)}`
      : child.notBefore < parent.notBefore ? 'it starts before its parent'
      : child.expiry > parent.expiry ? 'it expires after its parent'
      : undefined;
    if (why) throw refuse('DDC_TOKEN_WIDENED', `a delegated link widens its parent: ${why}`, 'A delegated token may only narrow its parent; ask for a token delegated correctly', child);
  }

  if (nowSeconds >= dgn.expiry) throw refuse('DDC_TOKEN_EXPIRED', `the owner's delegation expired at ${dgn.expiry}`, 'The owner must sign a new delegation and issue new tokens', root);
  for (const link of chain) {
    if (nowSeconds >= link.expiry) throw refuse('DDC_TOKEN_EXPIRED', `the token${link === leaf ? '' : '\'s chain'} expired at ${link.expiry} (now ${Math.floor(nowSeconds)})`, ASK_OWNER, link);
  }
  if (nowSeconds < dgn.notBefore) throw refuse('DDC_TOKEN_NOT_YET_VALID', `the owner's delegation is valid from ${dgn.notBefore}`, 'Wait, or check this machine\'s clock', root);
  for (const link of chain) {
    if (nowSeconds < link.notBefore) throw refuse('DDC_TOKEN_NOT_YET_VALID', `the token is valid from ${link.notBefore} (now ${Math.floor(nowSeconds)})`, 'Wait, or check this machine\'s clock', link);
  }

  const revoked = await Promise.all(chain.map((link) => ledger.isRevoked(check.bucket, link.idHex)));
  const r = revoked.findIndex(Boolean);
  if (r >= 0) throw refuse('DDC_TOKEN_REVOKED', `the bucket owner revoked ${chain[r] === leaf ? 'this token' : 'a token this one is delegated from'}`, ASK_OWNER, chain[r]);

  if (!(check.requester instanceof Uint8Array) || !equalBytes(leaf.audience, check.requester)) {
    throw refuse('DDC_TOKEN_AUDIENCE', `the token is for key ${toHex(leaf.audience)}, not for the request's signer`, 'Sign the request with the key the token was issued to', leaf);
  }
  if (!leaf.ops.includes(check.op)) throw refuse('DDC_TOKEN_OP_DENIED', `the token allows ${leaf.ops.join(', ')}, not ${String(check.op)}`, 'Ask for a token with this operation', leaf);
  if (!check.key.startsWith(leaf.prefix)) throw refuse('DDC_TOKEN_PREFIX_DENIED', `key ${JSON.stringify(check.key).slice(0, 120)} is outside the token's prefix ${JSON.stringify(leaf.prefix)}`, 'Use a key under the token\'s prefix, or ask for a wider token', leaf);
}
