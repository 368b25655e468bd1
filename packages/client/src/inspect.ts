/**
 * Checks where a piece's shards are and (deep) whether each one is exactly the shard the
 * piece must have: the verified piece is re-encoded, which gives every expected shard id.
 */
import { DdcError, placeStripe, stripeLayout, verifyShard, type CID } from '@ddc/core';
import type { Transport } from './transport/types.js';
import type { ClusterView } from './membership.js';
import { encodePiece } from './put/encode-piece.js';

export type ShardStatus = 'ok' | 'missing' | 'corrupt' | 'unreachable' | 'present';

export interface ShardReport {
  index: number;
  nodeId: string;
  url: string;
  zone: string;
  shardId: string;
  status: ShardStatus;
  detail?: string;
}

export interface PieceReport {
  cid: string;
  length: number;
  k: number;
  m: number;
  replicated: boolean;
  shards: ShardReport[];
}

export async function inspectPiece(
  cid: CID,
  bytes: Uint8Array,
  view: ClusterView,
  ctx: { transport: Transport; signal?: AbortSignal },
  deep: boolean,
): Promise<PieceReport> {
  const layout = stripeLayout(bytes.length, view);
  const homes = placeStripe(cid.bytes, view.nodes, layout.count);
  const expected = encodePiece(cid, bytes, layout);
  const shards = await Promise.all(
    homes.map(async (node, index): Promise<ShardReport> => {
      const base = { index, nodeId: node.id, url: node.url, zone: node.zone, shardId: expected[index]!.id };
      try {
        if (deep) {
          const got = await ctx.transport.getPieceShard(node.url, cid.toString(), index, ctx.signal);
          verifyShard(got, expected[index]!.id);
          return { ...base, status: 'ok' };
        }
        const held = await ctx.transport.listPiece(node.url, cid.toString(), ctx.signal);
        return { ...base, status: held.some((s) => s.id === expected[index]!.id) ? 'present' : 'missing' };
      } catch (e) {
        if (!(e instanceof DdcError)) throw e;
        if (e.code === 'DDC_ABORTED') throw e;
        const status: ShardStatus = e.code === 'DDC_SHARD_NOT_FOUND' || e.code === 'DDC_NOT_FOUND' ? 'missing' : e.code === 'DDC_NODE_UNAVAILABLE' || e.code === 'DDC_TIMEOUT' ? 'unreachable' : 'corrupt';
        return { ...base, status, detail: `${e.code}: ${e.message}` };
      }
    }),
  );
  return { cid: cid.toString(), length: bytes.length, k: layout.k, m: layout.m, replicated: layout.replicated, shards };
}
