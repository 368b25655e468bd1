/**
 * A token bucket for bytes: `take(n)` resolves when n bytes may go. The bucket refills at
 * `rate` bytes per second up to `burst`; a take larger than what is left puts the bucket in
 * debt and waits until the debt is paid back, so every caller is admitted in arrival order
 * and over any window of t seconds at most burst + rate * t bytes pass. Rate 0 means no
 * limit. The clock and the sleep are injectable so the tests need no real time.
 */
import { setTimeout as sleepMs } from 'node:timers/promises';

export interface TokenBucketClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const realClock: TokenBucketClock = {
  now: () => performance.now(),
  sleep: (ms, signal) => sleepMs(ms, undefined, signal ? { signal } : undefined),
};

export class TokenBucket {
  private tokens: number;
  private last: number;
  /** Bytes admitted so far. */
  taken = 0;
  /** Milliseconds callers were made to wait, summed. */
  waitedMs = 0;

  constructor(
    private rate: number,
    private burst = Math.max(rate, 1),
    private readonly clock: TokenBucketClock = realClock,
  ) {
    this.tokens = this.burst;
    this.last = clock.now();
  }

  get bytesPerSec(): number {
    return this.rate;
  }

  /** Changes the rate (and the burst, which defaults to one second of the new rate). */
  setRate(rate: number, burst = Math.max(rate, 1)): void {
    this.refill();
    this.rate = rate;
    this.burst = burst;
    this.tokens = Math.min(this.tokens, burst);
  }

  private refill(): void {
    const now = this.clock.now();
    if (this.rate > 0) this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }

  /** Waits until `bytes` may be sent or fetched; rejects if `signal` aborts first (the bytes stay charged). */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    this.taken += bytes;
    if (this.rate <= 0 || bytes <= 0) return;
    this.refill();
    this.tokens -= bytes;
    if (this.tokens >= 0) return;
    const waitMs = (-this.tokens / this.rate) * 1000;
    this.waitedMs += waitMs;
    await this.clock.sleep(waitMs, signal);
  }
}
