/**
 * The record store: object records (docs/ACCESS.md) in an LMDB environment of their own at
 * `DATA/records/` (FORMAT marker, `records.mdb`). Two tables:
 *
 *   records  [bucket u64][key][0x00][version] -> record bytes (records/keys.ts)
 *   purged   [bucket u64][key][0x00][purged version] -> the purge record's version
 *
 * Every write is committed durably (fsync, as the piece store's index: overlappingSync off)
 * before its promise resolves. Records are verified before they are put; reads decode them
 * without re-verifying. A purge record deletes the version it names and stays, with an
 * entry in `purged`, as a tombstone: a purged version is never stored again (sync or read
 * repair from a replica that missed the purge cannot bring it back).
 */
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { decodeRecord, listPage, textDecoder, type ListPage, type ListSeek, type ObjectRecord } from '@ddc/core';
import { shuttingDown } from '../errors.js';
import { KeyedMutex } from '../store/keyed-mutex.js';
import { checkOrInitRecordsFormat, type RecordsFormat } from './format.js';
import { afterKey, bucketStart, fromKey, keySuffix, parseRecordKey, pastPrefix, recordKey, versionsRange, withSuffix } from './keys.js';

export interface RecordListOptions {
  prefix?: string;
  delimiter?: string;
  after?: string | null;
  limit: number;
}

/** What put did: stored it, had it already, or refused it because that version was purged. */
export type PutOutcome = 'created' | 'exists' | 'purged';

export interface DigestPage {
  /** (key, version) of every record held, purge tombstones included, in store order. */
  entries: Array<[key: string, version: string]>;
  /** Cursor for the next page, or null at the end. */
  next: string | null;
}

export interface RecordStoreStats {
  buckets: number;
  records: number;
}

const decode = (bytes: Uint8Array): ObjectRecord => decodeRecord(bytes, { trusted: true });

export class RecordStore {
  private readonly locks = new KeyedMutex();
  private readonly pending = new Set<Promise<unknown>>();
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly format: RecordsFormat,
    private readonly root: RootDatabase,
    private readonly records: Database<Buffer, Buffer>,
    private readonly purged: Database<Buffer, Buffer>,
  ) {}

  /** Opens (or creates) `DATA/records`. The caller holds the data folder's LOCK (the piece store's). */
  static async open(dataDir: string): Promise<RecordStore> {
    const dir = join(dataDir, 'records');
    const format = await checkOrInitRecordsFormat(dir);
    const root = open({
      path: join(dir, 'records.mdb'),
      overlappingSync: false,
      noSync: false,
      noMetaSync: false,
      useWritemap: false,
      maxDbs: 4,
    });
    const records = root.openDB<Buffer, Buffer>('records', { encoding: 'binary', keyEncoding: 'binary' });
    const purged = root.openDB<Buffer, Buffer>('purged', { encoding: 'binary', keyEncoding: 'binary' });
    return new RecordStore(dir, format, root, records, purged);
  }

  /**
   * Stores a verified record; resolves once it is durable. Idempotent: a record held
   * already is 'exists' (the first of two records with one version id stays). A purge
   * removes the version it names in the same commit.
   */
  async put(record: ObjectRecord): Promise<PutOutcome> {
    if (this.closed) throw shuttingDown();
    const p = this.putLocked(record);
    this.pending.add(p);
    try {
      return await p;
    } finally {
      this.pending.delete(p);
    }
  }

  private putLocked(record: ObjectRecord): Promise<PutOutcome> {
    return this.locks.run(`${record.bucket}\0${record.key}`, async () => {
      const k = recordKey(record.bucket, record.key, record.version);
      if (this.purged.getBinaryFast(k) !== undefined) return 'purged';
      if (this.records.getBinaryFast(k) !== undefined) return 'exists';
      const bytes = Buffer.from(record.bytes.buffer, record.bytes.byteOffset, record.bytes.byteLength);
      await this.root.batch(() => {
        void this.records.put(k, bytes);
        if (record.purges !== null) {
          const target = recordKey(record.bucket, record.key, record.purges);
          void this.records.remove(target);
          void this.purged.put(target, Buffer.from(record.version, 'latin1'));
        }
      });
      return 'created';
    });
  }

  /** One version, or (no version) the newest record that is not a purge: a delete marker is an answer. */
  get(bucket: number, key: string, version?: string): ObjectRecord | undefined {
    if (version !== undefined) {
      const bytes = this.records.getBinary(recordKey(bucket, key, version));
      return bytes === undefined ? undefined : decode(bytes);
    }
    const { start, end } = versionsRange(bucket, key);
    // Reverse: from just below `end` down to `start`.
    for (const { value } of this.records.getRange({ start: end, end: start, reverse: true })) {
      const r = decode(value);
      if (r.purges === null) return r;
    }
    return undefined;
  }

  /** True when this version is held or was purged here (sync need not fetch it). */
  knows(bucket: number, key: string, version: string): boolean {
    const k = recordKey(bucket, key, version);
    return this.records.getBinaryFast(k) !== undefined || this.purged.getBinaryFast(k) !== undefined;
  }

  /** Every record of one key, oldest first: versions, delete markers and purge tombstones. */
  versions(bucket: number, key: string): ObjectRecord[] {
    const { start, end } = versionsRange(bucket, key);
    return [...this.records.getRange({ start, end })].map(({ value }) => decode(value));
  }

  /** The latest record of each key from a seek position, in key order (the ListSource of core's listPage). */
  private *latest(bucket: number, seek: ListSeek): Generator<ObjectRecord> {
    const start = 'from' in seek ? fromKey(bucket, seek.from) : 'after' in seek ? afterKey(bucket, seek.after) : pastPrefix(bucket, seek.pastPrefix);
    let groupKey: Buffer | undefined;
    let best: ObjectRecord | undefined;
    for (const { key, value } of this.records.getRange({ start, end: bucketStart(bucket + 1) })) {
      const { keyBytes } = parseRecordKey(key);
      if (groupKey !== undefined && !groupKey.equals(keyBytes)) {
        if (best !== undefined) yield best;
        best = undefined;
      }
      groupKey = Buffer.from(keyBytes);
      const r = decode(value);
      if (r.purges === null) best = r; // versions ascend within a key: the last one wins
    }
    if (best !== undefined) yield best;
  }

  /** A page of the newest record per key (delete markers included, so clients can merge replicas). */
  list(bucket: number, o: RecordListOptions): ListPage<ObjectRecord> {
    return listPage<ObjectRecord>((seek) => this.latest(bucket, seek), {
      prefix: o.prefix ?? '',
      delimiter: o.delimiter ?? '',
      after: o.after ?? null,
      maxKeys: o.limit,
      includeDeleted: true,
    });
  }

  /** (key, version) pairs of a bucket after the cursor `after` (from a previous page's `next`). */
  digest(bucket: number, after: string | undefined, limit: number): DigestPage {
    const from = after === undefined ? bucketStart(bucket) : withSuffix(bucket, Buffer.from(after, 'base64url'));
    const entries: DigestPage['entries'] = [];
    let last: Buffer | undefined;
    for (const key of this.records.getKeys({ start: from, end: bucketStart(bucket + 1) })) {
      if (after !== undefined && key.equals(from)) continue;
      const p = parseRecordKey(key);
      entries.push([textDecoder.decode(p.keyBytes), p.version]);
      last = key;
      if (entries.length === limit) break;
    }
    return { entries, next: entries.length === limit && last ? Buffer.from(keySuffix(last)).toString('base64url') : null };
  }

  /** Ids of the buckets this node holds records of, ascending. */
  buckets(): number[] {
    const out: number[] = [];
    let start = bucketStart(0);
    for (;;) {
      let found: Buffer | undefined;
      for (const key of this.records.getKeys({ start, limit: 1 })) found = key;
      if (found === undefined) return out;
      const b = parseRecordKey(found).bucket;
      out.push(b);
      start = bucketStart(b + 1);
    }
  }

  stats(): RecordStoreStats {
    const entries = (this.records.getStats() as { entryCount?: number }).entryCount ?? 0;
    return { buckets: this.buckets().length, records: entries };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.pending]);
    await this.root.close();
  }
}
