/**
 * The FORMAT marker: says which store format wrote a folder, so a newer or older node
 * refuses a folder it would misread instead of damaging it.
 */
import { open, readFile, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { storeVersion } from '../errors.js';
import { fsyncDir } from './fsync.js';
import { STORE_FORMAT, STORE_VERSION, UPGRADABLE_STORE_VERSIONS, type StoreLayout } from './layout.js';

export interface StoreFormat {
  format: string;
  version: number;
}

export interface MarkerOptions {
  /** What the folder holds, for messages ("DDC node store"). */
  what: string;
  /** Names a fresh folder may hold before its marker is written. */
  ignore?: (name: string) => boolean;
  /** Refuse a folder that holds files but no marker (default true). */
  requireFresh?: boolean;
  /** Older versions this code upgrades: a marker of one is returned as found, for the caller to upgrade. */
  upgradable?: readonly number[];
}

/** Writes `text` to a temporary name, fsyncs it, renames it over `file` and fsyncs the folder. */
export async function writeDurably(file: string, text: string): Promise<void> {
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

/**
 * The one FORMAT mechanism of every folder a node owns (piece store, records, auth): checks
 * the marker `dir/FORMAT`, or writes `expected` into a fresh folder (`created`).
 */
export async function checkOrInitMarker(dir: string, expected: StoreFormat, o: MarkerOptions): Promise<{ marker: StoreFormat; created: boolean }> {
  const file = join(dir, 'FORMAT');
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (text === undefined) {
    if (o.requireFresh !== false) {
      const others = (await readdir(dir)).filter((n) => !n.startsWith('FORMAT.tmp-') && !o.ignore?.(n));
      if (others.length > 0) throw storeVersion(dir, `holds files (${others.slice(0, 3).join(', ')}) but no FORMAT marker, so it is not a ${o.what}`);
    }
    await writeDurably(file, `${JSON.stringify(expected)}\n`);
    return { marker: { ...expected }, created: true };
  }
  let marker: Partial<StoreFormat>;
  try {
    marker = JSON.parse(text) as Partial<StoreFormat>;
  } catch {
    throw storeVersion(dir, 'has a FORMAT file that is not JSON');
  }
  if (marker.format !== expected.format) throw storeVersion(dir, `holds format ${JSON.stringify(marker.format)}, not ${expected.format}`);
  if (typeof marker.version === 'number' && o.upgradable?.includes(marker.version)) return { marker: { format: expected.format, version: marker.version }, created: false };
  if (marker.version !== expected.version) {
    throw storeVersion(dir, `holds ${expected.format} version ${JSON.stringify(marker.version)}; this node reads version ${expected.version}`);
  }
  return { marker: { ...expected }, created: false };
}

/** A fresh folder may already hold our own LOCK (taken before this check) and its leftovers. */
const isLockFile = (name: string) => name === 'LOCK' || name.startsWith('LOCK.');

/**
 * Checks the marker of an existing store, or writes one into an empty folder. A store of an
 * older version this node upgrades comes back with that version (PieceStore.open upgrades it,
 * then writeStoreFormat); any other version is refused.
 */
export async function checkOrInitFormat(layout: StoreLayout): Promise<StoreFormat> {
  return (await checkOrInitMarker(layout.root, { format: STORE_FORMAT, version: STORE_VERSION }, { what: 'DDC node store', ignore: isLockFile, upgradable: UPGRADABLE_STORE_VERSIONS })).marker;
}

/** Marks a store as the current version, once it has been upgraded. */
export async function writeStoreFormat(layout: StoreLayout): Promise<StoreFormat> {
  const marker = { format: STORE_FORMAT, version: STORE_VERSION };
  await writeDurably(layout.format, `${JSON.stringify(marker)}\n`);
  return marker;
}
