export { BucketHandle, type BucketPlatform } from './bucket.js';
export { requestDelegation, type Eip1193Provider, type DelegationRequest } from './wallet-delegation.js';
export { recordReplicas, bucketPlacementKey, RECORD_REPLICAS, RECORD_WRITE_QUORUM, RECORD_READ_QUORUM } from './replicas.js';
export type * from './types.js';
