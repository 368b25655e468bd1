/**
 * Bytes of pieces in flight, shared by every put of a client: however many puts run at once
 * (a gateway's concurrent uploads, an app's parallel writes), their pieces and shards in memory
 * stay within one bound, and the client's buffer pools, sized for that bound, keep being reused.
 * Takers wait in arrival order; a piece larger than the whole budget waits for all of it.
 */
import { DdcError } from '@ddc/core';

interface Waiter {
  bytes: number;
  resolve(): void;
  reject(e: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export class ByteBudget {
  private available: number;
  private readonly waiters: Waiter[] = [];

  constructor(readonly capacity: number) {
    this.available = capacity;
  }

  /** What a take of `bytes` holds: at most the whole budget. */
  private weigh(bytes: number): number {
    return Math.min(Math.max(0, bytes), this.capacity);
  }

  /** Takes `bytes` now if nobody waits and they are free. */
  tryTake(bytes: number): boolean {
    const w = this.weigh(bytes);
    if (this.waiters.length > 0 || w > this.available) return false;
    this.available -= w;
    return true;
  }

  /** Takes `bytes`, waiting behind earlier takers; rejects with DDC_ABORTED if `signal` aborts first. */
  take(bytes: number, signal?: AbortSignal): Promise<void> {
    if (this.tryTake(bytes)) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(aborted(signal));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { bytes: this.weigh(bytes), resolve, reject, signal, onAbort: undefined };
      if (signal) {
        waiter.onAbort = () => {
          const at = this.waiters.indexOf(waiter);
          if (at >= 0) this.waiters.splice(at, 1);
          reject(aborted(signal));
          this.wake(); // the head may have changed
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
    });
  }

  /** Gives back what a take held. */
  give(bytes: number): void {
    this.available = Math.min(this.capacity, this.available + this.weigh(bytes));
    this.wake();
  }

  private wake(): void {
    while (this.waiters.length > 0 && this.waiters[0]!.bytes <= this.available) {
      const w = this.waiters.shift()!;
      this.available -= w.bytes;
      if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
      w.resolve();
    }
  }
}

function aborted(signal: AbortSignal): DdcError {
  return new DdcError('DDC_ABORTED', 'the operation was aborted', { cause: signal.reason });
}
