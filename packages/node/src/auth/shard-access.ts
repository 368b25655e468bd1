/**
 * Who may write shards (docs/PROTOCOL.md "Authentication"). Every PUT, POST and DELETE is
 * signed (unless auth.anonymousWrites, for tests). A shard PUT is open to any signer; with
 * a bucket token (op put) the node also records that the bucket references the shard. A
 * shard DELETE by a peer removes the shard; by a token (op delete) it removes that bucket's
 * reference, and the shard only once no reference is left. Shards put without a token are
 * "unowned": no user token removes them (repair and scrub, being peers, still can).
 */
import type { IncomingMessage } from 'node:http';
import { DdcError } from '@ddc/core';
import { shardNotFound } from '../errors.js';
import type { NodeContext } from '../http/context.js';
import { authenticateRequest, authorizeBucketOp, unauthenticated, type RequestAuth } from './authenticate.js';
import { UNOWNED } from './shard-refs.js';

/** What a shard PUT is allowed to record once the shard is stored. */
export interface ShardPutGrant {
  /** The bucket whose token came with the PUT. */
  bucket?: number;
  /** From a cluster peer moving or rebuilding the shard: the references it holds for it (`?refs=`). */
  peerRefs?: number[];
}

const MAX_PEER_REFS = 256;

function peerRefsOf(url: string): number[] | undefined {
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  const v = new URLSearchParams(url.slice(q + 1)).get('refs');
  if (v === null || v === '') return undefined;
  const refs = v.split(',').map(Number);
  if (refs.length > MAX_PEER_REFS || refs.some((r) => !Number.isSafeInteger(r) || r < 0)) {
    throw new DdcError('DDC_INVALID_ARGUMENT', `refs=${v.slice(0, 80)} is not a list of at most ${MAX_PEER_REFS} bucket ids`, { hint: 'Send ?refs=<id>,<id> (0 for an unowned shard)' });
  }
  return [...new Set(refs)];
}

/**
 * A write that must be signed: the signer, or null for an unsigned write on a node with
 * auth.anonymousWrites. `bodySha256Hex`: see authenticateRequest.
 */
export async function requireSignedWrite(ctx: NodeContext, req: IncomingMessage, bodySha256Hex: string | null): Promise<RequestAuth | null> {
  const auth = await authenticateRequest(ctx, req, req.url ?? '/', bodySha256Hex);
  if (!auth && !ctx.auth.config.anonymousWrites) throw unauthenticated(`${req.method ?? 'a'} ${(req.url ?? '/').split('?')[0]}`);
  return auth;
}

/** Checks a shard PUT's headers before its body is read. */
export async function authorizeShardPut(ctx: NodeContext, req: IncomingMessage): Promise<ShardPutGrant> {
  const auth = await requireSignedWrite(ctx, req, null);
  const token = auth?.request.token;
  // Only a cluster node may say which buckets reference a shard (the query is signed with it).
  const peerRefs = auth?.isPeer ? peerRefsOf(req.url ?? '') : undefined;
  if (peerRefs) return { peerRefs };
  if (!token) return {};
  // A shard belongs to no key: the token must allow put somewhere in the bucket (its own prefix).
  await authorizeBucketOp(ctx, auth, { bucket: token.bucket, op: 'put', key: token.prefix });
  return { bucket: token.bucket };
}

/**
 * The references a PUT adds to those the shard has (`have`). A PUT without a token adds none
 * unless buckets already reference the shard (then the unowned reference); a PUT with one adds
 * the bucket's, plus the unowned reference when the shard was already here with none (it was put
 * without a token before); a peer's adds those it sent.
 */
export function claimsToAdd(grant: ShardPutGrant, have: readonly number[], created: boolean): number[] {
  if (grant.peerRefs) return grant.peerRefs.filter((r) => !have.includes(r));
  if (grant.bucket === undefined) return have.length > 0 && !have.includes(UNOWNED) ? [UNOWNED] : [];
  const add = have.includes(grant.bucket) ? [] : [grant.bucket];
  if (!created && have.length === 0) add.push(UNOWNED);
  return add;
}

/**
 * Records the references of a shard a PUT found already stored (durably, before the answer); a
 * PUT that creates the shard commits them with it (store.beginPut's `claims`).
 */
export async function recordShardPut(ctx: NodeContext, id: string, grant: ShardPutGrant, created: boolean): Promise<void> {
  const { refs } = ctx.auth;
  // The common case, an anonymous PUT of a shard no bucket claims: nothing to write, no lock.
  if (grant.bucket === undefined && grant.peerRefs === undefined && refs.list(id).length === 0) return;
  await refs.withLock(id, async () => {
    const add = claimsToAdd(grant, refs.list(id), created);
    await refs.add(id, add);
    // A DELETE may have removed the shard between its commit and this lock: then the PUT did not take.
    if (!ctx.store.meta(id)) {
      await refs.remove(id, add);
      throw new DdcError('DDC_BUSY', `shard ${id} was deleted while it was being stored`, { hint: 'Retry the PUT', details: { retryAfter: 1 } });
    }
  });
}

/** DELETE /v1/shards/{id}: true when the shard itself was removed, false when only a reference was. */
export async function deleteShardAuthorized(ctx: NodeContext, req: IncomingMessage, id: string): Promise<boolean> {
  const auth = await requireSignedWrite(ctx, req, EMPTY_SHA256);
  const { refs } = ctx.auth;
  if (!auth || auth.isPeer) {
    return refs.withLock(id, async () => {
      if (!(await ctx.store.delete(id))) throw shardNotFound(id);
      await refs.remove(id);
      return true;
    });
  }
  const token = auth.request.token;
  if (!token) {
    throw new DdcError('DDC_TOKEN_REQUIRED', `deleting shard ${id} needs a bucket token with delete (or a cluster node's key)`, { hint: 'Send the token of a bucket that stored the shard in x-ddc-token' });
  }
  const bucket = token.bucket;
  await authorizeBucketOp(ctx, auth, { bucket, op: 'delete', key: token.prefix });
  return refs.withLock(id, async () => {
    const have = refs.list(id);
    if (!have.includes(bucket)) {
      if (!ctx.store.meta(id)) throw shardNotFound(id);
      throw new DdcError('DDC_TOKEN_WRONG_BUCKET', `bucket ${bucket} holds no reference to shard ${id}`, { hint: 'Delete a shard with the token of a bucket that stored it' });
    }
    const last = have.length === 1;
    // Bytes first, then the reference: a crash between leaves a stale reference, never an unreferenced shard of a bucket.
    const removed = last ? await ctx.store.delete(id) : false;
    await refs.remove(id, [bucket]);
    return removed;
  });
}

/** SHA-256 of the empty string: the digest a body-less DELETE signs. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
