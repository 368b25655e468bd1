/**
 * Freshness, audience and replay checks for signed requests. A request is fresh when its
 * time is within `windowMs` of the node's clock (either way); its (key, nonce) is then
 * remembered until the request would be stale anyway, so a replay inside the window is
 * caught and memory holds at most one window of nonces. Past `maxEntries` it refuses new
 * requests (DDC_BUSY) rather than forget a nonce that could still be replayed.
 */
import { DdcError } from '../errors.js';
import type { SignedRequest } from './request.js';

export const REPLAY_WINDOW_MS = 60_000;
export const REPLAY_MAX_ENTRIES = 1_000_000;

export class ReplayGuard {
  readonly windowMs: number;
  readonly maxEntries: number;
  /** `keyHex:nonce` → time (ms) after which the entry can go. */
  private readonly seen = new Map<string, number>();
  private nextSweep = 0;
  private lastFullSweep = -Infinity;

  constructor(opts: { windowMs?: number; maxEntries?: number } = {}) {
    this.windowMs = opts.windowMs ?? REPLAY_WINDOW_MS;
    this.maxEntries = opts.maxEntries ?? REPLAY_MAX_ENTRIES;
    if (!(this.windowMs > 0) || !(this.maxEntries >= 1)) {
      throw new DdcError('DDC_INVALID_CONFIG', 'the replay window and the entry bound must be positive', { hint: 'Pass windowMs > 0 and maxEntries >= 1' });
    }
  }

  get size(): number {
    return this.seen.size;
  }

  /** Throws DDC_REQUEST_AUDIENCE, DDC_REQUEST_STALE, DDC_REQUEST_REPLAYED or DDC_BUSY; otherwise records the nonce. */
  check(r: SignedRequest, audience: string, nowMs = Date.now()): void {
    if (r.audience !== audience) {
      throw new DdcError('DDC_REQUEST_AUDIENCE', `the request was signed for ${JSON.stringify(r.audience).slice(0, 80)}, not for this node (${audience})`, { hint: 'Sign each request for the node it is sent to (x-ddc-audience = the node id)' });
    }
    const skew = r.time - nowMs;
    if (!(Math.abs(skew) <= this.windowMs)) {
      throw new DdcError('DDC_REQUEST_STALE', `the request's time is ${Math.round(skew / 1000)} s from this node's clock (at most ${this.windowMs / 1000} s)`, { hint: 'Sync the clock (NTP) and sign requests just before sending them', details: { skewMs: skew } });
    }
    const id = `${r.keyHex}:${r.nonce}`;
    const until = this.seen.get(id);
    if (until !== undefined && until >= nowMs) {
      throw new DdcError('DDC_REQUEST_REPLAYED', 'this request (key and nonce) was already received', { hint: 'Use a fresh random nonce for every request' });
    }
    if (nowMs >= this.nextSweep) this.sweep(nowMs);
    if (this.seen.size >= this.maxEntries && until === undefined) {
      // A full sweep is O(n): at most one per second under pressure.
      if (nowMs - this.lastFullSweep >= 1000) this.sweep(nowMs);
      if (this.seen.size >= this.maxEntries) {
        throw new DdcError('DDC_BUSY', 'too many signed requests in the replay window', { hint: 'Retry in a few seconds' });
      }
    }
    this.seen.set(id, r.time + this.windowMs);
  }

  private sweep(nowMs: number): void {
    for (const [id, until] of this.seen) if (until < nowMs) this.seen.delete(id);
    this.lastFullSweep = nowMs;
    this.nextSweep = nowMs + this.windowMs / 2;
  }
}
