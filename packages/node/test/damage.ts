/**
 * Rot on disk, for the node's tests and the chaos suite (exported as @ddc/node/testing/damage):
 * flips bytes of a stored shard where the store keeps it, in its file or in its value inside the
 * LMDB index. LMDB keeps no checksums, so the node reads the flipped bytes back just as it would
 * from a damaged file.
 */
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { shardFilePath, storeLayout } from '../src/store/layout.js';

/** Bytes on each side of a flipped byte that locate it inside data.mdb. */
const CONTEXT = 32;

/**
 * Flips the bytes at `positions` (offsets into the stored shard, header included) of shard `id`
 * in the data folder `dataDir`. `stored` is the shard as stored: inside data.mdb each byte is found
 * by the bytes around it. Says where the shard was.
 */
export async function flipStoredBytes(dataDir: string, id: string, stored: Uint8Array, positions: readonly number[]): Promise<'file' | 'inline'> {
  const layout = storeLayout(dataDir);
  const file = shardFilePath(layout, id);
  const inFile = await stat(file).then((s) => s.isFile(), () => false);
  const path = inFile ? file : join(layout.index, 'data.mdb');
  const image = inFile ? undefined : await readFile(path);
  const fh = await open(path, 'r+');
  try {
    for (const p of new Set(positions)) {
      const byte = Buffer.from([stored[p]! ^ 0x5a]);
      if (!image) {
        await fh.write(byte, 0, 1, p);
        continue;
      }
      const lo = Math.max(0, p - CONTEXT);
      const needle = stored.subarray(lo, Math.min(stored.length, lo + 2 * CONTEXT));
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
  return inFile ? 'file' : 'inline';
}
