/**
 * S3 bucket names → DDC bucket ids (numbers on the ledger): `DATA/s3-buckets.json`, written
 * atomically (temporary file, fsync, rename). S3 clients name buckets; DDC numbers them.
 *
 *   {"format":"ddc-gateway-buckets","version":1,"buckets":{"photos":{"id":7,"created":"…"}}}
 */
import { join } from 'node:path';
import { DdcError } from '@ddc/core';
import { fileStamp, readJsonFile, writeFileAtomic } from '../keys/atomic-file.js';
import { S3Error } from './errors.js';

export const BUCKETS_FILE = 's3-buckets.json';
const FORMAT = 'ddc-gateway-buckets';

export interface NamedBucket {
  name: string;
  id: number;
  /** ISO time the name was given. */
  created: string;
}

/** S3's rules for new bucket names: 3-63 of a-z 0-9 . -, starting and ending with a letter or digit, not an IP address. */
export function checkBucketName(name: string): void {
  const bad = (why: string) => new S3Error('InvalidBucketName', `The specified bucket is not valid: ${JSON.stringify(name.slice(0, 80))} ${why}`, { BucketName: name.slice(0, 255) });
  if (name.length < 3 || name.length > 63) throw bad('must be 3 to 63 characters long');
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) throw bad('may hold only a-z, 0-9, dots and hyphens, and must start and end with a letter or digit');
  if (name.includes('..') || name.includes('.-') || name.includes('-.')) throw bad('may not have two dots in a row or a dot next to a hyphen');
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) throw bad('may not look like an IP address');
  if (name.startsWith('xn--') || name.endsWith('-s3alias')) throw bad('may not start with xn-- or end with -s3alias');
}

export class BucketNames {
  private names = new Map<string, NamedBucket>();
  private writing: Promise<void> = Promise.resolve();
  private stamp = '';

  private constructor(readonly path: string) {}

  static async open(dataDir: string): Promise<BucketNames> {
    const b = new BucketNames(join(dataDir, BUCKETS_FILE));
    await b.reload();
    return b;
  }

  async reload(): Promise<void> {
    const stamp = await fileStamp(this.path);
    const doc = (await readJsonFile(this.path)) as { format?: unknown; version?: unknown; buckets?: unknown } | undefined;
    const names = new Map<string, NamedBucket>();
    if (doc !== undefined) {
      if (doc.format !== FORMAT || doc.version !== 1 || typeof doc.buckets !== 'object' || doc.buckets === null) {
        throw new DdcError('DDC_INVALID_CONFIG', `the gateway's bucket names file ${this.path} is not {"format":"${FORMAT}","version":1,"buckets":{…}}`, { hint: 'Fix or remove the file' });
      }
      for (const [name, v] of Object.entries(doc.buckets as Record<string, { id?: unknown; created?: unknown }>)) {
        if (!Number.isSafeInteger(v?.id) || (v.id as number) < 1) throw new DdcError('DDC_INVALID_CONFIG', `bucket ${name} in ${this.path} has no positive id`, { hint: 'Fix or remove the entry' });
        names.set(name, { name, id: v.id as number, created: typeof v.created === 'string' ? v.created : new Date(0).toISOString() });
      }
    }
    this.names = names;
    this.stamp = stamp;
  }

  /** Reads the file again if it changed since it was read (a name added by another process). */
  async reloadIfStale(): Promise<void> {
    if ((await fileStamp(this.path)) !== this.stamp) await this.reload();
  }

  get(name: string): NamedBucket | undefined {
    return this.names.get(name);
  }

  /** The name given to a DDC bucket id, if any. */
  nameOf(id: number): string | undefined {
    for (const b of this.names.values()) if (b.id === id) return b.name;
    return undefined;
  }

  list(): NamedBucket[] {
    return [...this.names.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Names a DDC bucket; BucketAlreadyExists if the name is taken by another id. */
  async set(name: string, id: number): Promise<NamedBucket> {
    let entry: NamedBucket | undefined;
    await this.update(() => {
      const have = this.names.get(name);
      if (have && have.id !== id) throw new S3Error('BucketAlreadyExists', `The requested bucket name ${name} is not available: it names DDC bucket ${have.id}`, { BucketName: name });
      entry = have ?? { name, id, created: new Date().toISOString() };
      this.names.set(name, entry);
    });
    return entry!;
  }

  async remove(name: string): Promise<void> {
    await this.update(() => void this.names.delete(name));
  }

  private update(change: () => void): Promise<void> {
    const next = this.writing.then(async () => {
      await this.reload();
      change();
      const buckets = Object.fromEntries(this.list().map((b) => [b.name, { id: b.id, created: b.created }]));
      await writeFileAtomic(this.path, `${JSON.stringify({ format: FORMAT, version: 1, buckets }, null, 2)}\n`, 0o600);
    });
    this.writing = next.catch(() => {});
    return next;
  }
}
