/**
 * What the S3 API runs with: the SDK client and the gateway's own DDC identity, the ledger
 * (bucket visibility, and CreateBucket/DeleteBucket signed by the gateway's account), the
 * access keys and bucket names in the data dir, and the multipart staging area.
 */
import { tokenFromText, type CapabilityToken, type UserKeys } from '@ddc/core';
import type { BucketHandle, DdcClient } from '@ddc/client';
import type { Ledger } from '@ddc/ledger';
import { AccessKeyStore, type AccessKey } from '../keys/store.js';
import { BucketNames, type NamedBucket } from './bucket-names.js';
import { MultipartStore } from './multipart/store.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export interface S3Limits {
  /** Largest PutObject (S3: 5 GiB). */
  maxPutBytes: number;
  /** Largest part (S3: 5 GiB). */
  maxPartBytes: number;
  /** Smallest part but the last (S3: 5 MiB). */
  minPartBytes: number;
  /** Most parts in an upload (S3: 10,000). */
  maxParts: number;
  /** Largest XML request body. */
  maxXmlBytes: number;
}

export const DEFAULT_S3_LIMITS: S3Limits = {
  maxPutBytes: 5 * GiB,
  maxPartBytes: 5 * GiB,
  minPartBytes: 5 * MiB,
  maxParts: 10_000,
  maxXmlBytes: 4 * MiB,
};

export interface S3Config {
  /** The SDK client; its identity should be keys.signing (shard writes then need no extra token). */
  client: DdcClient;
  /** The gateway's DDC identity: owner of the buckets it creates, audience of the tokens it is given. */
  keys: UserKeys;
  /** Bucket visibility and token chain ids; signs CreateBucket/DeleteBucket when it has an account. */
  ledger?: Ledger | undefined;
  /** Cluster CreateBucket puts new buckets in. */
  clusterId?: number | undefined;
  /** Holds s3-keys.json, s3-buckets.json and s3-multipart/. */
  dataDir: string;
  /** Reported in bucket locations (any region is accepted in signatures). Default us-east-1. */
  region?: string | undefined;
  /** Host names (no port) of the gateway: `BUCKET.<name>` selects the bucket (virtual-host style). Default ['localhost']. */
  virtualHostBases?: string[] | undefined;
  limits?: Partial<S3Limits> | undefined;
  /** Clock for signature times (tests). */
  now?: (() => number) | undefined;
}

export interface S3Context {
  readonly config: S3Config;
  readonly limits: S3Limits;
  readonly region: string;
  readonly accessKeys: AccessKeyStore;
  readonly buckets: BucketNames;
  readonly multipart: MultipartStore;
  /** The handle an access key (or nobody: null) uses for a named bucket; cached. */
  handle(bucket: NamedBucket, key: AccessKey | null): BucketHandle;
  /** The token of a key (decoded once), or undefined for an owner key. */
  tokenOf(key: AccessKey): CapabilityToken | undefined;
  now(): number;
}

/** Opens the data dir's stores and returns what handleS3 needs. */
export async function createS3Context(config: S3Config): Promise<S3Context> {
  const accessKeys = await AccessKeyStore.open(config.dataDir);
  const buckets = await BucketNames.open(config.dataDir);
  const multipart = await MultipartStore.open(config.dataDir);
  const handles = new Map<string, BucketHandle>();
  const tokens = new Map<string, CapabilityToken>();
  const tokenOf = (key: AccessKey): CapabilityToken | undefined => {
    if (key.token === undefined) return undefined;
    let t = tokens.get(key.token);
    if (!t) {
      t = tokenFromText(key.token);
      tokens.set(key.token, t);
    }
    return t;
  };
  const ledger = config.ledger;
  return {
    config,
    limits: { ...DEFAULT_S3_LIMITS, ...config.limits },
    region: config.region ?? 'us-east-1',
    accessKeys,
    buckets,
    multipart,
    tokenOf,
    now: config.now ?? Date.now,
    handle(bucket, key) {
      const token = key ? tokenOf(key) : undefined;
      const id = `${bucket.id}:${key === null ? 'anonymous' : (token?.idHex ?? 'owner')}`;
      let h = handles.get(id);
      if (!h) {
        const common = ledger ? { ledger } : {};
        h = key === null
          ? config.client.bucket(bucket.id, common)
          : config.client.bucket(bucket.id, { keys: config.keys, ...(token ? { token } : {}), ...common });
        if (handles.size > 10_000) handles.clear();
        handles.set(id, h);
      }
      return h;
    },
  };
}
