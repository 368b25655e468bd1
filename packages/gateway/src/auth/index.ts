export {
  authenticate, headerMap, uriEncode, canonicalRequest, signingKey, parseAmzDate, formatAmzDate,
  ALGORITHM, UNSIGNED_PAYLOAD, STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER, MAX_SKEW_MS, MAX_PRESIGN_SECONDS,
  type Authenticated, type PayloadCheck, type SigV4Request, type StreamingSigner, type SecretLookup,
} from './sigv4.js';
export { AwsChunkedDecoder, decodeAwsChunked, type ChunkedOptions } from './chunked.js';
export { verifiedPayload, type VerifiedPayload, type PayloadOptions } from './payload.js';
export { createChecksum, CHECKSUM_ALGORITHMS, type ChecksumAlgorithm } from './checksums.js';
