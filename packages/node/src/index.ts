/** @ddc/node: the DDC storage node (piece store on disk + HTTP API v1, docs/PROTOCOL.md). */
// First: node:crypto's SHA-256 replaces core's portable one (about 8x faster) before any hashing.
import '@ddc/client/platform/node-crypto';
export { startNode, stderrLogger, nodeIdFromPublicKey, type RunningNode, type StartNodeOptions } from './node.js';
export { runNodeFromConfigFile } from './main.js';
export { loadNodeConfig, parseNodeConfig, NODE_CONFIG_DEFAULTS, type NodeConfig, type NodeConfigInput, type NodeFaults, type NodeChainConfig } from './config.js';
export { PieceStore, type PieceStoreOptions, type ListedShard } from './store/piece-store.js';
export type { ShardUpload, PutResult } from './store/upload.js';
export type { ShardMeta, ShardLocation } from './store/meta-codec.js';
export { STORE_FORMAT, STORE_VERSION } from './store/layout.js';
export { parseRoute, canonicalCid, MAX_URL_BYTES, type Route } from './http/router.js';
export type { ChallengeAnswer } from './http/challenge.js';
export { loadOrCreateIdentity, IDENTITY_KEY_FILE, type NodeIdentity } from './identity.js';
export type { Logger } from './http/respond.js';
export { NODE_VERSION } from './version.js';
export {
  REPAIR_DEFAULTS, SCRUB_DEFAULTS, DEV_REPAIR_CONFIG, DEV_SCRUB_CONFIG, PRIORITY_FACTORS,
  type RepairConfig, type ScrubConfig, type RepairPriority,
} from './workers/config.js';
export type { RepairRunSummary, RepairStatus, RepairFailure } from './workers/repair.js';
export type { ScrubPassSummary, ScrubStatus, ScrubFinding } from './workers/scrub.js';
export type { MembershipStatus } from './membership/node-membership.js';
export { TokenBucket, type TokenBucketClock } from './workers/token-bucket.js';
export { AUTH_DEFAULTS, type AuthConfig } from './auth/config.js';
export { DdcError, isDdcError, ERROR_STATUS, type DdcErrorCode } from './errors.js';
