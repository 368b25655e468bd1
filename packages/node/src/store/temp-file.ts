/**
 * A temporary file that takes chunks as they arrive. While one write runs, later chunks
 * queue and go out together in one writev, so a fast socket costs few syscalls and no
 * extra copies. `push` says when the caller should pause (too much queued).
 *
 * Plain fds and callback fs calls rather than FileHandle: this runs once per shard, and
 * a FileHandle (an event emitter, a promise per call) costs more than the syscalls it wraps.
 */
import { close, fdatasync, open, unlink, writev } from 'node:fs';

/** Queued bytes above which the producer should pause. */
const HIGH_WATER = 4 * 1024 * 1024;
/** writev takes at most IOV_MAX (1024 on Linux) buffers. */
const MAX_IOV = 1024;

function call<T>(fn: (cb: (e: NodeJS.ErrnoException | null, v: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((e, v) => (e ? reject(e) : resolve(v))));
}

export class TempFile {
  private fd: number | undefined;
  private opening: Promise<number> | undefined;
  private queue: Uint8Array[] = [];
  private queued = 0;
  private pumping: Promise<void> | undefined;
  private failure: unknown;
  private drainWaiters: (() => void)[] = [];
  private closed = false;

  constructor(readonly path: string) {}

  /** Queues a chunk; false means wait for `drained()` before pushing more. */
  push(chunk: Uint8Array): boolean {
    if (this.failure) throw this.failure;
    this.queue.push(chunk);
    this.queued += chunk.length;
    this.pumping ??= this.pump();
    return this.queued < HIGH_WATER;
  }

  drained(): Promise<void> {
    if (this.queued < HIGH_WATER || this.failure) return Promise.resolve();
    return new Promise((r) => this.drainWaiters.push(r));
  }

  private handle(): Promise<number> {
    this.opening ??= call<number>((cb) => open(this.path, 'wx', cb)).then((fd) => (this.fd = fd));
    return this.opening;
  }

  private async pump(): Promise<void> {
    try {
      const fd = await this.handle();
      while (this.queue.length > 0) {
        const batch = this.queue.length <= MAX_IOV ? this.queue : this.queue.slice(0, MAX_IOV);
        this.queue = this.queue.length <= MAX_IOV ? [] : this.queue.slice(MAX_IOV);
        let size = 0;
        for (const b of batch) size += b.length;
        await writeAll(fd, batch, size);
        this.queued -= size;
        if (this.queued < HIGH_WATER) this.wakeDrainers();
      }
    } catch (e) {
      this.failure = e;
      this.wakeDrainers();
    } finally {
      this.pumping = undefined;
    }
  }

  private wakeDrainers(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  /** Writes out what is queued, fsyncs and closes; after this the file is complete on disk. */
  async finish(): Promise<void> {
    await this.written();
    await this.syncAndClose();
  }

  /** Resolves once every queued byte is written (not yet synced). */
  async written(): Promise<void> {
    while (this.pumping) await this.pumping;
    if (this.failure) throw this.failure;
    await this.handle();
  }

  /**
   * fdatasync (the data and the size needed to read it back), then close. Works by descriptor,
   * so it may run after the file was renamed (the store renames first and syncs the file and its
   * new folder together, one journal commit instead of two in a row).
   */
  async syncAndClose(): Promise<void> {
    const fd = await this.handle();
    try {
      await call<void>((cb) => fdatasync(fd, cb));
    } finally {
      if (!this.closed) {
        this.closed = true;
        await call<void>((cb) => close(fd, cb));
      }
    }
  }

  /** Closes and removes the file; safe to call at any point and more than once. */
  async discard(): Promise<void> {
    this.queue = [];
    while (this.pumping) await this.pumping.catch(() => undefined);
    this.queued = 0;
    if (this.opening) {
      await this.opening.catch(() => undefined);
      if (this.fd !== undefined && !this.closed) {
        this.closed = true;
        const fd = this.fd;
        await call<void>((cb) => close(fd, cb)).catch(() => undefined);
      }
      await call<void>((cb) => unlink(this.path, cb)).catch(() => undefined);
    }
    this.wakeDrainers();
  }
}

async function writeAll(fd: number, buffers: Uint8Array[], size: number): Promise<void> {
  let bytesWritten = await call<number>((cb) => writev(fd, buffers, cb as (e: NodeJS.ErrnoException | null, n: number) => void));
  // A short write is rare on a regular file but legal: write the rest.
  while (bytesWritten < size) {
    let skip = bytesWritten;
    const rest: Uint8Array[] = [];
    for (const b of buffers) {
      if (skip >= b.length) {
        skip -= b.length;
        continue;
      }
      rest.push(skip > 0 ? b.subarray(skip) : b);
      skip = 0;
    }
    buffers = rest;
    size -= bytesWritten;
    bytesWritten = await call<number>((cb) => writev(fd, buffers, cb as (e: NodeJS.ErrnoException | null, n: number) => void));
  }
}
