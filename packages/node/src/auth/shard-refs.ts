/**
 * Which buckets reference each shard this node holds, so a bucket's delete token removes
 * only that bucket's claim and the bytes go only when no claim is left.
 *
 *   DATA/auth/FORMAT   {"format":"ddc-node-auth","version":1}
 *   DATA/auth/refs/    LMDB: [shard id, bucket id] -> 1
 *
 * Bucket 0 (ids on chain start at 1) is the "unowned" claim of a shard put without a
 * token; users cannot remove it. A shard with no entry at all is unowned too (put before
 * any token, or by a peer), so anonymous PUTs write nothing unless a bucket already
 * claims the shard. Commits fsync before they resolve (as the store's index does).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { checkOrInitMarker } from '../store/format.js';
import { KeyedMutex } from '../store/keyed-mutex.js';

export const AUTH_FORMAT = 'ddc-node-auth';
export const AUTH_VERSION = 1;
/** The claim of shards put without a token. */
export const UNOWNED = 0;
const PRESENT = Buffer.from([1]);
const MAX_BUCKET = Number.MAX_SAFE_INTEGER;

export class ShardRefs {
  /** Serializes the read-modify-write of one shard's claims (and its delete). */
  private readonly locks = new KeyedMutex();

  private constructor(
    private readonly root: RootDatabase,
    private readonly db: Database<Buffer, [string, number]>,
  ) {}

  /** Opens (or creates) DATA/auth; call after the store has opened (its LOCK covers this folder). */
  static async open(dataDir: string): Promise<ShardRefs> {
    const dir = join(dataDir, 'auth');
    await mkdir(dir, { recursive: true });
    await checkOrInitMarker(dir, { format: AUTH_FORMAT, version: AUTH_VERSION }, { what: 'DDC auth folder', requireFresh: false });
    const root = open({ path: join(dir, 'refs'), overlappingSync: false, noSync: false, noMetaSync: false, useWritemap: false, maxDbs: 2 });
    return new ShardRefs(root, root.openDB<Buffer, [string, number]>('refs', { encoding: 'binary' }));
  }

  /** Runs `fn` with the shard's claims locked against other PUTs and DELETEs of it. */
  withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(id, fn);
  }

  /** The buckets (0 = unowned) that claim shard `id`, ascending. */
  list(id: string): number[] {
    const out: number[] = [];
    for (const key of this.db.getKeys({ start: [id, -1], end: [id, MAX_BUCKET + 1] })) out.push(key[1]);
    return out;
  }

  /** Adds claims; resolves once they are on disk. */
  async add(id: string, buckets: readonly number[]): Promise<void> {
    if (buckets.length === 0) return;
    await this.root.batch(() => {
      for (const b of buckets) void this.db.put([id, b], PRESENT);
    });
  }

  /** Removes claims (all of the shard's when `buckets` is undefined); resolves once on disk. */
  async remove(id: string, buckets?: readonly number[]): Promise<void> {
    const gone = buckets ?? this.list(id);
    if (gone.length === 0) return;
    await this.root.batch(() => {
      for (const b of gone) void this.db.remove([id, b]);
    });
  }

  async close(): Promise<void> {
    await this.root.close();
  }
}
