/**
 * Sends a stripe's shards to their homes in parallel and applies the write quorum.
 *
 * Write quorum: a coded piece (k + m shards) needs k + 1 shards durable, a replicated one
 * 2 copies (or all shards when m = 0). So an acknowledged piece survives the loss of one
 * more node even before repair fills the missing shards. Shards that failed are returned
 * (node, index, error) so that repair can place them later; the put still succeeds.
 */
import { DdcError, type CapabilityToken, type ClusterNode, type EncodedShard, type StripeLayout } from '@ddc/core';
import type { Transport } from '../transport/types.js';
import type { RequestSigner } from '../request-signer.js';
import { withRetry, type RetryOptions } from '../retry.js';
import type { NodeHealth } from '../node-health.js';
import type { LingerHold, ShardPutBatcher } from './put-batcher.js';
import { shardWritePath } from '../transport/paths.js';

export interface MissingShard {
  pieceCid: string;
  index: number;
  shardId: string;
  nodeId: string;
  code: string;
  message: string;
}

export function writeQuorum(layout: StripeLayout): number {
  return Math.min(layout.count, layout.k + 1);
}

export interface UploadContext {
  transport: Transport;
  retry: RetryOptions;
  health: NodeHealth;
  /** Signs each shard PUT for its target node (audience = the node's id). */
  signer: RequestSigner;
  /** A bucket token with `put`: the nodes then record that the bucket references the shards. */
  token?: CapabilityToken;
  signal?: AbortSignal;
  /** Coalesces shard PUTs to one node into batch writes (one per client). */
  batcher?: ShardPutBatcher;
  /** While open, the batcher may hold these shards back briefly for more of the same put. */
  linger?: LingerHold;
  /** Appended to every shard write's URL (a peer's `refs=`); shards with different queries never share a batch. */
  query?: string;
}

/** What a shard write needs of a shard. */
export type ShardToPut = Pick<EncodedShard, 'id' | 'bytes'>;

/** PUT one shard, signed for its node; every attempt gets a fresh signature (nonces are single-use). */
export function putShardSigned(ctx: UploadContext, node: ClusterNode, shard: ShardToPut): Promise<{ created: boolean }> {
  const url = node.url + shardWritePath(shard.id, ctx.query);
  return withRetry(() => {
    const headers = ctx.signer.headers({ method: 'PUT', url, audience: node.id, ...(ctx.token ? { token: ctx.token } : {}) });
    return ctx.transport.putShard(node.url, shard.id, shard.bytes, ctx.signal, headers, ctx.query);
  }, ctx.retry, ctx.signal);
}

export async function uploadStripe(shards: readonly EncodedShard[], homes: readonly ClusterNode[], layout: StripeLayout, ctx: UploadContext): Promise<MissingShard[]> {
  const results = await Promise.allSettled(
    shards.map(async (shard, index) => {
      const node = homes[index]!;
      if (!ctx.health.isReachable(node.id)) throw new DdcError('DDC_NODE_UNAVAILABLE', `node ${node.id} failed recently; skipped`);
      try {
        await (ctx.batcher ? ctx.batcher.put(node, shard, ctx) : putShardSigned(ctx, node, shard));
      } catch (e) {
        if (e instanceof DdcError && e.code === 'DDC_NODE_UNAVAILABLE') ctx.health.markDown(node.id);
        throw e;
      }
    }),
  );
  const missing: MissingShard[] = [];
  results.forEach((r, index) => {
    if (r.status === 'rejected') {
      const e = r.reason;
      if (e instanceof DdcError && e.code === 'DDC_ABORTED') throw e;
      missing.push({
        pieceCid: shards[index]!.header.pieceCid.toString(),
        index,
        shardId: shards[index]!.id,
        nodeId: homes[index]!.id,
        code: e instanceof DdcError ? e.code : 'DDC_INTERNAL',
        message: e instanceof Error ? e.message : String(e),
      });
    }
  });
  const stored = shards.length - missing.length;
  const quorum = writeQuorum(layout);
  if (stored < quorum) {
    throw new DdcError('DDC_WRITE_QUORUM', `only ${stored} of ${shards.length} shards of piece ${shards[0]!.header.pieceCid} were stored; ${quorum} are needed`, {
      hint: 'Too many nodes are down or refusing writes; check `ddc cluster health` or the nodes, then retry',
      details: { missing },
    });
  }
  return missing;
}
