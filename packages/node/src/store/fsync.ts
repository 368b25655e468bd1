/** Folder fsyncs: a rename is durable only once its folder is synced. */
import { close, fsync, open } from 'node:fs';
import { open as openAsync } from 'node:fs/promises';

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await openAsync(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function openDir(dir: string): Promise<number> {
  return new Promise((resolve, reject) => open(dir, 'r', (e, fd) => (e ? reject(e) : resolve(fd))));
}

function fsyncFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsync(fd, (e) => (e ? reject(e) : resolve())));
}

/**
 * Coalesces fsyncs of one folder: a caller waits for a sync that *starts* after its call,
 * so every rename done before that sync started is covered, and many concurrent writers
 * share one fsync instead of queueing one each (group commit). The folder stays open
 * between syncs (one syscall per sync instead of open, fsync, close); `close()` releases it.
 */
export class DirSyncer {
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  private fd: Promise<number> | undefined;
  private closed = false;

  constructor(private readonly dir: string) {}

  sync(): Promise<void> {
    if (!this.running) return this.start();
    // A sync is running but may have started before our rename: join the one after it.
    this.next ??= this.running.then(
      () => this.start(),
      () => this.start(),
    );
    return this.next;
  }

  private start(): Promise<void> {
    this.next = undefined;
    const p = this.syncOnce().finally(() => {
      if (this.running === p) this.running = undefined;
    });
    this.running = p;
    return p;
  }

  private async syncOnce(): Promise<void> {
    if (this.closed) return fsyncDir(this.dir);
    this.fd ??= openDir(this.dir);
    let fd: number;
    try {
      fd = await this.fd;
    } catch (e) {
      this.fd = undefined; // try again next time
      throw e;
    }
    await fsyncFd(fd);
  }

  /** Waits for syncs under way and closes the folder. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.running) await this.running.catch(() => undefined);
    const fd = await this.fd?.catch(() => undefined);
    this.fd = undefined;
    if (fd !== undefined) await new Promise<void>((r) => close(fd, () => r()));
  }
}
