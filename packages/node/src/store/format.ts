/**
 * The FORMAT marker: says which store format wrote a folder, so a newer or older node
 * refuses a folder it would misread instead of damaging it.
 */
import { open, readFile, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { storeVersion } from '../errors.js';
import { fsyncDir } from './fsync.js';
import { STORE_FORMAT, STORE_VERSION, type StoreLayout } from './layout.js';

export interface StoreFormat {
  format: string;
  version: number;
}

/** A fresh folder may already hold our own LOCK (taken before this check) and its leftovers. */
const isLockFile = (name: string) => name === 'LOCK' || name.startsWith('LOCK.');

async function writeDurably(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  await fsyncDir(join(file, '..'));
}

/** Checks the marker of an existing store, or writes one into an empty folder. */
export async function checkOrInitFormat(layout: StoreLayout): Promise<StoreFormat> {
  let text: string | undefined;
  try {
    text = await readFile(layout.format, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (text === undefined) {
    const others = (await readdir(layout.root)).filter((n) => !isLockFile(n));
    if (others.length > 0) throw storeVersion(layout.root, `holds files (${others.slice(0, 3).join(', ')}) but no FORMAT marker, so it is not a DDC node store`);
    const marker: StoreFormat = { format: STORE_FORMAT, version: STORE_VERSION };
    await writeDurably(layout.format, `${JSON.stringify(marker)}\n`);
    return marker;
  }
  let marker: Partial<StoreFormat>;
  try {
    marker = JSON.parse(text) as Partial<StoreFormat>;
  } catch {
    throw storeVersion(layout.root, 'has a FORMAT file that is not JSON');
  }
  if (marker.format !== STORE_FORMAT) throw storeVersion(layout.root, `holds format ${JSON.stringify(marker.format)}, not ${STORE_FORMAT}`);
  if (marker.version !== STORE_VERSION) {
    throw storeVersion(layout.root, `holds ${STORE_FORMAT} version ${JSON.stringify(marker.version)}; this node reads version ${STORE_VERSION}`);
  }
  return { format: STORE_FORMAT, version: STORE_VERSION };
}
