/**
 * A temporary file that takes chunks as they arrive. While one write runs, later chunks
 * queue and go out together in one writev, so a fast socket costs few syscalls and no
 * extra copies. `push` says when the caller should pause (too much queued).
 */
import { open, unlink, type FileHandle } from 'node:fs/promises';

/** Queued bytes above which the producer should pause. */
const HIGH_WATER = 4 * 1024 * 1024;
/** writev takes at most IOV_MAX (1024 on Linux) buffers. */
const MAX_IOV = 1024;

export class TempFile {
  private fh: FileHandle | undefined;
  private opening: Promise<FileHandle> | undefined;
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

  private handle(): Promise<FileHandle> {
    this.opening ??= open(this.path, 'wx').then((fh) => (this.fh = fh));
    return this.opening;
  }

  private async pump(): Promise<void> {
    try {
      const fh = await this.handle();
      while (this.queue.length > 0) {
        const batch = this.queue.length <= MAX_IOV ? this.queue : this.queue.slice(0, MAX_IOV);
        this.queue = this.queue.length <= MAX_IOV ? [] : this.queue.slice(MAX_IOV);
        const size = batch.reduce((n, b) => n + b.length, 0);
        await writeAll(fh, batch, size);
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
    while (this.pumping) await this.pumping;
    if (this.failure) throw this.failure;
    const fh = await this.handle();
    // fdatasync flushes the data and the size needed to read it back.
    await fh.datasync();
    this.closed = true;
    await fh.close();
  }

  /** Closes and removes the file; safe to call at any point and more than once. */
  async discard(): Promise<void> {
    this.queue = [];
    while (this.pumping) await this.pumping.catch(() => undefined);
    this.queued = 0;
    if (this.opening) {
      await this.opening.catch(() => undefined);
      if (this.fh && !this.closed) {
        this.closed = true;
        await this.fh.close().catch(() => undefined);
      }
      await unlink(this.path).catch(() => undefined);
    }
    this.wakeDrainers();
  }
}

async function writeAll(fh: FileHandle, buffers: Uint8Array[], size: number): Promise<void> {
  let { bytesWritten } = buffers.length === 1 ? await fh.write(buffers[0]!) : await fh.writev(buffers);
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
    ({ bytesWritten } = await fh.writev(buffers));
  }
}
