/** Revokes capability tokens on the ledger (BucketRegistry.revokeToken, by the bucket's owner). */
import { DdcError, type CapabilityToken } from '@ddc/core';
import type { Ledger } from '@ddc/ledger';

/** Revokes each token (everything delegated from it goes with it); resolves to the ids revoked. */
export async function revokeTokens(ledger: Ledger | undefined, bucket: number, tokens: CapabilityToken[]): Promise<string[]> {
  if (tokens.length === 0) return [];
  if (!ledger?.walletClient) {
    throw new DdcError('DDC_LEDGER_ACCOUNT', 'revoking tokens writes to the ledger, and no ledger with the owner\'s account was given', {
      hint: 'Pass ledger: connectLedger({ deployment, rpcUrl, account: <owner key> }) to client.bucket(id, { keys, ledger })',
    });
  }
  const revoked: string[] = [];
  for (const t of tokens) {
    if (t.bucket !== bucket) throw new DdcError('DDC_TOKEN_WRONG_BUCKET', `token ${t.idHex.slice(0, 16)}… is for bucket ${t.bucket}, not ${bucket}`, { hint: 'Revoke it through its own bucket' });
    const { revokeToken } = await import('@ddc/ledger'); // loaded only when revoking
    await revokeToken(ledger, bucket, t.idHex);
    revoked.push(t.idHex);
  }
  return revoked;
}
