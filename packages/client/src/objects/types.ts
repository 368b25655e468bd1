/** Options and results of the bucket API (client.bucket(id)). */
import type { CapabilityToken, Delegation, ObjectRecord, PublicIdentity, TokenOp, UserKeys } from '@ddc/core';
import type { Ledger } from '@ddc/ledger';
import type { PutSource } from '../sources.js';
import type { ProgressHandler } from '../progress.js';

/**
 * The keys a handle signs and decrypts with. `evm` only signs the owner's delegation, so
 * a browser owner whose wallet signed one (`delegation`) passes signing + encryption only.
 */
export type BucketKeys = Omit<UserKeys, 'evm'> & { evm?: UserKeys['evm'] };

export interface BucketOptions {
  /** The user's keys: the owner's (no token) or a reader's/writer's (with a token). */
  keys?: BucketKeys;
  /** A capability token (object or `ddct1…` text) whose audience is keys.signing (or the client's identity). */
  token?: CapabilityToken | string;
  /** For the bucket's visibility, the chain id of the owner's delegation, and revocations (unshare). */
  ledger?: Ledger;
  /** Skip the ledger lookup. Default: the ledger's answer; without a ledger, private when keys or a token are given. */
  isPublic?: boolean;
  /** The owner's delegation when a browser wallet signed it (requestDelegation); otherwise keys.evm signs one. */
  delegation?: Delegation;
  /** The chain id for the owner's delegation when no ledger is given. */
  chainId?: number;
}

export type { PutSource };

export interface ObjectPutOptions {
  contentType?: string;
  metadata?: Record<string, string>;
  /** Encrypt on the client. Default: true in a private bucket, false in a public one. */
  encrypt?: boolean;
  /** Readers besides the writer who get a data key (EDEK) at once. */
  readers?: (PublicIdentity | string)[];
  signal?: AbortSignal;
  onProgress?: ProgressHandler;
}

export interface ObjectPutResult {
  version: string;
  cid: string;
  /** Bytes of the object (plaintext). */
  size: number;
}

export interface ObjectGetOptions {
  version?: string;
  /** Plaintext bytes [offset, offset + length). */
  range?: { offset: number; length?: number };
  /** For a group-shared object: at least t opened shares (bucket.openGroupShare by each member). */
  groupShares?: Uint8Array[];
  signal?: AbortSignal;
  onProgress?: ProgressHandler;
}

export interface ObjectGetResult {
  record: ObjectRecord;
  /** The object's bytes (decrypted), verified as they are read. */
  body: ReadableStream<Uint8Array>;
  /**
   * Optional: hands back a chunk of `body` the reader is done with (written out, hashed), so the
   * client reads later pieces into its memory instead of allocating. The chunk must not be read again.
   */
  recycle(chunk: Uint8Array): void;
}

export interface ListObjectsOptions {
  prefix?: string;
  delimiter?: string;
  /** At most this many objects and common prefixes together. Default 1000. */
  maxKeys?: number;
  continuationToken?: string | null;
  signal?: AbortSignal;
}

export interface ObjectSummary {
  key: string;
  size: number;
  version: string;
  cid: string;
  /** Unix ms of the version. */
  time: number;
  contentType: string;
  /** The record's metadata (S3 gateways keep the ETag there). */
  metadata: Record<string, string>;
}

export interface ListObjectsResult {
  objects: ObjectSummary[];
  commonPrefixes: string[];
  nextContinuationToken: string | null;
  isTruncated: boolean;
}

export interface DeleteVersionOptions {
  /**
   * Delete the version's shards too. Default: for an encrypted version (its ciphertext is
   * unique to it); a plaintext version may share pieces with other objects (content
   * addressing), so its shards are kept unless this is true.
   */
  deleteShards?: boolean;
  signal?: AbortSignal;
}

export interface DeleteVersionResult {
  /** The version of the purge record. */
  version: string;
  purged: string;
  /** Shards deleted, or null when none were to be (kept, shared, or a delete marker). */
  shards: { deleted: number; failed: number; unreadable: number } | null;
}

export interface ShareOptions {
  /** Unix seconds (or a Date) when the token stops working. */
  expiresAt: number | Date;
  /** Default ['get']. */
  ops?: TokenOp[];
  signal?: AbortSignal;
}

export interface ShareResult {
  /** The token text (`ddct1…`) to give the recipient, with the bucket id and key. */
  token: string;
  /** The record version that holds the recipient's data key (the current one if unencrypted). */
  version: string;
}

export interface UnshareOptions {
  /** Tokens given to the recipient: revoked on the ledger (needs a ledger with the owner's account). */
  revokeTokens?: (CapabilityToken | string)[];
  signal?: AbortSignal;
}

export interface UnshareResult {
  /** The new version, encrypted with a new data key for the remaining readers. */
  version: string;
  /** Versions purged (their records and shards). */
  purged: string[];
  /** Token ids revoked on the ledger. */
  revoked: string[];
}
