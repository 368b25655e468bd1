/** Folder fsyncs: a rename is durable only once its folder is synced. */
import { open } from 'node:fs/promises';

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Coalesces fsyncs of one folder: a caller waits for a sync that *starts* after its call,
 * so every rename done before that sync started is covered, and many concurrent writers
 * share one fsync instead of queueing one each (group commit).
 */
export class DirSyncer {
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;

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
    const p = fsyncDir(this.dir).finally(() => {
      if (this.running === p) this.running = undefined;
    });
    this.running = p;
    return p;
  }
}
