import { DdcClient, type PlatformHooks } from './client.js';
import type { ClientOptions } from './options.js';

export { DdcClient } from './client.js';
export type { PutOptions, PutResult, GetOptions, StatResult, VerifyResult, CidInput, PlatformHooks } from './client.js';
export type { ClientOptions, BlockCache } from './options.js';
export { StaticMembership, type Membership, type ClusterView } from './membership.js';
export { ChainMembership, clusterViewFromChain, type ChainMembershipOptions, type ChainMembershipChange } from './membership-chain.js';
export type { Transport, PieceShardInfo } from './transport/types.js';
export { FetchTransport } from './transport/fetch.js';
export { requestSigner, pathAndQuery, EMPTY_SHA256, type RequestSigner, type SignOptions } from './request-signer.js';
export type { MissingShard, UploadContext, ShardToPut } from './put/upload.js';
export { ShardPutBatcher } from './put/put-batcher.js';
export { NodeHealth } from './node-health.js';
export { DEFAULT_RETRY, type RetryOptions } from './retry.js';
export { writeQuorum } from './put/upload.js';
export type { PieceReport, ShardReport, ShardStatus } from './inspect.js';
export type { Progress, ProgressHandler } from './progress.js';
export type { PutSource } from './sources.js';
export { chunksOf } from './sources.js';
export * from './errors.js';
export * from './objects/index.js';

/** A client for browsers and other Fetch API runtimes. */
export function createClient(options: ClientOptions, platform?: PlatformHooks): DdcClient {
  return new DdcClient(options, platform);
}
