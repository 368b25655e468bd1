/**
 * The FORMAT marker of the record store (`DATA/records/FORMAT`), by the piece store's
 * mechanism: a node refuses a records folder written by another format version.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir } from '../store/fsync.js';
import { checkOrInitMarker, type StoreFormat } from '../store/format.js';

export const RECORDS_FORMAT = 'ddc-records';
export const RECORDS_VERSION = 1;

export type RecordsFormat = StoreFormat;

/** Creates `dir` with a marker, or checks the marker of an existing one. */
export async function checkOrInitRecordsFormat(dir: string): Promise<RecordsFormat> {
  await mkdir(dir, { recursive: true });
  const { marker, created } = await checkOrInitMarker(dir, { format: RECORDS_FORMAT, version: RECORDS_VERSION }, { what: 'DDC record store' });
  if (created) await fsyncDir(join(dir, '..')); // the new folder's own entry
  return marker;
}
