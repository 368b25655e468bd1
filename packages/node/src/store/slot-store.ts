/**
 * Mid-sized shards (a 1 MiB piece's quarter, say) in fixed-size slots of preallocated-by-use
 * files, written and read with O_DIRECT.
 *
 *   slots/<size>.<n>   SLOT_FILE_BYTES of slots of `size` bytes (a multiple of 4096)
 *
 * Why: every byte a node stores through the page cache (LMDB values, shard files) lands on fresh
 * pages, and on this project's VM that costs about 2 ms of system time per MiB (LMDB at 256 KiB
 * values: 0.5–0.57 s per 268 MB against 0.02–0.05 s written directly; docs/BENCHMARKS.md). Direct
 * I/O moves the bytes from one reused, aligned buffer to the disk, and keeps shards that are
 * mostly read once (by repair, scrub or a get) out of the cache.
 *
 * The index is the only record of which slots hold what: a slot is written (and fdatasynced)
 * before the index entry that names it commits, and a slot no index entry names is free. So a
 * crash mid-write leaves a free slot, never a corrupt shard. A freed slot is reused only once
 * every read that started before it was freed has finished, so no read sees another shard's bytes.
 * Where the file system refuses O_DIRECT (tmpfs), the same layout is written through the cache.
 */
import { closeSync, constants, fdatasync, open, openSync, read, write, writeSync } from 'node:fs';
import { mkdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { SlotAddress } from './meta-codec.js';

/** Direct I/O wants buffers, offsets and lengths aligned to the device's block; 4096 covers every common one. */
const ALIGN = 4096;
/** Each slot file holds about this much (a whole number of its slots). */
const SLOT_FILE_BYTES = 1024 * 1024 * 1024;
/** Aligned memory is carved from arenas this large. */
const ARENA_BYTES = 8 * 1024 * 1024;
/** Free aligned buffers kept per size. */
const POOLED_PER_SIZE = 32;

export function slotSizeFor(length: number): number {
  return Math.ceil(length / ALIGN) * ALIGN;
}

interface SlotFile {
  fd: number;
  /** The same file through the page cache, opened if a direct transfer is refused (EINVAL: memory not aligned after all). */
  cachedFd?: number;
  path: string;
  /** Written since the last fdatasync. */
  dirty: boolean;
}

interface FreedSlot {
  address: SlotAddress;
  /** Reads numbered up to this one may still be reading the slot's old bytes. */
  readsBefore: number;
}

export class SlotStore {
  private readonly files = new Map<string, SlotFile>();
  /** Per size: free slots, and the next never-used slot number (over all files of the size). */
  private readonly free = new Map<number, SlotAddress[]>();
  private readonly highWater = new Map<number, number>();
  private readonly freed: FreedSlot[] = [];
  /** Reads in flight by number; a Set keeps insertion order, so its first is the oldest. */
  private readonly activeReads = new Set<number>();
  private readSeq = 0;
  private readonly aligned = new Map<number, Uint8Array[]>();
  private arena: { memory: ArrayBuffer; next: number; end: number } | undefined;
  private pendingWrites: { address: SlotAddress; bytes: Uint8Array; resolve(): void; reject(e: unknown): void }[] = [];
  private closed = false;

  private constructor(
    private readonly dir: string,
    /** False where the file system refused O_DIRECT. */
    readonly direct: boolean,
    private readonly alignOffset: number,
  ) {}

  /**
   * Opens the slot files under `dir`; `inUse` are the slots the index names (all others are free).
   * `direct: false` goes through the page cache even where O_DIRECT is available.
   */
  static async open(dir: string, inUse: Iterable<SlotAddress>, options: { direct?: boolean } = {}): Promise<SlotStore> {
    await mkdir(dir, { recursive: true });
    const probe = options.direct === false ? { direct: false, offset: 0 } : probeDirectIo(join(dir, '.probe'));
    await unlink(join(dir, '.probe')).catch(() => undefined);
    const store = new SlotStore(dir, probe.direct, probe.offset);
    const used = new Map<number, Set<number>>();
    for (const a of inUse) {
      const perFile = slotsPerFile(a.size);
      const n = a.file * perFile + a.slot;
      let set = used.get(a.size);
      if (!set) used.set(a.size, (set = new Set()));
      set.add(n);
      store.highWater.set(a.size, Math.max(store.highWater.get(a.size) ?? 0, n + 1));
    }
    for (const [size, set] of used) {
      const perFile = slotsPerFile(size);
      const free: SlotAddress[] = [];
      for (let n = (store.highWater.get(size) ?? 0) - 1; n >= 0; n--) {
        if (!set.has(n)) free.push({ size, file: Math.floor(n / perFile), slot: n % perFile });
      }
      store.free.set(size, free);
    }
    return store;
  }

  /** A slot for a shard of `length` bytes, not in use until the index names it (or `release` gives it back). */
  allocate(length: number): SlotAddress {
    const size = slotSizeFor(length);
    this.reclaimFreed();
    const reused = this.free.get(size)?.pop();
    if (reused) return reused;
    const n = this.highWater.get(size) ?? 0;
    this.highWater.set(size, n + 1);
    const perFile = slotsPerFile(size);
    return { size, file: Math.floor(n / perFile), slot: n % perFile };
  }

  /** A slot that was allocated but never named by the index: free at once (nobody reads it). */
  unused(address: SlotAddress): void {
    this.freeList(address.size).push(address);
  }

  /** A slot whose index entry is gone: free once the reads that may still see it have ended. */
  release(address: SlotAddress): void {
    this.freed.push({ address, readsBefore: this.readSeq });
  }

  /**
   * Writes `bytes` into the slot and makes them durable. Writes asked for in the same event turn
   * share the fdatasync of each file they touch.
   */
  write(address: SlotAddress, bytes: Uint8Array): Promise<void> {
    if (bytes.length > address.size) return Promise.reject(new Error(`a shard of ${bytes.length} bytes does not fit a slot of ${address.size}`));
    return new Promise<void>((resolve, reject) => {
      if (this.pendingWrites.length === 0) queueMicrotask(() => void this.flushWrites());
      this.pendingWrites.push({ address, bytes, resolve, reject });
    });
  }

  private async flushWrites(): Promise<void> {
    const batch = this.pendingWrites;
    this.pendingWrites = [];
    const touched = new Set<SlotFile>();
    const buffers: Uint8Array[] = [];
    try {
      await Promise.all(
        batch.map(async ({ address, bytes }) => {
          const file = this.fileOf(address);
          const buf = this.takeAligned(address.size);
          buffers.push(buf);
          buf.set(bytes);
          buf.fill(0, bytes.length);
          await orCached(file, (fd) => writeAll(fd, buf, offsetOf(address)));
          file.dirty = true;
          touched.add(file);
        }),
      );
      await Promise.all([...touched].map((f) => syncFile(f)));
      for (const w of batch) w.resolve();
    } catch (e) {
      for (const w of batch) w.reject(e);
    } finally {
      for (const b of buffers) this.giveAligned(b);
    }
  }

  /** The first `length` bytes of the slot, copied into `out`. */
  async read(address: SlotAddress, out: Uint8Array): Promise<Uint8Array> {
    const seq = ++this.readSeq;
    this.activeReads.add(seq);
    const buf = this.takeAligned(address.size);
    try {
      const got = await orCached(this.fileOf(address), (fd) => readAll(fd, buf, offsetOf(address)));
      const n = Math.min(out.length, got);
      out.set(buf.subarray(0, n));
      return n === out.length ? out : out.subarray(0, n);
    } finally {
      this.giveAligned(buf);
      this.activeReads.delete(seq);
    }
  }

  private reclaimFreed(): void {
    if (this.freed.length === 0) return;
    const oldest = this.activeReads.values().next().value ?? Infinity;
    let kept = 0;
    for (const f of this.freed) {
      if (f.readsBefore < oldest) this.freeList(f.address.size).push(f.address);
      else this.freed[kept++] = f;
    }
    this.freed.length = kept;
  }

  private freeList(size: number): SlotAddress[] {
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    return list;
  }

  private fileOf(address: SlotAddress): SlotFile {
    if (this.closed) throw new Error('the slot store is closed');
    const name = `${address.size}.${address.file}`;
    let f = this.files.get(name);
    if (!f) {
      const flags = constants.O_RDWR | constants.O_CREAT | (this.direct ? constants.O_DIRECT : 0);
      const path = join(this.dir, name);
      f = { fd: openSync(path, flags, 0o600), path, dirty: false };
      this.files.set(name, f);
    }
    return f;
  }

  /** A buffer of `size` bytes whose memory is aligned for direct I/O. */
  private takeAligned(size: number): Uint8Array {
    const pooled = this.aligned.get(size)?.pop();
    if (pooled) return pooled;
    if (size > ARENA_BYTES) return this.alignedIn(new ArrayBuffer(size + ALIGN), size);
    if (!this.arena || this.arena.end - this.arena.next < size) {
      const memory = new ArrayBuffer(ARENA_BYTES + ALIGN);
      this.arena = { memory, next: this.alignOffset, end: this.alignOffset + ARENA_BYTES };
    }
    const buf = new Uint8Array(this.arena.memory, this.arena.next, size);
    this.arena.next += size;
    return buf;
  }

  private alignedIn(memory: ArrayBuffer, size: number): Uint8Array {
    return new Uint8Array(memory, this.alignOffset, size);
  }

  private giveAligned(buf: Uint8Array): void {
    let list = this.aligned.get(buf.length);
    if (!list) this.aligned.set(buf.length, (list = []));
    if (list.length < POOLED_PER_SIZE) list.push(buf);
  }

  close(): void {
    this.closed = true;
    for (const f of this.files.values()) {
      closeSync(f.fd);
      if (f.cachedFd !== undefined) closeSync(f.cachedFd);
    }
    this.files.clear();
  }
}

function slotsPerFile(size: number): number {
  return Math.max(1, Math.floor(SLOT_FILE_BYTES / size));
}

function offsetOf(a: SlotAddress): number {
  return a.slot * a.size;
}

/**
 * Whether the folder's file system takes O_DIRECT, and where in a fresh ArrayBuffer aligned memory
 * starts. JavaScript cannot see addresses, and Node's large ArrayBuffers all start at the same
 * offset from a page (their allocator's header), so one probe write per offset finds it.
 */
function probeDirectIo(path: string): { direct: boolean; offset: number } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_DIRECT, 0o600);
  } catch {
    return { direct: false, offset: 0 };
  }
  try {
    const memory = new ArrayBuffer(ARENA_BYTES + ALIGN);
    for (let offset = 0; offset < ALIGN; offset += 16) {
      try {
        writeSync(fd, new Uint8Array(memory, offset, ALIGN), 0, ALIGN, 0);
        return { direct: true, offset };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
      }
    }
    return { direct: false, offset: 0 };
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, buf: Uint8Array, position: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const step = (off: number) =>
      write(fd, buf, off, buf.length - off, position + off, (e, n) => {
        if (e) return reject(e);
        if (off + n >= buf.length) return resolve();
        step(off + n);
      });
    step(0);
  });
}

/** Reads the slot whole; resolves with the bytes read (fewer at the end of a file cut short). */
function readAll(fd: number, buf: Uint8Array, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const step = (off: number) =>
      read(fd, buf, off, buf.length - off, position + off, (e, n) => {
        if (e) return reject(e);
        if (n === 0 || off + n >= buf.length) return resolve(off + n);
        step(off + n);
      });
    step(0);
  });
}

/** Runs a transfer on the direct descriptor, and once more through the cache if the kernel refused it as unaligned. */
async function orCached<T>(f: SlotFile, transfer: (fd: number) => Promise<T>): Promise<T> {
  try {
    return await transfer(f.fd);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
    f.cachedFd ??= openSync(f.path, constants.O_RDWR, 0o600);
    return transfer(f.cachedFd);
  }
}

function syncFile(f: SlotFile): Promise<void> {
  f.dirty = false;
  return new Promise((resolve, reject) => fdatasync(f.fd, (e) => (e ? reject(e) : resolve())));
}
