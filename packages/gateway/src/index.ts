/** @ddc/gateway: S3, plain HTTP and IPFS trustless gateway over the DDC SDK. */
export { GatewayHttpError, httpErrorOf } from './errors.js';
export { startGateway, type RunningGateway } from './gateway.js';
export {
  resolveGatewayConfig, loadGatewayConfigFile, GATEWAY_DEFAULTS,
  type GatewayConfig, type GatewayOptions, type GatewayChainConfig, type GatewayIdentityConfig, type GatewayCacheConfig,
} from './config.js';
export { loadGatewayIdentity, IDENTITY_FILE } from './identity.js';
export { DiskBlockCache, type CacheStats } from './cache/block-cache.js';
export { createGatewayServer, type GatewayServer, type GatewayServerOptions, type RequestCounts } from './server.js';
export type { GatewayContext, Handler, BucketNameResolver } from './context.js';
export * from './s3/index.js';
export * from './keys/index.js';
export * from './auth/index.js';
