/** Request authentication and bucket authorization on the node (docs/ACCESS.md, docs/PROTOCOL.md). */
export { authenticateRequest, authorizeBucketOp, bucketInfo, unauthenticated, type RequestAuth, type BucketOp } from './authenticate.js';
export { requireSignedWrite, authorizeShardPut, recordShardPut, deleteShardAuthorized, EMPTY_SHA256, type ShardPutGrant } from './shard-access.js';
export { openNodeAuth, type NodeAuth } from './node-auth.js';
export { BucketDirectory, BUCKET_TTL_MS, TOKEN_REVOKED_TOPIC, type BucketInfo, type BucketDirectoryOptions } from './bucket-directory.js';
export { ShardRefs, UNOWNED, AUTH_FORMAT, AUTH_VERSION } from './shard-refs.js';
export { AUTH_DEFAULTS, parseAuthConfig, type AuthConfig } from './config.js';
