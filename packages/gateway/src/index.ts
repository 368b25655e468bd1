/** @ddc/gateway: S3, plain HTTP and IPFS trustless gateway over the DDC SDK. */
export { GatewayHttpError, httpErrorOf } from './errors.js';
