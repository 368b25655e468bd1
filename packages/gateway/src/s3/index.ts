export { handleS3, isVirtualHostRequest, DEFAULT_VIRTUAL_HOST_BASES } from './handler.js';
export { createS3Context, DEFAULT_S3_LIMITS, type S3Config, type S3Context, type S3Limits } from './context.js';
export { BucketNames, BUCKETS_FILE, checkBucketName, type NamedBucket } from './bucket-names.js';
export { S3Error, S3_ERROR_STATUS, toS3Error, type S3ErrorCode } from './errors.js';
export { MultipartStore, MULTIPART_DIR, type PartInfo, type PartStorer } from './multipart/store.js';
