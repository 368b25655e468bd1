/**
 * Rot on disk for the chaos suite and tests: flips bytes of a shard on a running node, where the
 * node keeps it (@ddc/node's flipStoredBytes). The shard is read from the node first: its bytes
 * are how it is found inside the LMDB index.
 */
import { flipStoredBytes } from '@ddc/node/testing/damage';

/** Flips the bytes at `positions(length)` of shard `id` on the node at `nodeUrl` whose data folder is `dataDir`; says where it was. */
export async function damageShard(dataDir: string, nodeUrl: string, id: string, positions: (length: number) => number[]): Promise<'file' | 'inline'> {
  const res = await fetch(`${nodeUrl}/v1/shards/${id}`);
  if (res.status !== 200) throw new Error(`GET shard ${id} from ${nodeUrl}: ${res.status}`);
  const stored = new Uint8Array(await res.arrayBuffer());
  return flipStoredBytes(dataDir, id, stored, positions(stored.length));
}
