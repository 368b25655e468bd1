/**
 * The FORMAT marker of the record store (`DATA/records/FORMAT`), like the piece store's:
 * a node refuses a records folder written by another format version instead of misreading it.
 */
import { mkdir, open, readFile, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { storeVersion } from '../errors.js';
import { fsyncDir } from '../store/fsync.js';

export const RECORDS_FORMAT = 'ddc-records';
export const RECORDS_VERSION = 1;

export interface RecordsFormat {
  format: string;
  version: number;
}

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

/** Creates `dir` with a marker, or checks the marker of an existing one. */
export async function checkOrInitRecordsFormat(dir: string): Promise<RecordsFormat> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'FORMAT');
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (text === undefined) {
    const others = (await readdir(dir)).filter((n) => !n.startsWith('FORMAT.tmp-'));
    if (others.length > 0) throw storeVersion(dir, `holds files (${others.slice(0, 3).join(', ')}) but no FORMAT marker, so it is not a DDC record store`);
    const marker: RecordsFormat = { format: RECORDS_FORMAT, version: RECORDS_VERSION };
    await writeDurably(file, `${JSON.stringify(marker)}\n`);
    await fsyncDir(join(dir, '..'));
    return marker;
  }
  let marker: Partial<RecordsFormat>;
  try {
    marker = JSON.parse(text) as Partial<RecordsFormat>;
  } catch {
    throw storeVersion(dir, 'has a FORMAT file that is not JSON');
  }
  if (marker.format !== RECORDS_FORMAT) throw storeVersion(dir, `holds format ${JSON.stringify(marker.format)}, not ${RECORDS_FORMAT}`);
  if (marker.version !== RECORDS_VERSION) throw storeVersion(dir, `holds ${RECORDS_FORMAT} version ${JSON.stringify(marker.version)}; this node reads version ${RECORDS_VERSION}`);
  return { format: RECORDS_FORMAT, version: RECORDS_VERSION };
}
