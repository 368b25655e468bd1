/**
 * Rendezvous (highest-random-weight) placement of a stripe's shards over a cluster.
 * A pure function of (key, membership), so every client and node computes the same homes.
 *
 * Shard i goes to the free node with the highest H(key || i || node id) among the zones
 * holding the fewest shards of this stripe so far. Hence:
 * - a stripe spreads over every zone before any zone holds two of its shards;
 * - no node holds two shards of one stripe;
 * - homes are prefix-consistent: the first n homes do not depend on the stripe's size, so
 *   a reader finds replica 0 of a small piece where it would look for shard 0 of a coded one;
 * - a node joining or leaving moves few shards (measured in placement.test.ts).
 */
import { DdcError } from './errors.js';
import { sha256 } from './hash.js';
import { textEncoder } from './bytes.js';

export interface PlacementNode {
  id: string;
  zone: string;
}

const indexBytes = new Uint8Array(2);

/** H(key || index || node id); its first 8 bytes, big-endian, are the node's score. */
function scoreDigest(key: Uint8Array, index: number, nodeId: Uint8Array): Uint8Array {
  indexBytes[0] = index >> 8;
  indexBytes[1] = index & 0xff;
  return sha256(key, indexBytes, nodeId);
}

/** Compares two scores (the digests' first 8 bytes as unsigned big-endian numbers); 0 when equal. */
function compareScores(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < 8; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** UTF-8 node ids per membership list: a read places every piece over the same list. */
const idCache = new WeakMap<readonly PlacementNode[], { names: string[]; bytes: Uint8Array[] }>();

function encodedIds(nodes: readonly PlacementNode[]): Uint8Array[] {
  const hit = idCache.get(nodes);
  // Checked against the list as it is now, in case it was changed in place.
  if (hit && hit.names.length === nodes.length && nodes.every((n, i) => n.id === hit.names[i])) return hit.bytes;
  const entry = { names: nodes.map((n) => n.id), bytes: nodes.map((n) => textEncoder.encode(n.id)) };
  idCache.set(nodes, entry);
  return entry.bytes;
}

/** Nodes for shards 0..count-1 of the stripe named by `key` (the piece CID's bytes). */
export function placeStripe<N extends PlacementNode>(key: Uint8Array, nodes: readonly N[], count: number): N[] {
  if (count > nodes.length) {
    throw new DdcError('DDC_INVALID_CLUSTER', `a stripe of ${count} shards needs ${count} distinct nodes, the cluster has ${nodes.length}`, {
      hint: 'Add nodes to the cluster or lower k + m',
    });
  }
  const ids = encodedIds(nodes);
  const free = new Set(nodes.map((_, i) => i));
  const perZone = new Map<string, number>();
  for (const n of nodes) perZone.set(n.zone, 0);
  const homes: N[] = [];
  for (let shard = 0; shard < count; shard++) {
    let least = Infinity;
    for (const i of free) least = Math.min(least, perZone.get(nodes[i]!.zone)!);
    let best = -1;
    let bestScore: Uint8Array | undefined;
    for (const i of free) {
      if (perZone.get(nodes[i]!.zone) !== least) continue;
      const s = scoreDigest(key, shard, ids[i]!);
      const c = bestScore === undefined ? 1 : compareScores(s, bestScore);
      if (c > 0 || (c === 0 && nodes[i]!.id < nodes[best]!.id)) {
        best = i;
        bestScore = s;
      }
    }
    const node = nodes[best]!;
    free.delete(best);
    perZone.set(node.zone, perZone.get(node.zone)! + 1);
    homes.push(node);
  }
  return homes;
}
