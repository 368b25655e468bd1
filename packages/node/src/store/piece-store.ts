/**
 * The piece store: shards on disk behind an LMDB index.
 *
 * A PUT is acknowledged only when it is durable: a small shard's bytes are committed
 * inside the index; a large shard is streamed to tmp/, renamed into shards/ab/<id>,
 * fdatasynced together with its folder, and only then indexed. Readers only ever find
 * shards through the index, so a half-written or orphaned file is never served.
 * A crash between rename and index commit leaves an orphan file; the sweep started at
 * open removes it.
 */
import { mkdir, open, readdir, rename, rm, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { BufferPool, isShardId } from '@ddc/core';
import { shardNotFound, shuttingDown } from '../errors.js';
import { DirSyncer, fsyncDir } from './fsync.js';
import { checkOrInitFormat, writeStoreFormat, type StoreFormat } from './format.js';
import { ShardIndex, type IndexStats } from './index-db.js';
import { KeyedMutex } from './keyed-mutex.js';
import { FAN_OUT_NAMES, STORE_VERSION, fanOutDir, shardFilePath, storeLayout, type StoreLayout } from './layout.js';
import { lockFolder, type FolderLock } from './lock.js';
import type { ShardMeta } from './meta-codec.js';
import { ShardUpload, type PutResult, type UploadSink, type VerifiedUpload } from './upload.js';

/** Reads at least this large use pooled memory; smaller ones come from Node's shared slab. */
const POOLED_READ_MIN = 64 * 1024;

export interface PieceStoreOptions {
  dataDir: string;
  maxShardBytes: number;
  inlineThreshold: number;
}

export interface ListedShard {
  id: string;
  pieceCid: string;
  index: number;
  k: number;
  m: number;
  length: number;
}

export class PieceStore implements UploadSink {
  readonly maxShardBytes: number;
  readonly inlineThreshold: number;
  private readonly idLocks = new KeyedMutex();
  private readonly dirSyncers = new Map<string, DirSyncer>();
  private readonly uploads = new Set<ShardUpload>();
  private readonly pending = new Set<Promise<unknown>>();
  private closing = false;
  /** Temporary file names: a random prefix per open store, then a counter (tmp/ is emptied at open). */
  private readonly tempPrefix = randomBytes(6).toString('hex');
  private tempCounter = 0;
  private sweep: Promise<number> | undefined;
  /**
   * Memory for whole-shard reads (serving, repair, scrub's mending), reused once its reader gives
   * it back (releaseBytes): a fresh 256 KiB array per read costs page faults, and V8 starts a
   * full mark-compact for every few tens of MiB of new array memory (measured: one every ~0.2 s
   * per node during a repair that allocated per shard).
   */
  private readonly readBuffers = new BufferPool(32);
  /**
   * Memory an inline shard is assembled in from its body's parts, given back once its commit has
   * settled (lmdb-js reads the value from it until then): a large put's nodes otherwise made a fresh
   * array per shard, as many bytes again as they received.
   */
  readonly assembly = new BufferPool(32);

  private constructor(
    readonly layout: StoreLayout,
    readonly format: StoreFormat,
    private readonly index: ShardIndex,
    private readonly lock: FolderLock,
    options: PieceStoreOptions,
  ) {
    this.maxShardBytes = options.maxShardBytes;
    this.inlineThreshold = options.inlineThreshold;
  }

  /** Opens (or creates) a store; throws DDC_STORE_LOCKED or DDC_STORE_VERSION. */
  static async open(options: PieceStoreOptions): Promise<PieceStore> {
    const layout = storeLayout(options.dataDir);
    await mkdir(layout.root, { recursive: true });
    const lock = await lockFolder(layout.root, layout.lock);
    try {
      let format = await checkOrInitFormat(layout);
      // Uploads cut off by a crash: never indexed, so simply dropped.
      await rm(layout.tmp, { recursive: true, force: true });
      await mkdir(layout.tmp, { recursive: true });
      await mkdir(layout.shards, { recursive: true });
      await Promise.all(FAN_OUT_NAMES.map((n) => mkdir(join(layout.shards, n), { recursive: true })));
      await fsyncDir(layout.shards);
      await fsyncDir(layout.root);
      const index = ShardIndex.open(layout.index);
      if (format.version < STORE_VERSION) {
        try {
          await index.upgradeFromFormat1();
          format = await writeStoreFormat(layout);
        } catch (e) {
          await index.close();
          throw e;
        }
      }
      const store = new PieceStore(layout, format, index, lock, options);
      store.sweep = store.track(store.sweepOrphans());
      return store;
    } catch (e) {
      await lock.release();
      throw e;
    }
  }

  // ---- writes ----

  /** Starts an upload; feed it the body, then `end()` it (or `abort()`). */
  /** `claims`: bucket claims committed in the same transaction as the shard, if this upload creates it. */
  beginPut(expectedId?: string, declaredLength?: number, claims?: readonly number[]): ShardUpload {
    if (this.closing) throw shuttingDown();
    const upload = new ShardUpload(this, expectedId, declaredLength, claims);
    this.uploads.add(upload);
    return upload;
  }

  /** Stores a whole shard held in memory (repair, tests). */
  async putBytes(bytes: Uint8Array, expectedId?: string): Promise<PutResult> {
    const upload = this.beginPut(expectedId, bytes.length);
    try {
      upload.write(bytes);
    } catch (e) {
      await upload.abort();
      throw e;
    }
    return upload.end();
  }

  newTempPath(): string {
    return join(this.layout.tmp, `${this.tempPrefix}-${(this.tempCounter++).toString(36)}.part`);
  }

  release(upload: ShardUpload): void {
    this.uploads.delete(upload);
  }

  /** Called by an upload that verified: durable first, then indexed. */
  commit(u: VerifiedUpload): Promise<PutResult> {
    return this.track(
      this.idLocks.run(u.id, async () => {
        const h = u.header;
        const meta: ShardMeta = {
          pieceCid: h.pieceCid.toString(),
          index: h.index,
          k: h.k,
          m: h.m,
          length: u.length,
          headerLength: u.headerLength,
          location: u.temp ? 'file' : 'inline',
        };
        if (this.index.has(u.id)) {
          await u.temp?.discard();
          return { id: u.id, created: false, length: u.length };
        }
        if (u.temp) {
          // Rename first, then sync the file's data and the folder's new entry at once: both are
          // durable before the index names the shard, and nothing finds an unindexed file (a crash
          // before the insert leaves an orphan for the sweep, which takes this id's lock too).
          const path = shardFilePath(this.layout, u.id);
          await rename(u.temp.path, path);
          try {
            await Promise.all([u.temp.syncAndClose(), this.syncerFor(fanOutDir(this.layout, u.id)).sync()]);
          } catch (e) {
            await unlink(path).catch(() => undefined);
            throw e;
          }
          await this.index.insert(u.id, meta, undefined, u.claims);
        } else {
          await this.index.insert(u.id, meta, u.bytes, u.claims);
        }
        return { id: u.id, created: true, length: u.length };
      }),
    );
  }

  private syncerFor(dir: string): DirSyncer {
    let s = this.dirSyncers.get(dir);
    if (!s) this.dirSyncers.set(dir, (s = new DirSyncer(dir)));
    return s;
  }

  /** Removes a shard: index entries first (durably), then the file. */
  delete(id: string): Promise<boolean> {
    if (this.closing) return Promise.reject(shuttingDown());
    return this.track(
      this.idLocks.run(id, async () => {
        const meta = this.index.get(id);
        if (!meta) return false;
        await this.index.remove(id, meta);
        if (meta.location === 'file') await unlink(shardFilePath(this.layout, id)).catch(ignoreMissing);
        return true;
      }),
    );
  }

  // ---- quarantine (added for the scrub worker, workers/scrub.ts) ----

  /** Where damaged shards are kept for inspection: DATA/quarantine/<id>.<ms since epoch>. */
  get quarantineDir(): string {
    return join(this.layout.root, 'quarantine');
  }

  /**
   * Takes a damaged shard out of service: its index entries go first (durably, so it is
   * never served again), then its bytes move to quarantine/ (a file is renamed, inline bytes
   * are written out). Resolves with the quarantine path (null if the bytes were already
   * gone), or undefined if the store no longer held the shard.
   */
  quarantine(id: string): Promise<{ path: string | null } | undefined> {
    if (this.closing) return Promise.reject(shuttingDown());
    return this.track(
      this.idLocks.run(id, async () => {
        const meta = this.index.get(id);
        if (!meta) return undefined;
        const inline = meta.location === 'inline' ? this.index.readInline(id, (n) => Buffer.allocUnsafe(n)) : undefined;
        await this.index.remove(id, meta);
        await mkdir(this.quarantineDir, { recursive: true });
        const path = join(this.quarantineDir, `${id}.${Date.now()}`);
        try {
          if (meta.location === 'file') await rename(shardFilePath(this.layout, id), path);
          else if (inline) await writeFile(path, inline);
          else return { path: null };
        } catch (e) {
          ignoreMissing(e);
          return { path: null };
        }
        return { path };
      }),
    );
  }

  // ---- reads (synchronous index lookups) ----

  meta(id: string): ShardMeta | undefined {
    return this.index.get(id);
  }

  /**
   * The bytes of an inline shard, or its first `length` (a copy, from the read pool once 64 KiB or
   * more: give it back with releaseBytes when nothing reads it any more), or undefined if it is not inline.
   */
  inlineBytes(id: string, length?: number): Uint8Array | undefined {
    return this.index.readInline(id, (n) => this.takeReadBuffer(n), length);
  }

  filePath(id: string): string {
    return shardFilePath(this.layout, id);
  }

  /** Opens a file shard for reading; throws DDC_SHARD_NOT_FOUND if the file is gone. */
  async openFile(id: string): Promise<FileHandle> {
    try {
      return await open(this.filePath(id), 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw shardNotFound(id);
      throw e;
    }
  }

  /**
   * The stored shard in memory (challenges, verified reads), or only its first `length` bytes
   * (the header, for auditors); throws DDC_SHARD_NOT_FOUND.
   */
  async readShard(id: string, meta = this.meta(id), length?: number): Promise<Uint8Array> {
    if (!meta) throw shardNotFound(id);
    const want = Math.min(length ?? meta.length, meta.length);
    if (meta.location === 'inline') {
      const bytes = this.inlineBytes(id, want);
      if (!bytes) throw shardNotFound(id);
      return bytes;
    }
    const fh = await this.openFile(id);
    try {
      // Read exactly the indexed length: a file grown or cut on disk is caught by verification.
      const buf = this.takeReadBuffer(want);
      let off = 0;
      while (off < want) {
        const { bytesRead } = await fh.read(buf, off, want - off, off);
        if (bytesRead === 0) break;
        off += bytesRead;
      }
      return off === want ? buf : buf.subarray(0, off);
    } finally {
      await fh.close();
    }
  }

  /** A buffer of `want` bytes for reading a shard file into, from the read pool. */
  takeReadBuffer(want: number): Uint8Array {
    return want >= POOLED_READ_MIN ? this.readBuffers.take(want) : Buffer.allocUnsafe(want);
  }

  /** Gives back the bytes of a readShard (or takeReadBuffer) that nothing will read again; anything else is ignored. */
  releaseBytes(bytes: Uint8Array): void {
    this.readBuffers.give(bytes);
  }

  list(after: string | undefined, limit: number): { shards: ListedShard[]; next: string | null } {
    const page = this.index.list(after, limit + 1);
    const more = page.length > limit;
    const shards = page.slice(0, limit).map(({ id, meta }) => ({ id, pieceCid: meta.pieceCid, index: meta.index, k: meta.k, m: meta.m, length: meta.length }));
    return { shards, next: more ? shards[shards.length - 1]!.id : null };
  }

  /** One shard of the piece at `index` (the lowest id if this node holds several), for reads by piece and index. */
  pieceShard(pieceCid: string, index: number): (ShardMeta & { id: string }) | undefined {
    const id = this.index.firstPieceShardId(pieceCid, index);
    if (id === undefined) return undefined;
    const meta = this.index.get(id);
    return meta && { id, ...meta };
  }

  /** The shards of one piece this node holds (one index if given), in index order. */
  pieceShards(pieceCid: string, index?: number): (ShardMeta & { id: string })[] {
    const out: (ShardMeta & { id: string })[] = [];
    for (const id of this.index.pieceShardIds(pieceCid, index)) {
      const meta = this.index.get(id);
      if (meta) out.push({ id, ...meta });
    }
    return out;
  }

  // ---- bucket claims (auth/shard-refs.ts), kept in the index so a shard and its claims commit together ----

  claims(id: string): number[] {
    return this.index.claims(id);
  }

  /** False when `id` certainly has no claims (not stored, and no claim outlived it); `claims` then reads nothing. */
  mayHaveClaims(id: string): boolean {
    return this.index.mayHaveClaims(id);
  }

  addClaims(id: string, buckets: readonly number[]): Promise<void> {
    return this.index.addClaims(id, buckets);
  }

  removeClaims(id: string, buckets: readonly number[]): Promise<void> {
    return this.index.removeClaims(id, buckets);
  }

  stats(): IndexStats {
    return this.index.stats();
  }

  // ---- maintenance ----

  /** Resolves with the number of orphan files the sweep started at open removed. */
  orphanSweep(): Promise<number> {
    return this.sweep ?? Promise.resolve(0);
  }

  /** Removes shard files that have no index entry (a crash after rename, before commit). */
  private async sweepOrphans(): Promise<number> {
    let removed = 0;
    for (const name of FAN_OUT_NAMES) {
      if (this.closing) break;
      let files: string[];
      try {
        files = await readdir(join(this.layout.shards, name));
      } catch {
        continue;
      }
      for (const id of files) {
        if (this.closing) break;
        if (!isShardId(id) || this.index.has(id)) continue;
        // Under the id's lock, so a PUT between rename and commit is never mistaken for an orphan.
        const gone = await this.idLocks.run(id, async () => {
          if (this.index.has(id)) return false;
          await unlink(shardFilePath(this.layout, id)).catch(ignoreMissing);
          return true;
        });
        if (gone) removed++;
      }
    }
    return removed;
  }

  track<T>(p: Promise<T>): Promise<T> {
    this.pending.add(p);
    const forget = () => this.pending.delete(p);
    p.then(forget, forget);
    return p;
  }

  /** Waits for commits and deletes under way, drops unfinished uploads, closes the index, releases the lock. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    await Promise.all([...this.uploads].map((u) => u.abort()));
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    await Promise.all([...this.dirSyncers.values()].map((s) => s.close()));
    await this.index.close();
    await this.lock.release();
  }
}

function ignoreMissing(e: unknown): void {
  if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
}
