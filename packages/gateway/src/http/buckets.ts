/**
 * What /ddc/ needs to know of a bucket: its id (a number, or an S3 name the gateway knows),
 * its owner and whether it is public, from the ledger, remembered for a few seconds so a
 * burst of reads costs one chain call.
 */
import { DdcError, isDdcError, type TokenLedgerView } from '@ddc/core';
import { getBucket, isTokenRevoked } from '@ddc/ledger';
import { GatewayHttpError } from '../errors.js';
import type { GatewayContext } from '../context.js';

export interface BucketInfo {
  id: number;
  /** Unknown without a ledger (a descriptor-file cluster): reads are tried anonymously. */
  isPublic: boolean | undefined;
  owner: `0x${string}` | undefined;
}

const TTL_MS = 5000;
const MAX_ENTRIES = 10_000;
const infoCache = new WeakMap<GatewayContext, Map<number, { at: number; info: BucketInfo }>>();

export async function resolveBucketId(ctx: GatewayContext, segment: string): Promise<number> {
  if (/^[1-9][0-9]{0,15}$/.test(segment)) return Number(segment);
  const id = await ctx.bucketNames?.idOf(segment);
  if (id === undefined) {
    throw new GatewayHttpError(404, 'DDC_NO_SUCH_BUCKET', `no bucket "${segment}". Use the bucket's number, or a name this gateway's S3 side knows`);
  }
  return id;
}

export async function bucketInfo(ctx: GatewayContext, id: number): Promise<BucketInfo> {
  if (!ctx.ledger) return { id, isPublic: undefined, owner: undefined };
  let cache = infoCache.get(ctx);
  if (!cache) infoCache.set(ctx, (cache = new Map()));
  const hit = cache.get(id);
  if (hit && Date.now() - hit.at < TTL_MS) return hit.info;
  let info: BucketInfo;
  try {
    const b = await getBucket(ctx.ledger, id);
    info = { id, isPublic: b.isPublic, owner: b.owner };
  } catch (e) {
    if (isDdcError(e, 'DDC_NO_SUCH_BUCKET') || (isDdcError(e, 'DDC_LEDGER_REVERT') && /NoSuchBucket|BucketNotFound|not found/i.test(e.message))) {
      throw new GatewayHttpError(404, 'DDC_NO_SUCH_BUCKET', `bucket ${id} does not exist on the ledger. Check the bucket id`);
    }
    throw e;
  }
  if (cache.size >= MAX_ENTRIES) cache.clear();
  cache.set(id, { at: Date.now(), info });
  return info;
}

/** The ledger as token verification needs it. */
export function tokenLedgerView(ctx: GatewayContext): TokenLedgerView {
  const ledger = ctx.ledger;
  if (!ledger) throw new DdcError('DDC_INVALID_CONFIG', 'tokens cannot be checked without a ledger', { hint: 'Start the gateway with chain settings' });
  return {
    chainId: ledger.deployment.chainId,
    bucketOwner: async (bucket) => {
      const info = await bucketInfo(ctx, bucket);
      if (!info.owner) throw new DdcError('DDC_NO_SUCH_BUCKET', `bucket ${bucket} has no owner`);
      return info.owner;
    },
    isRevoked: (bucket, idHex) => isTokenRevoked(ledger, bucket, idHex),
  };
}
