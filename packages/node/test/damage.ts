/**
 * Rot on disk, for the node's tests and the chaos suite (exported as @ddc/node/testing/damage):
 * flips bytes of a stored shard where the store keeps it: in its file, in its slot, or in its value
 * inside the LMDB index. LMDB keeps no checksums, so the node reads the flipped bytes back just as
 * it would from a damaged file.
 */
import { open, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { shardFilePath, storeLayout } from '../src/store/layout.js';

/** Bytes on each side of a flipped byte that locate it inside data.mdb. */
const CONTEXT = 32;

/**
 * Flips the bytes at `positions` (offsets into the stored shard, header included) of shard `id`
 * in the data folder `dataDir`. `stored` is the shard as stored: inside data.mdb each byte is found
 * by the bytes around it. Says where the shard was.
 */
export async function flipStoredBytes(dataDir: string, id: string, stored: Uint8Array, positions: readonly number[]): Promise<'file' | 'slot' | 'inline'> {
  const layout = storeLayout(dataDir);
  const file = shardFilePath(layout, id);
  if (await stat(file).then((s) => s.isFile(), () => false)) {
    const fh = await open(file, 'r+');
    try {
      for (const p of new Set(positions)) await fh.write(Buffer.from([stored[p]! ^ 0x5a]), 0, 1, p);
    } finally {
      await fh.close();
    }
    return 'file';
  }
  // Inside a slot file or data.mdb, each byte is found by the bytes around it.
  const slotFiles = await readdir(layout.slots).then((names) => names.map((n) => join(layout.slots, n)), () => []);
  for (const path of slotFiles) if (await flipByContext(path, stored, positions)) return 'slot';
  const mdb = join(layout.index, 'data.mdb');
  if (await flipByContext(mdb, stored, positions)) return 'inline';
  throw new Error(`shard ${id} is neither in a file, nor in a slot, nor in ${mdb}`);
}

/** Flips the bytes at `positions` wherever `stored` lies in the file; false if its first flipped byte is not found there. */
async function flipByContext(path: string, stored: Uint8Array, positions: readonly number[]): Promise<boolean> {
  const image = await readFile(path);
  const fh = await open(path, 'r+');
  try {
    let first = true;
    for (const p of new Set(positions)) {
      const byte = Buffer.from([stored[p]! ^ 0x5a]);
      const lo = Math.max(0, p - CONTEXT);
      const needle = stored.subarray(lo, Math.min(stored.length, lo + 2 * CONTEXT));
      let found = 0;
      for (let off = image.indexOf(needle); off >= 0; off = image.indexOf(needle, off + 1)) {
        await fh.write(byte, 0, 1, off + (p - lo));
        found++;
      }
      if (found === 0) {
        if (first) return false;
        throw new Error(`byte ${p} of the shard is not in ${path}, though others are`);
      }
      first = false;
    }
    return true;
  } finally {
    await fh.close();
  }
}
