/**
 * Multi-node comparison of a stripe's headers: which root do the other holders of a stripe
 * agree on for shard `index`? Each header is one vote (one per node); votes count together
 * when they name the same piece, k, m, lengths and root for `index`. The largest group
 * wins if it has at least `minVotes` nodes and no other group is as large.
 */
import { toHex } from '../bytes.js';
import type { ShardHeader } from '../shard.js';
import type { ShardHeaderFields } from './challenge.js';

export interface HeaderVote {
  nodeId: string;
  header: ShardHeader;
}

export interface RootAgreement {
  root: Uint8Array;
  /** The agreed header fields with `index` set to the challenged index. */
  fields: ShardHeaderFields;
  /** Nodes whose headers agree. */
  voters: string[];
  /** Nodes whose headers say something else. */
  dissenters: string[];
}

export const MIN_AGREEING_HEADERS = 2;

export function agreeOnRoot(votes: readonly HeaderVote[], index: number, minVotes = MIN_AGREEING_HEADERS): RootAgreement | undefined {
  const groups = new Map<string, { header: ShardHeader; nodes: Set<string> }>();
  const seen = new Set<string>();
  for (const { nodeId, header } of votes) {
    if (seen.has(nodeId)) continue; // one vote per node
    seen.add(nodeId);
    const root = header.roots[index];
    if (!root) continue;
    const key = [header.pieceCid.toString(), header.k, header.m, header.pieceLength, header.shardLength, toHex(root)].join('/');
    const group = groups.get(key) ?? { header, nodes: new Set<string>() };
    group.nodes.add(nodeId);
    groups.set(key, group);
  }
  const ranked = [...groups.values()].sort((a, b) => b.nodes.size - a.nodes.size);
  const best = ranked[0];
  if (!best || best.nodes.size < minVotes || (ranked[1] && ranked[1].nodes.size === best.nodes.size)) return undefined;
  const h = best.header;
  return {
    root: h.roots[index]!,
    fields: { version: h.version, pieceCid: h.pieceCid, k: h.k, m: h.m, index, pieceLength: h.pieceLength, shardLength: h.shardLength },
    voters: [...best.nodes],
    dissenters: [...seen].filter((n) => !best.nodes.has(n)),
  };
}
