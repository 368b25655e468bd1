/**
 * What every request handler gets (S3, plain HTTP, IPFS): the SDK client, the gateway's
 * identity, the ledger, the edge cache and the config. One per running gateway.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { UserKeys } from '@ddc/core';
import type { DdcClient } from '@ddc/client';
import type { Ledger } from '@ddc/ledger';
import type { GatewayConfig } from './config.js';
import type { DiskBlockCache } from './cache/block-cache.js';

export interface GatewayContext {
  config: GatewayConfig;
  /** The SDK client over the cluster, signing as the gateway's key, reading through the cache. */
  client: DdcClient;
  /** The gateway's own identity (docs/GATEWAY.md "Identity"). */
  keys: UserKeys;
  /** The ledger (bucket owners and visibility, CreateBucket); undefined with a descriptor-file cluster. */
  ledger: Ledger | undefined;
  /** The cluster's id on chain, for new buckets. */
  clusterId: number | undefined;
  /** The edge cache; undefined when cache.maxBytes is 0. */
  cache: DiskBlockCache | undefined;
  /** S3 bucket names → DDC bucket ids, when the S3 side has one (`/ddc/<name>/<key>` uses it). */
  bucketNames?: BucketNameResolver;
  /** Aborted when the gateway closes: long reads stop. */
  signal: AbortSignal;
}

export interface BucketNameResolver {
  /** The DDC bucket id of an S3 bucket name, or undefined. */
  idOf(name: string): Promise<number | undefined>;
}

/** Handles one request completely (answers errors itself). */
export type Handler = (req: IncomingMessage, res: ServerResponse, ctx: GatewayContext) => Promise<void>;
