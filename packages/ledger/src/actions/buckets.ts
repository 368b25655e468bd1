/** Buckets: create, transfer, remove, read, list an owner's; revoke capability tokens. */
import type { Address } from 'viem';
import { DdcError } from '@ddc/core';
import type { Ledger } from '../connect.js';
import { buckets } from '../contracts.js';
import { eventOf, read, sendTx, type TxResult } from '../tx.js';
import type { Bucket } from '../types.js';
import * as v from '../validate.js';

export async function createBucket(ledger: Ledger, params: { clusterId: number; isPublic: boolean }): Promise<TxResult & { bucketId: bigint }> {
  const c = buckets(ledger);
  const tx = await sendTx(ledger, c, 'createBucket', [v.clusterId(params.clusterId), params.isPublic]);
  return { ...tx, bucketId: eventOf(tx, c, 'BucketCreated').args.bucketId };
}

export async function transferBucket(ledger: Ledger, bucketId: bigint | number, to: Address): Promise<TxResult> {
  return sendTx(ledger, buckets(ledger), 'transferBucket', [v.bucketId(bucketId), v.address('to', to)]);
}

export async function removeBucket(ledger: Ledger, bucketId: bigint | number): Promise<TxResult> {
  return sendTx(ledger, buckets(ledger), 'removeBucket', [v.bucketId(bucketId)]);
}

export async function getBucket(ledger: Ledger, bucketId: bigint | number): Promise<Bucket> {
  const c = buckets(ledger);
  const id = v.bucketId(bucketId);
  const b = await read({ contract: c.name, functionName: 'getBucket' }, () => ledger.publicClient.readContract({ ...c, functionName: 'getBucket', args: [id] }));
  return { bucketId: id, owner: b.owner, clusterId: b.clusterId, isPublic: b.isPublic, createdAt: b.createdAt };
}

/** The owner's buckets, in no particular order. */
export async function listBuckets(ledger: Ledger, owner: Address): Promise<Bucket[]> {
  const c = buckets(ledger);
  const ids = await read({ contract: c.name, functionName: 'bucketsOf' }, () => ledger.publicClient.readContract({ ...c, functionName: 'bucketsOf', args: [v.address('owner', owner)] }));
  return Promise.all(ids.map((id) => getBucket(ledger, id)));
}

/** A token id (SHA-256 of the token bytes) as core's idHex (64 hex digits), with or without 0x. */
function tokenId(v: string): `0x${string}` {
  const hex = typeof v === 'string' && v.startsWith('0x') ? v.slice(2) : v;
  if (typeof hex !== 'string' || !/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new DdcError('DDC_INVALID_ARGUMENT', `token id must be 64 hex digits, got ${JSON.stringify(v)?.slice(0, 80)}`, { hint: 'Pass the token\'s idHex (the SHA-256 of its bytes)' });
  }
  return `0x${hex.toLowerCase()}`;
}

/**
 * Revokes a capability token for the bucket (owner only): nodes refuse it and every token
 * delegated from it once they see the TokenRevoked event. Revoking it again is a no-op.
 */
export async function revokeToken(ledger: Ledger, bucketId: bigint | number, tokenIdHex: string): Promise<TxResult> {
  return sendTx(ledger, buckets(ledger), 'revokeToken', [v.bucketId(bucketId), tokenId(tokenIdHex)]);
}

export async function isTokenRevoked(ledger: Ledger, bucketId: bigint | number, tokenIdHex: string): Promise<boolean> {
  const c = buckets(ledger);
  const args = [v.bucketId(bucketId), tokenId(tokenIdHex)] as const;
  return read({ contract: c.name, functionName: 'isRevoked' }, () => ledger.publicClient.readContract({ ...c, functionName: 'isRevoked', args }));
}
