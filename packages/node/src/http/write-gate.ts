/**
 * Bounds concurrent writes: `maxRunning` at once, `maxQueued` waiting, and past that the
 * caller is refused (the server answers 503 DDC_BUSY) instead of piling up sockets. A write
 * may weigh more than one (a batch of shards counts as the single PUTs whose memory it holds),
 * so the bound on buffered bytes holds for batches too. Writes run in arrival order.
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
  weight: number;
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

  /** The weight of the writes running. */
  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** A ticket for a write of `weight` (1 to maxRunning), or undefined when the queue is full. */
  tryEnter(weight = 1): Ticket | undefined {
    const w = Math.min(Math.max(1, Math.ceil(weight)), this.maxRunning);
    const fits = this.queue.length === 0 && this.active + w <= this.maxRunning;
    if (!this.closed && !fits && this.queue.length >= this.maxQueued) return undefined;
    let entry!: Entry;
    const ready = new Promise<void>((resolve, reject) => (entry = { state: 'queued', weight: w, resolve, reject }));
    ready.catch(() => undefined); // a caller that left never awaits it
    if (this.closed) {
      entry.state = 'done';
      entry.reject(shuttingDown());
    } else if (fits) {
      this.active += w;
      entry.state = 'running';
      entry.resolve();
    } else {
      this.queue.push(entry);
    }
    return { ready, release: () => this.release(entry) };
  }

  /** Starts the writes at the head of the queue that fit now. */
  private pump(): void {
    for (let next = this.queue[0]; next && this.active + next.weight <= this.maxRunning; next = this.queue[0]) {
      this.queue.shift();
      this.active += next.weight;
      next.state = 'running';
      next.resolve();
    }
  }

  private release(entry: Entry): void {
    if (entry.state === 'queued') {
      this.queue.splice(this.queue.indexOf(entry), 1);
      entry.reject(shuttingDown());
      this.pump(); // a smaller write behind it may fit now
    } else if (entry.state === 'running') {
      this.active -= entry.weight;
      this.pump();
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
