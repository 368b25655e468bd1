/**
 * The node's typed errors: core's DdcError codes, with constructors for the failures the
 * node raises itself so messages and hints stay the same everywhere.
 */
import { DdcError } from '@ddc/core';

export { DdcError, isDdcError, ERROR_STATUS, type DdcErrorCode } from '@ddc/core';

export function invalidConfig(what: string, hint: string, cause?: unknown): DdcError {
  return new DdcError('DDC_INVALID_CONFIG', `invalid node config: ${what}`, cause === undefined ? { hint } : { hint, cause });
}

export function shardNotFound(id: string): DdcError {
  return new DdcError('DDC_SHARD_NOT_FOUND', `this node holds no shard ${id}`, { details: { id } });
}

export function pieceShardNotFound(cid: string, index: number): DdcError {
  return new DdcError('DDC_SHARD_NOT_FOUND', `this node holds no shard of index ${index} of piece ${cid}`, { details: { pieceCid: cid, index } });
}

export function storeLocked(dir: string, holder: string): DdcError {
  return new DdcError('DDC_STORE_LOCKED', `the data folder ${dir} is in use by ${holder}`, {
    hint: 'Stop the other node or give this one its own dataDir; if no node runs there, delete the LOCK file',
    details: { dataDir: dir },
  });
}

export function storeVersion(dir: string, what: string): DdcError {
  return new DdcError('DDC_STORE_VERSION', `the data folder ${dir} ${what}`, {
    hint: 'Point dataDir at an empty folder or at a store written by this node version (ddc-node-store v1)',
    details: { dataDir: dir },
  });
}

export function busy(retryAfterSeconds: number): DdcError {
  return new DdcError('DDC_BUSY', 'the node write queue is full', {
    hint: `Retry after ${retryAfterSeconds} s`,
    details: { retryAfter: retryAfterSeconds },
  });
}

export function shuttingDown(): DdcError {
  return new DdcError('DDC_SHUTTING_DOWN', 'the node is shutting down', { hint: 'Send the request to another node or retry once it is back' });
}

export function tooLarge(limit: number, got?: number): DdcError {
  return new DdcError('DDC_TOO_LARGE', got === undefined ? `the body exceeds the ${limit}-byte limit` : `a ${got}-byte body exceeds the ${limit}-byte limit`, {
    hint: 'Send shards no larger than maxShardBytes',
    details: got === undefined ? { limit } : { limit, got },
  });
}

export function invalidArgument(message: string, hint?: string): DdcError {
  return new DdcError('DDC_INVALID_ARGUMENT', message, hint === undefined ? {} : { hint });
}

export function shardCorrupt(id: string, cause: unknown): DdcError {
  return new DdcError('DDC_SHARD_CORRUPT', `the stored shard ${id} fails verification`, {
    cause,
    hint: 'Read it from another node; scrub will repair this copy',
    details: { id },
  });
}

/** A full disk is the node's condition, not a bug: the client should place the shard elsewhere. */
export function diskError(e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new DdcError('DDC_NODE_UNAVAILABLE', 'the node has no disk space left for this shard', {
      cause: e,
      hint: 'Store the shard on another node; the operator must free space or add capacity',
    });
  }
  return e;
}
