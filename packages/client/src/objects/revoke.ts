/** Revokes capability tokens on the ledger (BucketRegistry.revokeToken, by the bucket's owner). */
import { DdcError, type CapabilityToken } from '@ddc/core';
import type { Ledger } from '@ddc/ledger';

// TODO(ledger revokeToken lands): import it statically.
type RevokeFn = (ledger: Ledger, bucketId: bigint, tokenIdHex: string) => Promise<unknown>;
async function revokeFn(): Promise<RevokeFn> {
  const mod = (await import('@ddc/ledger')) as unknown as { revokeToken?: RevokeFn };
  if (!mod.revokeToken) throw new DdcError('DDC_INTERNAL', 'this @ddc/ledger has no revokeToken', { hint: 'Update @ddc/ledger' });
  return mod.revokeToken;
}

/** Revokes each token (its whole chain below it goes with it); resolves to the ids revoked. */
export async function revokeTokens(ledger: Ledger | undefined, bucket: number, tokens: CapabilityToken[]): Promise<string[]> {
  if (tokens.length === 0) return [];
  if (!ledger?.walletClient) {
    throw new DdcError('DDC_LEDGER_ACCOUNT', 'revoking tokens writes to the ledger, and no ledger with the owner\'s account was given', {
      hint: 'Pass ledger: connectLedger({ deployment, rpcUrl, account: <owner key> }) to client.bucket(id, { keys, ledger })',
    });
  }
  const revokeToken = await revokeFn();
  const revoked: string[] = [];
  for (const t of tokens) {
    if (t.bucket !== bucket) throw new DdcError('DDC_TOKEN_WRONG_BUCKET', `token ${t.idHex.slice(0, 16)}… is for bucket ${t.bucket}, not ${bucket}`, { hint: 'Revoke it through its own bucket' });
    await revokeToken(ledger, BigInt(bucket), t.idHex);
    revoked.push(t.idHex);
  }
  return revoked;
}
