/**
 * Rot on disk, for the chaos suite and tests: flips bytes of a shard where its node keeps it,
 * in its file under shards/ or in its value inside the LMDB index (index/data.mdb). LMDB keeps
 * no checksums, so the node reads the flipped bytes back just as it would from a damaged file.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

export interface DamagedShard {
  where: 'file' | 'inline';
  /** The shard file, or data.mdb. */
  path: string;
  original: Uint8Array;
  damaged: Uint8Array;
}

/** Bytes on each side of a flipped byte that locate it inside data.mdb. */
const CONTEXT = 32;

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}

/**
 * Flips the bytes at `positions(length)` (offsets into the stored shard, header included) of shard
 * `id` on the node at `nodeUrl` whose data folder is `dataDir`. The shard is read from the node
 * first: its bytes are how it is found inside data.mdb.
 */
export async function damageShard(dataDir: string, nodeUrl: string, id: string, positions: (length: number) => number[]): Promise<DamagedShard> {
  const res = await fetch(`${nodeUrl}/v1/shards/${id}`);
  if (res.status !== 200) throw new Error(`GET shard ${id} from ${nodeUrl}: ${res.status}`);
  const original = new Uint8Array(await res.arrayBuffer());
  const at = [...new Set(positions(original.length))];
  const damaged = Uint8Array.from(original);
  for (const p of at) damaged[p] = damaged[p]! ^ 0x5a;

  const file = join(dataDir, 'shards', id.slice(0, 2), id);
  const where = (await isFile(file)) ? 'file' : 'inline';
  const path = where === 'file' ? file : join(dataDir, 'index', 'data.mdb');
  const image = where === 'file' ? undefined : await readFile(path);
  const fh = await open(path, 'r+');
  try {
    for (const p of at) {
      const byte = Buffer.from([damaged[p]!]);
      if (!image) {
        await fh.write(byte, 0, 1, p);
        continue;
      }
      const lo = Math.max(0, p - CONTEXT);
      const needle = original.subarray(lo, Math.min(original.length, lo + 2 * CONTEXT));
      let found = 0;
      for (let off = image.indexOf(needle); off >= 0; off = image.indexOf(needle, off + 1)) {
        await fh.write(byte, 0, 1, off + (p - lo));
        found++;
      }
      if (found === 0) throw new Error(`shard ${id}: byte ${p} is neither in a file nor in ${path}`);
    }
  } finally {
    await fh.close();
  }
  return { where, path, original, damaged };
}
