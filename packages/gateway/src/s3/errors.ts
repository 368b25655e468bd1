/**
 * S3 errors: the codes and statuses S3 clients expect (AWS "Error responses" list), and the
 * mapping of DDC errors onto them. Every answer the S3 API gives on failure is one of these.
 */
import { DdcError } from '@ddc/core';

export const S3_ERROR_STATUS = {
  AccessDenied: 403,
  AuthorizationHeaderMalformed: 400,
  AuthorizationQueryParametersError: 400,
  BadDigest: 400,
  BucketAlreadyExists: 409,
  BucketAlreadyOwnedByYou: 409,
  BucketNotEmpty: 409,
  EntityTooLarge: 400,
  EntityTooSmall: 400,
  IncompleteBody: 400,
  InternalError: 500,
  InvalidAccessKeyId: 403,
  InvalidArgument: 400,
  InvalidBucketName: 400,
  InvalidDigest: 400,
  InvalidPart: 400,
  InvalidPartOrder: 400,
  InvalidRange: 416,
  InvalidRequest: 400,
  InvalidURI: 400,
  KeyTooLongError: 400,
  MalformedXML: 400,
  MetadataTooLarge: 400,
  MethodNotAllowed: 405,
  MissingContentLength: 411,
  NoSuchBucket: 404,
  NoSuchKey: 404,
  NoSuchUpload: 404,
  NotImplemented: 501,
  PreconditionFailed: 412,
  RequestTimeTooSkewed: 403,
  ServiceUnavailable: 503,
  SignatureDoesNotMatch: 403,
  SlowDown: 503,
  XAmzContentSHA256Mismatch: 400,
} as const;

export type S3ErrorCode = keyof typeof S3_ERROR_STATUS;

/** An S3 error answer: `<Error><Code>…</Code><Message>…</Message>…</Error>` with its status. */
export class S3Error extends Error {
  readonly code: S3ErrorCode;
  readonly status: number;
  /** Extra elements of the error document (e.g. BucketName, Key, UploadId). */
  readonly extra: Record<string, string>;
  constructor(code: S3ErrorCode, message: string, extra: Record<string, string> = {}, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'S3Error';
    this.code = code;
    this.status = S3_ERROR_STATUS[code];
    this.extra = extra;
  }
}

export function isS3Error(e: unknown): e is S3Error {
  return e instanceof S3Error;
}

/** DDC codes whose S3 meaning is clear; anything else is an InternalError (500) or, for 503s, ServiceUnavailable. */
const FROM_DDC: Record<string, S3ErrorCode> = {
  DDC_NO_SUCH_KEY: 'NoSuchKey',
  DDC_NO_SUCH_BUCKET: 'NoSuchBucket',
  DDC_INVALID_RANGE: 'InvalidRange',
  DDC_INVALID_ARGUMENT: 'InvalidArgument',
  DDC_TOO_LARGE: 'EntityTooLarge',
  DDC_NOT_A_READER: 'AccessDenied',
  DDC_UNAUTHENTICATED: 'AccessDenied',
  DDC_TOKEN_REQUIRED: 'AccessDenied',
  DDC_TOKEN_INVALID: 'AccessDenied',
  DDC_TOKEN_EXPIRED: 'AccessDenied',
  DDC_TOKEN_NOT_YET_VALID: 'AccessDenied',
  DDC_TOKEN_REVOKED: 'AccessDenied',
  DDC_TOKEN_WRONG_BUCKET: 'AccessDenied',
  DDC_TOKEN_OP_DENIED: 'AccessDenied',
  DDC_TOKEN_PREFIX_DENIED: 'AccessDenied',
  DDC_TOKEN_WIDENED: 'AccessDenied',
  DDC_TOKEN_AUDIENCE: 'AccessDenied',
  DDC_TOKEN_NOT_OWNER: 'AccessDenied',
  DDC_BUSY: 'SlowDown',
};

/** Any thrown value as an S3Error (a DDC error keeps its code and message, which carries its hint). */
export function toS3Error(err: unknown): S3Error {
  if (err instanceof S3Error) return err;
  if (err instanceof DdcError) {
    const code = FROM_DDC[err.code] ?? (err.status === 503 ? 'ServiceUnavailable' : 'InternalError');
    return new S3Error(code, `${err.code}: ${err.message}`, {}, { cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new S3Error('InternalError', message, {}, { cause: err });
}
