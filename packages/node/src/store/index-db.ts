/**
 * The LMDB index of a store: shard id -> metadata, (piece CID, index) -> shard ids for the read
 * path (`pieceIndex`), the bytes of small shards, and the buckets that claim each shard
 * ([id, bucket] -> 1; see auth/shard-refs.ts). Claims live here so that a bucket's PUT commits
 * its shard and its claim in one transaction: one fsync instead of two, and no crash window
 * between them.
 *
 * Durability: `overlappingSync: false` makes every commit fsync before its promise
 * resolves (with lmdb-js's default overlappingSync on Linux a write resolves when it is
 * visible and is flushed later, so an acknowledged write could be lost to a power cut).
 * `noSync`, `noMetaSync` and `useWritemap` stay off (and `mapAsync`, by default), so LMDB syncs data and meta
 * pages on each commit. Writes of one event turn share one transaction (and one fsync).
 * Async transaction callbacks (`db.transaction`) are not used: they hang in this
 * environment, so inserts use `ifNoExists` (a conditional batch) instead.
 *
 * Store format 1 kept (piece CID, index, id) as the keys of a `pieces` database, so every read by
 * piece and index was a range scan; format 2 keeps the ids as sorted duplicates under
 * (piece CID, index), a point read for the common case of one shard there (a scan cost a large
 * read's nodes about a sixth of their main thread; docs/BENCHMARKS.md). upgradeFromFormat1 brings
 * a format 1 index over.
 */
import { open, type Database, type RootDatabase } from 'lmdb';
import { decodeMeta, encodeMeta, type ShardMeta } from './meta-codec.js';

export interface IndexedShard {
  id: string;
  meta: ShardMeta;
}

export interface IndexStats {
  shards: number;
  bytes: number;
}

const PRESENT = Buffer.from([1]);
const ID_BYTES = 32;

function idHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, ID_BYTES).toString('hex');
}
/** Above any stripe index, so [cid, END] ends a range over one piece. */
const END = 1000;

export class ShardIndex {
  private readonly counts: IndexStats = { shards: 0, bytes: 0 };
  /**
   * Ids that may have claims but no shard (a delete or quarantine leaves the claims; see
   * shard-refs.ts), kept a superset: added before such a state can be seen, dropped after it
   * ends. `claims` of any other id that is not stored reads nothing: the LMDB range read per PUT
   * was most of what a node's small writes promoted to the old generation (docs/BENCHMARKS.md).
   */
  private readonly claimedAbsent = new Set<string>();

  private constructor(
    private readonly root: RootDatabase,
    private readonly shards: Database<Buffer, string>,
    private readonly inline: Database<Buffer, string>,
    private readonly pieceIndex: Database<Buffer, [string, number]>,
    private readonly refs: Database<Buffer, [string, number]>,
  ) {
    for (const { value } of this.shards.getRange({})) {
      this.counts.shards++;
      this.counts.bytes += decodeMeta(value).length;
    }
    for (const key of this.refs.getKeys({})) if (!this.has(key[0])) this.claimedAbsent.add(key[0]);
  }

  static open(path: string): ShardIndex {
    const root = open({
      path,
      overlappingSync: false,
      noSync: false,
      noMetaSync: false,
      useWritemap: false,
      maxDbs: 8,
    });
    const shards = root.openDB<Buffer, string>('shards', { encoding: 'binary' });
    const inline = root.openDB<Buffer, string>('inline', { encoding: 'binary' });
    const pieceIndex = root.openDB<Buffer, [string, number]>('pieceIndex', { encoding: 'binary', dupSort: true });
    const refs = root.openDB<Buffer, [string, number]>('refs', { encoding: 'binary' });
    return new ShardIndex(root, shards, inline, pieceIndex, refs);
  }

  get(id: string): ShardMeta | undefined {
    const rec = this.shards.getBinaryFast(id);
    return rec === undefined ? undefined : decodeMeta(rec);
  }

  has(id: string): boolean {
    return this.shards.getBinaryFast(id) !== undefined;
  }

  /**
   * An inline shard's first `length` bytes (all of them by default), copied into an array from
   * `alloc`; undefined if it is not inline. LMDB hands out a large value as a view of its memory
   * map, good only until a later write reuses those pages: the copy is made here, synchronously,
   * so the caller may keep it, send it, or give it back to a pool.
   */
  readInline(id: string, alloc: (length: number) => Uint8Array, length?: number): Uint8Array | undefined {
    const view = this.inline.getBinaryFast(id);
    if (view === undefined) return undefined;
    // A small value comes in lmdb-js's reused buffer, longer than the value: its `length` says how
    // much is the value, the array itself does not (so always copy a subarray).
    const n = Math.min(length ?? view.length, view.length);
    const out = alloc(n);
    out.set(view.subarray(0, n));
    return out;
  }

  /** Adds a shard (and `claims` on it) unless its id is already there; resolves once the commit is on disk. */
  async insert(id: string, meta: ShardMeta, inlineBytes?: Uint8Array, claims: readonly number[] = []): Promise<boolean> {
    const added = await this.shards.ifNoExists(id, () => {
      void this.shards.put(id, encodeMeta(meta));
      if (inlineBytes) void this.inline.put(id, inlineBytes as Buffer);
      void this.pieceIndex.put([meta.pieceCid, meta.index], Buffer.from(id, 'hex'));
      for (const b of claims) void this.refs.put([id, b], PRESENT);
    });
    if (added) {
      this.claimedAbsent.delete(id);
      this.counts.shards++;
      this.counts.bytes += meta.length;
    }
    return added;
  }

  /** Removes a shard's entries in one transaction (its claims stay); resolves once the commit is on disk. */
  async remove(id: string, meta: ShardMeta): Promise<void> {
    if (this.claims(id).length > 0) this.claimedAbsent.add(id);
    await this.root.batch(() => {
      void this.shards.remove(id);
      if (meta.location === 'inline') void this.inline.remove(id);
      void this.pieceIndex.remove([meta.pieceCid, meta.index], Buffer.from(id, 'hex'));
    });
    this.counts.shards--;
    this.counts.bytes -= meta.length;
  }

  /** Up to `limit` shards in id order, after `after` (exclusive). */
  list(after: string | undefined, limit: number): IndexedShard[] {
    const out: IndexedShard[] = [];
    const range = after === undefined ? this.shards.getRange({ limit: limit + 1 }) : this.shards.getRange({ start: after, limit: limit + 1 });
    for (const { key, value } of range) {
      if (key === after) continue;
      out.push({ id: key, meta: decodeMeta(value) });
      if (out.length === limit) break;
    }
    return out;
  }

  /** Ids of the shards of one piece this node holds, optionally of one index: by index, then id. */
  pieceShardIds(pieceCid: string, index?: number): string[] {
    const ids: string[] = [];
    if (index !== undefined) {
      for (const id of this.pieceIndex.getValues([pieceCid, index])) ids.push(idHex(id));
    } else {
      for (const { value } of this.pieceIndex.getRange({ start: [pieceCid, -1], end: [pieceCid, END] })) ids.push(idHex(value));
    }
    return ids;
  }

  /** The id of one shard of the piece at `index` (the lowest if this node holds several), in one point read. */
  firstPieceShardId(pieceCid: string, index: number): string | undefined {
    const view = this.pieceIndex.getBinaryFast([pieceCid, index]);
    // A small value comes in lmdb-js's reused buffer, which is longer: its `length` says the value's.
    return view === undefined ? undefined : idHex(view);
  }

  /**
   * Fills `pieceIndex` from the shard records (the authoritative part of a format 1 index) and
   * drops format 1's `pieces` keys; resolves with how many shards were indexed. Idempotent (a
   * repeated put of an id is a no-op), so a crash part-way is mended by running it again, which a
   * store does until its FORMAT says 2.
   */
  async upgradeFromFormat1(): Promise<number> {
    let indexed = 0;
    let batch: [string, ShardMeta][] = [];
    const flush = async () => {
      const entries = batch;
      batch = [];
      await this.root.batch(() => {
        for (const [id, meta] of entries) void this.pieceIndex.put([meta.pieceCid, meta.index], Buffer.from(id, 'hex'));
      });
      indexed += entries.length;
    };
    for (const { key, value } of this.shards.getRange({})) {
      batch.push([key, decodeMeta(value)]);
      if (batch.length >= 10_000) await flush();
    }
    await flush();
    await this.root.openDB('pieces', { encoding: 'binary' }).drop();
    return indexed;
  }

  /** False when `id` certainly has no claims: it is not stored and no claim outlived it. */
  mayHaveClaims(id: string): boolean {
    return this.claimedAbsent.has(id) || this.has(id);
  }

  /** The buckets that claim shard `id`, ascending (no index read when it certainly has none). */
  claims(id: string): number[] {
    if (!this.mayHaveClaims(id)) return [];
    const out: number[] = [];
    for (const key of this.refs.getKeys({ start: [id, -1], end: [id, Number.MAX_SAFE_INTEGER + 1] })) out.push(key[1]);
    return out;
  }

  async addClaims(id: string, buckets: readonly number[]): Promise<void> {
    if (buckets.length === 0) return;
    // Before the commit: the shard may be gone meanwhile (the caller then takes the claims back).
    this.claimedAbsent.add(id);
    await this.root.batch(() => {
      for (const b of buckets) void this.refs.put([id, b], PRESENT);
    });
    if (this.has(id)) this.claimedAbsent.delete(id);
  }

  async removeClaims(id: string, buckets: readonly number[]): Promise<void> {
    if (buckets.length === 0) return;
    await this.root.batch(() => {
      for (const b of buckets) void this.refs.remove([id, b]);
    });
    if (!this.has(id) && this.claims(id).length === 0) this.claimedAbsent.delete(id);
  }

  stats(): IndexStats {
    return { ...this.counts };
  }

  async close(): Promise<void> {
    await this.root.close();
  }
}
