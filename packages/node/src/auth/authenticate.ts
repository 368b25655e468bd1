/**
 * Who sent a request, and may they touch a bucket (docs/ACCESS.md). authenticateRequest
 * checks a signed request (format and signature, body digest, audience, time and nonce)
 * and says whether the signer is a peer: a node of the current membership, or this node.
 * authorizeBucketOp applies the bucket rules: public buckets are open to get/list, peers
 * may get/list any bucket, everything else needs a capability token valid on the ledger.
 */
import type { IncomingMessage } from 'node:http';
import { DdcError, parseSignedRequest, UNSIGNED_PAYLOAD, verifyTokenChain, type SignedRequest, type TokenOp } from '@ddc/core';
import type { ClusterView } from '@ddc/client';
import type { NodeContext } from '../http/context.js';
import type { BucketInfo } from './bucket-directory.js';

export interface RequestAuth {
  request: SignedRequest;
  /** The signer is this node or a node of its current membership. */
  isPeer: boolean;
}

export interface BucketOp {
  bucket: number;
  op: TokenOp;
  /** The object key the request touches ("" for bucket-wide operations). */
  key: string;
}

const peerKeyCache = new WeakMap<ClusterView, ReadonlySet<string>>();

function peerKeys(view: ClusterView): ReadonlySet<string> {
  let keys = peerKeyCache.get(view);
  if (!keys) {
    keys = new Set(view.nodes.flatMap((n) => (n.publicKey ? [n.publicKey] : [])));
    peerKeyCache.set(view, keys);
  }
  return keys;
}

async function isPeerKey(ctx: NodeContext, keyHex: string): Promise<boolean> {
  if (keyHex === ctx.auth.publicKey) return true;
  if (!ctx.workers) return false;
  try {
    return peerKeys((await ctx.workers.membership.current()).view).has(keyHex);
  } catch {
    return false; // no membership view yet: nobody is a peer
  }
}

export function unauthenticated(what: string): DdcError {
  return new DdcError('DDC_UNAUTHENTICATED', `${what} must be signed`, {
    hint: 'Sign it with x-ddc-* headers (docs/ACCESS.md "Signed requests v1"); the SDK and the node\'s workers do so',
  });
}

/**
 * The request's signer, or null when it carries no signature. `pathAndQuery` is the URL as
 * received; `bodySha256Hex` the hex SHA-256 of the body read, or null for a streamed shard
 * PUT, which must declare UNSIGNED-PAYLOAD (its id binds the bytes). Throws
 * DDC_REQUEST_MALFORMED, DDC_SIGNATURE_INVALID, DDC_REQUEST_AUDIENCE, DDC_REQUEST_STALE or
 * DDC_REQUEST_REPLAYED.
 */
export async function authenticateRequest(ctx: NodeContext, req: IncomingMessage, pathAndQuery: string, bodySha256Hex: string | null): Promise<RequestAuth | null> {
  const request = parseSignedRequest(req.headers, req.method ?? 'GET', pathAndQuery);
  if (!request) return null;
  if (bodySha256Hex === null) {
    if (request.contentSha256 !== UNSIGNED_PAYLOAD) {
      throw new DdcError('DDC_REQUEST_MALFORMED', `a shard PUT is signed with x-ddc-content-sha256: ${UNSIGNED_PAYLOAD}`, { hint: 'The shard id in the path already binds the bytes; sign UNSIGNED-PAYLOAD' });
    }
  } else if (request.contentSha256 !== bodySha256Hex) {
    if (request.contentSha256 === UNSIGNED_PAYLOAD) {
      throw new DdcError('DDC_REQUEST_MALFORMED', `only shard PUTs may be signed with ${UNSIGNED_PAYLOAD}`, { hint: 'Sign the hex SHA-256 of the body (of the empty string when there is none)' });
    }
    throw new DdcError('DDC_SIGNATURE_INVALID', 'the body\'s SHA-256 is not the signed x-ddc-content-sha256', { hint: 'Sign the body exactly as sent; check that no proxy rewrites it' });
  }
  // Last: the nonce is spent only by a request that is otherwise good.
  ctx.auth.guard.check(request, ctx.auth.audience);
  return { request, isPeer: await isPeerKey(ctx, request.keyHex) };
}

/** The bucket from the ledger; DDC_BUCKETS_UNAVAILABLE without `chain`, DDC_NO_SUCH_BUCKET if it is not in this node's cluster. */
export async function bucketInfo(ctx: NodeContext, bucket: number): Promise<BucketInfo> {
  const dir = ctx.auth.directory;
  if (!dir) {
    throw new DdcError('DDC_BUCKETS_UNAVAILABLE', 'this node has no ledger connection, so it cannot serve buckets', { hint: 'Start the node with "chain" in its config (or use `ddc dev --chain`)' });
  }
  const info = await dir.bucket(bucket);
  if (ctx.auth.clusterId !== undefined && info.clusterId !== ctx.auth.clusterId) {
    throw new DdcError('DDC_NO_SUCH_BUCKET', `bucket ${bucket} lives in cluster ${info.clusterId}, not in this node's cluster ${ctx.auth.clusterId}`, { hint: 'Send the request to a node of the bucket\'s cluster' });
  }
  return info;
}

/**
 * Resolves when `auth` may perform `op` on `key` in `bucket`; otherwise throws
 * DDC_UNAUTHENTICATED or DDC_TOKEN_REQUIRED (no signature, no token), a DDC_TOKEN_* code
 * from the chain check, DDC_NO_SUCH_BUCKET or DDC_BUCKETS_UNAVAILABLE.
 */
export async function authorizeBucketOp(ctx: NodeContext, auth: RequestAuth | null, o: BucketOp): Promise<void> {
  const info = await bucketInfo(ctx, o.bucket);
  const read = o.op === 'get' || o.op === 'list';
  if (read && info.isPublic) return;
  if (!auth) throw unauthenticated(`${o.op} in private bucket ${o.bucket}`);
  if (read && auth.isPeer) return;
  const token = auth.request.token;
  if (!token) {
    throw new DdcError('DDC_TOKEN_REQUIRED', `${o.op} in bucket ${o.bucket} needs a capability token`, { hint: 'Send a token for this bucket in x-ddc-token (the bucket owner issues them)' });
  }
  await verifyTokenChain(token, { bucket: o.bucket, op: o.op, key: o.key, requester: auth.request.key }, ctx.auth.directory!);
}
