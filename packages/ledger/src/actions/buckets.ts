/** Buckets: create, transfer, remove, read, list an owner's. */
import type { Address } from 'viem';
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
