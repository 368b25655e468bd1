/**
 * The edge cache: verified blocks on disk, keyed by CID, bounded by bytes.
 *
 *   DATA/cache/<last two characters of the CID>/<CID>
 *
 * (the last characters vary; every CIDv1 starts alike). Files are written to a temporary
 * name and renamed, so a reader never sees half a block; whatever is read is verified
 * against its CID again by the SDK before use (blockCache contract), so a damaged file
 * costs one fetch from the nodes, never a wrong byte. Recency is kept in memory (a Map in
 * access order) and on disk through the files' mtimes, so eviction order survives a
 * restart, which rebuilds the index by scanning the folder. Implements the SDK's BlockCache.
 */
import { mkdir, open, readdir, rename, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { BlockCache } from '@ddc/client';

export interface CacheStats {
  hits: number;
  misses: number;
  /** hits / (hits + misses), 0 before any read. */
  hitRate: number;
  /** Bytes of blocks held now. */
  bytes: number;
  blocks: number;
  maxBytes: number;
  evictions: number;
  /** Bytes answered from the cache. */
  bytesServed: number;
  /** Blocks not cached because too many writes were waiting for the disk. */
  skipped: number;
}

const CID_NAME = /^[a-zA-Z0-9]{8,200}$/;
/** Bytes waiting to be written at most: past it, blocks are not cached (a fast read must not fill memory behind a slow disk). */
const MAX_PENDING_BYTES = 64 * 1024 * 1024;

export class DiskBlockCache implements BlockCache {
  /** CID → size, oldest access first. */
  private readonly index = new Map<string, number>();
  /** Blocks being written: readable from memory until their file is in place. */
  private readonly pending = new Map<string, Uint8Array>();
  private readonly writes = new Set<Promise<void>>();
  private total = 0;
  private pendingBytes = 0;
  private skipped = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;
  private bytesServed = 0;
  private closed = false;

  private constructor(readonly dir: string, readonly maxBytes: number) {}

  /** Opens the cache folder, rebuilding the index from the files there (oldest first). */
  static async open(dir: string, maxBytes: number): Promise<DiskBlockCache> {
    const cache = new DiskBlockCache(dir, maxBytes);
    await mkdir(dir, { recursive: true });
    const found: { cid: string; size: number; mtime: number }[] = [];
    for (const shard of await readdir(dir)) {
      const sub = join(dir, shard);
      let names: string[];
      try {
        names = await readdir(sub);
      } catch {
        continue; // not a folder
      }
      for (const name of names) {
        const path = join(sub, name);
        if (name.endsWith('.tmp') || !CID_NAME.test(name)) {
          await rm(path, { force: true }); // a write cut short by a crash
          continue;
        }
        const s = await stat(path).catch(() => undefined);
        if (s?.isFile()) found.push({ cid: name, size: s.size, mtime: s.mtimeMs });
      }
    }
    found.sort((a, b) => a.mtime - b.mtime);
    for (const f of found) {
      cache.index.set(f.cid, f.size);
      cache.total += f.size;
    }
    await cache.evict();
    return cache;
  }

  private pathOf(cid: string): string {
    return join(this.dir, cid.slice(-2), cid);
  }

  stats(): CacheStats {
    const reads = this.hits + this.misses;
    return {
      hits: this.hits, misses: this.misses, hitRate: reads ? this.hits / reads : 0, bytes: this.total, blocks: this.index.size,
      maxBytes: this.maxBytes, evictions: this.evictions, bytesServed: this.bytesServed, skipped: this.skipped,
    };
  }

  has(cid: string): boolean {
    return this.index.has(cid);
  }

  async get(cid: string): Promise<Uint8Array | undefined> {
    const size = this.index.get(cid);
    if (size === undefined || !CID_NAME.test(cid)) {
      this.misses++;
      return undefined;
    }
    const mem = this.pending.get(cid);
    let bytes: Uint8Array | undefined = mem;
    if (!bytes) {
      const path = this.pathOf(cid);
      try {
        const fh = await open(path, 'r');
        try {
          bytes = new Uint8Array(size);
          const { bytesRead } = await fh.read(bytes, 0, size, 0);
          if (bytesRead !== size) throw new Error('short read');
        } finally {
          await fh.close();
        }
      } catch {
        this.drop(cid);
        this.misses++;
        return undefined;
      }
      const now = new Date();
      void utimes(path, now, now).catch(() => {});
    }
    // Most recently used goes last.
    this.index.delete(cid);
    this.index.set(cid, size);
    this.hits++;
    this.bytesServed += size;
    return bytes;
  }

  /** Stores a verified block. For a block already held, the SDK found the entry damaged: the new file replaces it. */
  put(cid: string, bytes: Uint8Array): void {
    if (this.closed || this.maxBytes === 0 || bytes.length > this.maxBytes || this.pending.has(cid) || !CID_NAME.test(cid)) return;
    if (this.pendingBytes + bytes.length > MAX_PENDING_BYTES) {
      this.skipped++;
      return;
    }
    const old = this.index.get(cid);
    if (old !== undefined) {
      this.index.delete(cid);
      this.total -= old;
    }
    this.index.set(cid, bytes.length);
    this.total += bytes.length;
    this.pending.set(cid, bytes);
    this.pendingBytes += bytes.length;
    const write = this.write(cid, bytes)
      .catch(() => this.drop(cid))
      .finally(() => {
        this.pendingBytes -= bytes.length;
        this.pending.delete(cid);
        this.writes.delete(write);
      });
    this.writes.add(write);
  }

  private async write(cid: string, bytes: Uint8Array): Promise<void> {
    const path = this.pathOf(cid);
    await mkdir(join(this.dir, cid.slice(-2)), { recursive: true });
    const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, path);
    await this.evict();
  }

  /** Forgets a block and deletes its file. */
  private drop(cid: string): void {
    const size = this.index.get(cid);
    if (size === undefined) return;
    this.index.delete(cid);
    this.total -= size;
    void unlink(this.pathOf(cid)).catch(() => {});
  }

  /** Removes the least recently used blocks until the cache fits maxBytes. */
  private async evict(): Promise<void> {
    const removals: Promise<void>[] = [];
    for (const [cid, size] of this.index) {
      if (this.total <= this.maxBytes) break;
      if (this.pending.has(cid)) continue; // its file is not there yet
      this.index.delete(cid);
      this.total -= size;
      this.evictions++;
      removals.push(unlink(this.pathOf(cid)).catch(() => {}));
    }
    await Promise.all(removals);
  }

  /** Resolves once the writes in flight now are on disk (or dropped). */
  async idle(): Promise<void> {
    await Promise.all([...this.writes]);
  }

  /** Waits for writes in flight; later puts are ignored. */
  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }
}
