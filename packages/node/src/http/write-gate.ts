/**
 * Bounds concurrent writes: `maxRunning` at once, `maxQueued` waiting, and past that the
 * caller is refused (the server answers 503 DDC_BUSY) instead of piling up sockets.
 */
import { shuttingDown } from '../errors.js';

export interface Ticket {
  /** Resolves when the write may run; rejects with DDC_SHUTTING_DOWN if the gate closes first. */
  ready: Promise<void>;
  /** Ends the write or leaves the queue; later calls do nothing. */
  release(): void;
}

interface Entry {
  state: 'queued' | 'running' | 'done';
  resolve: () => void;
  reject: (e: unknown) => void;
}

export class WriteGate {
  private active = 0;
  private readonly queue: Entry[] = [];
  private idleWaiters: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly maxRunning: number,
    private readonly maxQueued: number,
  ) {}

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** A ticket, or undefined when the queue is full. */
  tryEnter(): Ticket | undefined {
    if (!this.closed && this.active >= this.maxRunning && this.queue.length >= this.maxQueued) return undefined;
    let entry!: Entry;
    const ready = new Promise<void>((resolve, reject) => (entry = { state: 'queued', resolve, reject }));
    ready.catch(() => undefined); // a caller that left never awaits it
    if (this.closed) {
      entry.state = 'done';
      entry.reject(shuttingDown());
    } else if (this.active < this.maxRunning) {
      this.active++;
      entry.state = 'running';
      entry.resolve();
    } else {
      this.queue.push(entry);
    }
    return { ready, release: () => this.release(entry) };
  }

  private release(entry: Entry): void {
    if (entry.state === 'queued') {
      this.queue.splice(this.queue.indexOf(entry), 1);
      entry.reject(shuttingDown());
    } else if (entry.state === 'running') {
      const next = this.queue.shift();
      if (next) {
        next.state = 'running'; // the slot passes straight to the next in line
        next.resolve();
      } else {
        this.active--;
      }
    }
    entry.state = 'done';
    this.checkIdle();
  }

  /** Refuses everything queued and all new writes; running ones finish. */
  close(): void {
    this.closed = true;
    for (const e of this.queue.splice(0)) {
      e.state = 'done';
      e.reject(shuttingDown());
    }
    this.checkIdle();
  }

  /** Resolves when no write runs or waits. */
  idle(): Promise<void> {
    if (this.active === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private checkIdle(): void {
    if (this.active !== 0 || this.queue.length !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
