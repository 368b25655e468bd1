/**
 * Blocks for the IPFS gateway: identity CIDs answer from the CID itself; sha2-256 blocks
 * come from the SDK (edge cache first, then the nodes), verified against their CID; other
 * hash functions cannot be in DDC. A block no node holds is a 404, not a 5xx.
 */
import { isDdcError, type CID } from '@ddc/core';
import { GatewayHttpError } from '../errors.js';
import type { GatewayContext } from '../context.js';

export const IDENTITY = 0x00;
const SHA2_256 = 0x12;

/** Outcomes of shard requests that mean "this node has nothing for that piece". */
const ABSENT = new Set(['DDC_SHARD_NOT_FOUND', 'DDC_NOT_FOUND']);
const UNREACHABLE = new Set(['DDC_NODE_UNAVAILABLE', 'DDC_TIMEOUT', 'pending']);

/**
 * Is this read failure "the block is not in DDC"? Every home answered 404 or could not be
 * reached, and at least one answered 404, with no shard found anywhere.
 */
export function isMissingBlock(e: unknown): boolean {
  if (!isDdcError(e)) return false;
  if (ABSENT.has(e.code)) return true;
  if (e.code !== 'DDC_PIECE_UNRECOVERABLE') return false;
  const attempts = (e.details?.attempts ?? []) as { outcome?: string }[];
  const outcomes = attempts.map((a) => a.outcome ?? 'pending');
  return outcomes.some((o) => ABSENT.has(o)) && outcomes.every((o) => ABSENT.has(o) || UNREACHABLE.has(o));
}

export function notFound(cid: CID | string, why = 'is not stored in this DDC cluster'): GatewayHttpError {
  return new GatewayHttpError(404, 'DDC_NOT_FOUND', `block ${cid.toString()} ${why}. Check the CID; DDC serves content put into its cluster`);
}

export async function getBlock(ctx: GatewayContext, cid: CID, signal?: AbortSignal): Promise<Uint8Array> {
  const hash = cid.multihash.code;
  if (hash === IDENTITY) return cid.multihash.digest;
  if (hash !== SHA2_256) throw notFound(cid, `uses multihash 0x${hash.toString(16)}; DDC stores sha2-256 blocks only`);
  try {
    return await ctx.client.getBlock(cid, signal ? { signal } : {});
  } catch (e) {
    if (isMissingBlock(e)) throw notFound(cid);
    throw e;
  }
}

/** The same, as the core GetBlock callback (walks). */
export function blockGetter(ctx: GatewayContext): (cid: CID, signal?: AbortSignal) => Promise<Uint8Array> {
  return (cid, signal) => getBlock(ctx, cid, signal);
}
