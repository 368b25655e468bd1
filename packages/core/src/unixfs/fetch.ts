/**
 * Verified, pipelined block fetching for DAG traversals. A depth-first walk keeps its
 * frontier on a stack (next block on top); the top `window` entries are fetched ahead
 * so reads overlap, while memory stays bounded by the window, not the DAG.
 */
import { DdcError, abortError, throwIfAborted } from '../errors.js';
import { verifyBlock, type CID } from './cid.js';

/** Fetches a block's bytes; they are verified against the CID by the caller. */
/** What the caller knows of a block before fetching it. */
export interface BlockHint {
  /** File bytes the block covers, as its parent declares (for a raw leaf, its length). */
  fileBytes?: number;
}

export type GetBlock = (cid: CID, signal?: AbortSignal, hint?: BlockHint) => Promise<Uint8Array>;

export const DEFAULT_LOOKAHEAD = 8;

/** Gets a block and throws DDC_CID_MISMATCH unless its bytes hash to `cid`. */
export async function getVerifiedBlock(getBlock: GetBlock, cid: CID, signal?: AbortSignal, hint?: BlockHint, alreadyVerified = false): Promise<Uint8Array> {
  const bytes = await getBlock(cid, signal, hint);
  if (!(bytes instanceof Uint8Array)) {
    throw new DdcError('DDC_INVALID_ARGUMENT', `getBlock returned ${typeof bytes} for ${cid}, not a Uint8Array`, {
      hint: 'Make the getBlock callback resolve to the block bytes',
    });
  }
  if (!alreadyVerified) verifyBlock(cid, bytes);
  return bytes;
}

interface Entry<T> {
  cid: CID;
  meta: T;
  bytes?: Promise<Uint8Array>;
}

export class Prefetcher<T> {
  private readonly stack: Entry<T>[] = [];
  /**
   * Cancels prefetches when the walk ends early. The first block (the root) is fetched with the
   * caller's signal alone, so a one-block read (a small file) never builds a controller.
   */
  private controller: AbortController | undefined;
  private started = 0;
  private readonly onAbort = () => this.controller?.abort(this.signal?.reason);

  constructor(
    private readonly getBlock: GetBlock,
    private readonly window: number,
    private readonly signal?: AbortSignal,
    private readonly hintOf?: (meta: T) => BlockHint | undefined,
    private readonly alreadyVerified = false,
    /** Told of the signal made for the blocks read ahead (each one in flight listens to it). */
    private readonly onSignal?: (signal: AbortSignal) => void,
  ) {
    if (!Number.isSafeInteger(window) || window < 1) {
      throw new DdcError('DDC_INVALID_ARGUMENT', `concurrency must be an integer >= 1, got ${window}`, {
        hint: 'Pass a small whole number such as 8, or leave it out',
      });
    }
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  private newController(): AbortController {
    const c = new AbortController();
    this.onSignal?.(c.signal);
    return c;
  }

  /**
   * Adds entries to visit next, in the given order, before anything added earlier,
   * and starts fetching the next `window` entries right away.
   */
  pushFront(items: ReadonlyArray<{ cid: CID; meta: T }>): void {
    for (let i = items.length - 1; i >= 0; i--) this.stack.push({ cid: items[i]!.cid, meta: items[i]!.meta });
    const n = this.stack.length;
    for (let i = n - 1; i >= Math.max(0, n - this.window); i--) this.start(this.stack[i]!);
  }

  /** Next entry with its verified bytes, or undefined when the walk is done. */
  async next(): Promise<{ cid: CID; meta: T; bytes: Uint8Array } | undefined> {
    throwIfAborted(this.signal);
    const top = this.stack.pop();
    if (!top) return undefined;
    // Keep the window full: the entry that just moved into it starts now.
    const below = this.stack[this.stack.length - this.window];
    if (below) this.start(below);
    this.start(top);
    const bytes = await this.raceAbort(top.bytes!);
    return { cid: top.cid, meta: top.meta, bytes };
  }

  /** Cancels fetches still in flight; call when the walk ends for any reason. */
  close(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    // Started fetches are all on the stack (popped ones were awaited): an empty stack has none to cancel,
    // and skipping the abort saves building an error per read (small reads end here every time).
    if (this.stack.length > 0 && this.controller && !this.controller.signal.aborted) this.controller.abort(abortError(this.signal));
    this.stack.length = 0;
  }

  private start(e: Entry<T>): void {
    if (e.bytes) return;
    const signal = this.started++ === 0 ? this.signal : (this.controller ??= this.newController()).signal;
    e.bytes = getVerifiedBlock(this.getBlock, e.cid, signal, this.hintOf?.(e.meta), this.alreadyVerified);
    // Failures surface when the entry is awaited; don't let a prefetch crash the process.
    e.bytes.catch(() => {});
  }

  private raceAbort(p: Promise<Uint8Array>): Promise<Uint8Array> {
    const signal = this.signal;
    if (!signal) return p;
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(abortError(signal));
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }
}
