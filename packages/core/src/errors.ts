/**
 * Typed errors with stable codes. Every error says what went wrong and how to fix it.
 * One table (ERROR_STATUS) maps codes to HTTP statuses for every server in the project.
 */

export const ERROR_STATUS = {
  DDC_INVALID_ARGUMENT: 400,
  DDC_INVALID_CID: 400,
  DDC_INVALID_RANGE: 416,
  DDC_INVALID_CONFIG: 400,
  DDC_INVALID_CLUSTER: 400,
  DDC_ERASURE_PARAMS: 400,
  DDC_SHARD_MALFORMED: 400,
  DDC_SHARD_UNSUPPORTED_VERSION: 400,
  DDC_SHARD_ROOT_MISMATCH: 422,
  DDC_SHARD_CORRUPT: 500,
  DDC_SHARD_NOT_FOUND: 404,
  DDC_PROOF_INVALID: 422,
  DDC_HEADER_MISMATCH: 502,
  DDC_CID_MISMATCH: 502,
  DDC_PIECE_UNRECOVERABLE: 503,
  DDC_DAG_MALFORMED: 502,
  DDC_WRITE_QUORUM: 503,
  DDC_NODE_UNAVAILABLE: 503,
  DDC_NODE_BAD_RESPONSE: 502,
  DDC_TOO_LARGE: 413,
  DDC_BUSY: 503,
  DDC_NOT_FOUND: 404,
  DDC_METHOD_NOT_ALLOWED: 405,
  DDC_STORE_VERSION: 500,
  DDC_STORE_LOCKED: 500,
  DDC_ABORTED: 499,
  DDC_TIMEOUT: 504,
  DDC_SHUTTING_DOWN: 503,
  DDC_KEY_INVALID: 400,
  DDC_SIGNATURE_INVALID: 422,
  DDC_EVIDENCE_INVALID: 400,
  DDC_LEDGER_REVERT: 409,
  DDC_LEDGER_UNAVAILABLE: 503,
  DDC_LEDGER_DEPLOYMENT: 400,
  DDC_LEDGER_ACCOUNT: 401,
  DDC_DEV_CHAIN: 500,
  DDC_MNEMONIC_INVALID: 400,
  DDC_KEYSTORE_INVALID: 400,
  DDC_KEYSTORE_PASSPHRASE: 401,
  DDC_PASSPHRASE_REQUIRED: 400,
  DDC_UNAUTHENTICATED: 401,
  DDC_REQUEST_MALFORMED: 400,
  DDC_REQUEST_STALE: 401,
  DDC_REQUEST_REPLAYED: 401,
  DDC_REQUEST_AUDIENCE: 401,
  DDC_TOKEN_REQUIRED: 401,
  DDC_TOKEN_INVALID: 401,
  DDC_TOKEN_EXPIRED: 401,
  DDC_TOKEN_NOT_YET_VALID: 401,
  DDC_TOKEN_REVOKED: 401,
  DDC_TOKEN_WRONG_BUCKET: 403,
  DDC_TOKEN_OP_DENIED: 403,
  DDC_TOKEN_PREFIX_DENIED: 403,
  DDC_TOKEN_WIDENED: 403,
  DDC_TOKEN_AUDIENCE: 403,
  DDC_TOKEN_NOT_OWNER: 403,
  DDC_DECRYPT_FAILED: 422,
  DDC_CIPHERTEXT_TRUNCATED: 422,
  DDC_EDEK_INVALID: 400,
  DDC_NOT_A_READER: 403,
  DDC_GROUP_THRESHOLD: 400,
  DDC_RECORD_INVALID: 400,
  DDC_NO_SUCH_KEY: 404,
  DDC_NO_SUCH_BUCKET: 404,
  DDC_RECORD_QUORUM: 503,
  DDC_BUCKETS_UNAVAILABLE: 503,
  DDC_INTERNAL: 500,
} as const;

export type DdcErrorCode = keyof typeof ERROR_STATUS;

export interface DdcErrorOptions {
  /** How to fix the cause, in one sentence. */
  hint?: string;
  cause?: unknown;
  /** Extra structured facts (ids, sizes) for logs and --json output. */
  details?: Record<string, unknown>;
}

export class DdcError extends Error {
  override readonly name = 'DdcError';
  readonly code: DdcErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: DdcErrorCode, message: string, options: DdcErrorOptions = {}) {
    super(options.hint ? `${message}. ${options.hint}` : message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toJSON(): { code: DdcErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

export function isDdcError(e: unknown, code?: DdcErrorCode): e is DdcError {
  return e instanceof DdcError && (code === undefined || e.code === code);
}

export function statusOf(code: string): number {
  return (ERROR_STATUS as Record<string, number>)[code] ?? 500;
}

/** Rebuilds a DdcError from a JSON body a peer sent ({code, message}). */
export function errorFromJSON(body: unknown, fallback: DdcErrorCode = 'DDC_NODE_BAD_RESPONSE'): DdcError {
  if (body && typeof body === 'object') {
    const b = body as { code?: unknown; message?: unknown; details?: unknown };
    if (typeof b.code === 'string' && b.code in ERROR_STATUS && typeof b.message === 'string') {
      const opts: DdcErrorOptions = {};
      if (b.details && typeof b.details === 'object') opts.details = b.details as Record<string, unknown>;
      return new DdcError(b.code as DdcErrorCode, b.message, opts);
    }
  }
  return new DdcError(fallback, 'the peer answered with an error this client cannot read', { hint: 'Check that the node runs the same DDC version as this client' });
}

export function abortError(signal?: AbortSignal): DdcError {
  return new DdcError('DDC_ABORTED', 'the operation was aborted', { cause: signal?.reason });
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw abortError(signal);
}
