/**
 * Which buckets reference each shard this node holds, so a bucket's delete token removes
 * only that bucket's claim and the bytes go only when no claim is left.
 *
 * Claims live in the store's index ([shard id, bucket id] -> 1, store/index-db.ts), so that a
 * bucket's PUT commits the shard and its claim in one transaction. Folders written before
 * that keep older claims in DATA/auth/refs (LMDB, same keys): they are still read and removed
 * there, and new claims never go there.
 *
 *   DATA/auth/FORMAT   {"format":"ddc-node-auth","version":1}
 *
 * Bucket 0 (ids on chain start at 1) is the "unowned" claim of a shard put without a
 * token; users cannot remove it. A shard with no entry at all is unowned too (put before
 * any token, or by a peer), so anonymous PUTs write nothing unless a bucket already
 * claims the shard. Commits fsync before they resolve (as the store's index does).
 */
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { checkOrInitMarker } from '../store/format.js';
import { KeyedMutex } from '../store/keyed-mutex.js';

export const AUTH_FORMAT = 'ddc-node-auth';
export const AUTH_VERSION = 1;
/** The claim of shards put without a token. */
export const UNOWNED = 0;
const MAX_BUCKET = Number.MAX_SAFE_INTEGER;

/** Where claims are kept: the piece store's index. */
export interface ClaimStore {
  claims(id: string): number[];
  addClaims(id: string, buckets: readonly number[]): Promise<void>;
  removeClaims(id: string, buckets: readonly number[]): Promise<void>;
}

interface Legacy {
  root: RootDatabase;
  db: Database<Buffer, [string, number]>;
}

export class ShardRefs {
  /** Serializes the read-modify-write of one shard's claims (and its delete). */
  private readonly locks = new KeyedMutex();

  private constructor(
    private readonly store: ClaimStore,
    private readonly legacy: Legacy | undefined,
  ) {}

  /** Opens DATA/auth over the store's claims; call after the store has opened (its LOCK covers this folder). */
  static async open(dataDir: string, store: ClaimStore): Promise<ShardRefs> {
    const dir = join(dataDir, 'auth');
    await mkdir(dir, { recursive: true });
    await checkOrInitMarker(dir, { format: AUTH_FORMAT, version: AUTH_VERSION }, { what: 'DDC auth folder', requireFresh: false });
    const legacyPath = join(dir, 'refs');
    let legacy: Legacy | undefined;
    if (await access(legacyPath).then(() => true, () => false)) {
      const root = open({ path: legacyPath, overlappingSync: false, noSync: false, noMetaSync: false, useWritemap: false, maxDbs: 2 });
      legacy = { root, db: root.openDB<Buffer, [string, number]>('refs', { encoding: 'binary' }) };
    }
    return new ShardRefs(store, legacy);
  }

  /** Runs `fn` with the shard's claims locked against other PUTs and DELETEs of it. */
  withLock<T>(id: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(id, fn);
  }

  /** The buckets (0 = unowned) that claim shard `id`, ascending. */
  list(id: string): number[] {
    const out = this.store.claims(id);
    if (!this.legacy) return out;
    const old = this.legacyList(id);
    if (old.length === 0) return out;
    return [...new Set([...out, ...old])].sort((x, y) => x - y);
  }

  /** Adds claims; resolves once they are on disk. */
  add(id: string, buckets: readonly number[]): Promise<void> {
    return this.store.addClaims(id, buckets);
  }

  /** Removes claims (all of the shard's when `buckets` is undefined); resolves once on disk. */
  async remove(id: string, buckets?: readonly number[]): Promise<void> {
    const gone = buckets ?? this.list(id);
    if (gone.length === 0) return;
    await this.store.removeClaims(id, gone);
    const legacy = this.legacy;
    const old = legacy ? this.legacyList(id).filter((b) => gone.includes(b)) : [];
    if (legacy && old.length > 0) {
      await legacy.root.batch(() => {
        for (const b of old) void legacy.db.remove([id, b]);
      });
    }
  }

  private legacyList(id: string): number[] {
    const out: number[] = [];
    for (const key of this.legacy!.db.getKeys({ start: [id, -1], end: [id, MAX_BUCKET + 1] })) out.push(key[1]);
    return out;
  }

  async close(): Promise<void> {
    await this.legacy?.root.close();
  }
}
