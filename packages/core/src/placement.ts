/**
 * Rendezvous (highest-random-weight) placement of a stripe's shards over a cluster.
 * A pure function of (key, membership), so every client and node computes the same homes.
 *
 * 1. Choose the set: rank nodes by H(key || node id); take them best-first, always from a
 *    zone that has the fewest shards so far, so a stripe spreads over every zone before
 *    any zone holds two of its shards. Never two shards on one node.
 * 2. Assign indices: index i goes to the unassigned chosen node with the highest
 *    H(key || i || node id). When one node leaves or joins, mostly only the shards whose
 *    node changed move (tested in placement.test.ts).
 */
import { DdcError } from './errors.js';
import { sha256 } from './hash.js';
import { textEncoder } from './bytes.js';

export interface PlacementNode {
  id: string;
  zone: string;
}

function score(key: Uint8Array, salt: Uint8Array, nodeId: string): bigint {
  const h = sha256(key, salt, textEncoder.encode(nodeId));
  return new DataView(h.buffer, h.byteOffset, 8).getBigUint64(0);
}

const NO_SALT = new Uint8Array(0);

/** Nodes for shards 0..count-1 of the stripe named by `key` (usually the piece CID's bytes). */
export function placeStripe<N extends PlacementNode>(key: Uint8Array, nodes: readonly N[], count: number): N[] {
  if (count > nodes.length) {
    throw new DdcError('DDC_INVALID_CLUSTER', `a stripe of ${count} shards needs ${count} distinct nodes, the cluster has ${nodes.length}`, {
      hint: 'Add nodes to the cluster or lower k + m',
    });
  }
  const ranked = nodes
    .map((node) => ({ node, s: score(key, NO_SALT, node.id) }))
    .sort((a, b) => (a.s === b.s ? (a.node.id < b.node.id ? -1 : 1) : a.s > b.s ? -1 : 1));
  const perZone = new Map<string, number>();
  for (const n of nodes) perZone.set(n.zone, 0);
  const chosen: N[] = [];
  const taken = new Set<number>();
  while (chosen.length < count) {
    // Fewest shards among zones that still have a free node.
    let least = Infinity;
    ranked.forEach((r, i) => {
      if (!taken.has(i)) least = Math.min(least, perZone.get(r.node.zone)!);
    });
    const pick = ranked.findIndex((r, i) => !taken.has(i) && perZone.get(r.node.zone) === least);
    taken.add(pick);
    const node = ranked[pick]!.node;
    perZone.set(node.zone, perZone.get(node.zone)! + 1);
    chosen.push(node);
  }
  const homes: N[] = [];
  const free = new Set(chosen);
  for (let i = 0; i < count; i++) {
    const salt = new Uint8Array([0xff, i]);
    let best: N | undefined;
    let bestScore = -1n;
    for (const n of free) {
      const s = score(key, salt, n.id);
      if (s > bestScore || (s === bestScore && best !== undefined && n.id < best.id)) {
        best = n;
        bestScore = s;
      }
    }
    free.delete(best!);
    homes.push(best!);
  }
  return homes;
}
