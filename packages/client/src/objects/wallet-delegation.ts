/**
 * A browser wallet delegates to the data-plane signing key once (docs/ACCESS.md
 * "Delegation"): EIP-712 typed data, signed with EIP-1193 `eth_signTypedData_v4`. The
 * result goes to client.bucket(id, { keys, delegation }), so the wallet's private key never
 * leaves the wallet.
 */
import { DdcError, delegationFromWalletSignature, delegationTypedData, recoverDelegationSigner, type Delegation } from '@ddc/core';

/** The part of an EIP-1193 provider (window.ethereum, WalletConnect, viem's) used here. */
export interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

export interface DelegationRequest {
  /** The wallet account (0x address) that owns the buckets. */
  account: `0x${string}`;
  /** The Ed25519 public key to delegate to (keys.signing.publicKey). */
  signingKey: Uint8Array;
  /** Unix seconds. */
  expiry: number;
  chainId: number;
  /** Unix seconds; default 5 minutes ago (clock slack). */
  notBefore?: number;
}

/** Asks the wallet to sign the delegation; checks that the signature recovers to `account`. */
export async function requestDelegation(provider: Eip1193Provider, r: DelegationRequest): Promise<Delegation> {
  const unsigned = { account: r.account, signingKey: r.signingKey, notBefore: r.notBefore ?? Math.floor(Date.now() / 1000) - 300, expiry: r.expiry, chainId: r.chainId };
  const typed = delegationTypedData(unsigned);
  let sig: unknown;
  try {
    sig = await provider.request({ method: 'eth_signTypedData_v4', params: [r.account, JSON.stringify(typed)] });
  } catch (cause) {
    const msg = cause instanceof Error ? cause.message : String(cause);
    throw new DdcError('DDC_SIGNATURE_INVALID', `the wallet did not sign the delegation: ${msg}`, { cause, hint: 'Approve the signature request in the wallet, on the account that owns the buckets' });
  }
  if (typeof sig !== 'string' || !sig.startsWith('0x')) {
    throw new DdcError('DDC_SIGNATURE_INVALID', 'the wallet answered eth_signTypedData_v4 with something that is not a hex signature', { hint: 'Use a wallet that supports EIP-712 (eth_signTypedData_v4)' });
  }
  const delegation = delegationFromWalletSignature(unsigned, sig as `0x${string}`);
  recoverDelegationSigner(delegation); // a wallet that signed with another account fails here, not at every node
  return delegation;
}
