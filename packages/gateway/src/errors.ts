/**
 * Errors the gateway answers with outside S3 (plain HTTP and IPFS paths). S3 answers use
 * their own XML error codes (src/s3/); everything else is a JSON body with a stable code.
 */
import { DdcError, statusOf } from '@ddc/core';

/** An HTTP answer the gateway gives on purpose: status, stable code, a message that says how to fix. */
export class GatewayHttpError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'GatewayHttpError';
    this.status = status;
    this.code = code;
  }
}

/** Maps any thrown value to {status, code, message} for an HTTP answer. */
export function httpErrorOf(err: unknown): { status: number; code: string; message: string } {
  if (err instanceof GatewayHttpError) return { status: err.status, code: err.code, message: err.message };
  if (err instanceof DdcError) {
    return { status: statusOf(err.code), code: err.code, message: err.message };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { status: 500, code: 'DDC_INTERNAL', message };
}
