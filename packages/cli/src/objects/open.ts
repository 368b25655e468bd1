/**
 * Opens a bucket for a command: the SDK client (signing as the user's Ed25519 key, so a
 * token given to that key also covers the shard uploads) and client.bucket(id, {keys,
 * token, ledger}). The SDK decides the rest (owner tokens, encryption by visibility).
 */
import type { UserKeys } from '@ddc/core';
import { createClient, loadClusterFile, type BucketHandle, type DdcClient } from '@ddc/client';
import type { Ledger } from '@ddc/ledger';
import { defaultClusterFile } from '../context.js';
import { ownerLedger, readLedger, tokenTextOf, userKeysFor, type BucketFlags } from './context.js';

export interface OpenBucket {
  client: DdcClient;
  bucket: BucketHandle;
  keys: UserKeys | undefined;
  token: string | undefined;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Keys are needed (writes, encrypted reads); otherwise they are used when a keystore exists. */
  needKeys?: boolean;
  /** Act as the bucket's owner: keys required, tokens ignored, the ledger signs as the owner (unshare revokes tokens). */
  asOwner?: boolean;
}

export async function openBucket(flags: BucketFlags, bucketId: number, o: OpenOptions = {}): Promise<OpenBucket> {
  const token = o.asOwner ? undefined : tokenTextOf(flags);
  // A token names the key that must sign the requests: the keystore's.
  const keys = await userKeysFor(flags, o.needKeys === true || token !== undefined || o.asOwner === true);
  let ledger: Ledger | undefined;
  if (o.asOwner && keys) ledger = await ownerLedger(flags, keys);
  else if (keys || token) ledger = await readLedger(flags);
  else ledger = await readLedger(flags).catch(() => undefined); // an anonymous reader of a public bucket needs no chain
  const client = createClient({ cluster: await loadClusterFile(flags.cluster ?? defaultClusterFile()), ...(keys ? { identity: keys.signing } : {}) });
  const bucket = client.bucket(bucketId, { ...(keys ? { keys } : {}), ...(token ? { token } : {}), ...(ledger ? { ledger } : {}) });
  return { client, bucket, keys, token, close: () => client.close() };
}
