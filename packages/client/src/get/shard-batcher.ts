/**
 * Coalesces small shard reads to one node into batch requests (POST /v1/pieces/batch), the way
 * Nagle's algorithm coalesces small writes, without its timer: reads asked for in the same turn
 * of the event loop go out together, and while a node already has `perNode` exchanges running (one by default: measured faster than two or four in the small-read benchmark),
 * new reads wait for one of them and then go out as one batch. A lone read goes out at once as
 * a plain GET, so an idle client pays no latency; under load the HTTP cost (headers, parsing,
 * a request on the node) is paid once per batch instead of once per 4 KiB shard.
 */
import { DdcError, MAX_BATCH_SHARDS, isDdcError, type BatchEntry } from '@ddc/core';
import type { Transport } from '../transport/types.js';

interface Waiter {
  cid: string;
  index: number;
  signal: AbortSignal | undefined;
  resolve(bytes: Uint8Array): void;
  reject(e: unknown): void;
  settled: boolean;
  wanted: (() => boolean) | undefined;
}

interface NodeQueue {
  running: number;
  waiting: Waiter[];
}

export class ShardReadBatcher {
  private readonly nodes = new Map<string, NodeQueue>();
  /** Nodes that answered the batch route with 404/405 (older nodes): read one by one. */
  private readonly noBatch = new Set<string>();
  private flushScheduled = false;

  /** `perNode`: exchanges running to one node at a time before reads wait to be batched. */
  constructor(private readonly transport: Transport, private readonly perNode = 1) {}

  /** `wanted`: false once the caller no longer needs the shard (its piece was read elsewhere); the read is then not sent. */
  getPieceShard(baseUrl: string, cid: string, index: number, signal?: AbortSignal, wanted?: () => boolean): Promise<Uint8Array> {
    if (!this.transport.getPieceShards) return this.transport.getPieceShard(baseUrl, cid, index, signal);
    if (signal?.aborted) return Promise.reject(aborted(signal));
    return new Promise<Uint8Array>((resolve, reject) => {
      // No abort listener per read (a piece's signal would collect dozens): an aborted read is
      // dropped before its batch goes out, or settled as aborted when the batch answers.
      const waiter: Waiter = { cid, index, signal, resolve, reject, settled: false, wanted };
      let queue = this.nodes.get(baseUrl);
      if (!queue) this.nodes.set(baseUrl, (queue = { running: 0, waiting: [] }));
      queue.waiting.push(waiter);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        nextTurn(() => this.flushAll());
      }
    });
  }

  private flushAll(): void {
    this.flushScheduled = false;
    for (const [baseUrl, queue] of this.nodes) {
      this.pump(baseUrl, queue);
      if (queue.running === 0 && queue.waiting.length === 0) this.nodes.delete(baseUrl);
    }
  }

  private pump(baseUrl: string, queue: NodeQueue): void {
    while (queue.running < this.perNode && queue.waiting.length > 0) {
      const batch = queue.waiting.splice(0, MAX_BATCH_SHARDS).filter((w) => {
        if (w.signal?.aborted) settle(w, undefined, aborted(w.signal));
        else if (w.wanted && !w.wanted()) settle(w, undefined, NOT_WANTED);
        return !w.settled;
      });
      if (batch.length === 0) continue;
      queue.running++;
      const done = () => {
        queue.running--;
        this.pump(baseUrl, queue);
        if (queue.running === 0 && queue.waiting.length === 0 && this.nodes.get(baseUrl) === queue) this.nodes.delete(baseUrl);
      };
      (batch.length === 1 || this.noBatch.has(baseUrl) ? this.readEach(baseUrl, batch) : this.readBatch(baseUrl, batch)).then(done, done);
    }
  }

  /**
   * Small reads go out without the caller's signal, as batches do: a piece's signal is shared by
   * every read of a walk, and a listener per request would pile up on it. An aborted read is
   * settled as aborted when its request ends (within the transport's timeouts).
   */
  private readEach(baseUrl: string, batch: Waiter[]): Promise<unknown> {
    return Promise.all(
      batch.map((w) => this.transport.getPieceShard(baseUrl, w.cid, w.index).then((b) => settle(w, b), (e: unknown) => settle(w, undefined, e))),
    );
  }

  private async readBatch(baseUrl: string, batch: Waiter[]): Promise<unknown> {
    let entries: BatchEntry[];
    try {
      entries = await this.transport.getPieceShards!(baseUrl, batch.map((w) => ({ cid: w.cid, index: w.index })));
    } catch (e) {
      if (isDdcError(e) && (e.code === 'DDC_NOT_FOUND' || e.code === 'DDC_METHOD_NOT_ALLOWED')) {
        if (this.noBatch.size >= 1024) this.noBatch.clear();
        this.noBatch.add(baseUrl);
        return this.readEach(baseUrl, batch);
      }
      for (const w of batch) settle(w, undefined, e);
      return;
    }
    const skipped: Waiter[] = [];
    entries.forEach((entry, i) => {
      const w = batch[i]!;
      if (entry.status === 'found') settle(w, new Uint8Array(entry.bytes)); // its own memory: a kept shard must not pin the whole answer (a Buffer's slice() is a view)
      else if (entry.status === 'skipped') skipped.push(w);
      else settle(w, undefined, new DdcError('DDC_SHARD_NOT_FOUND', `${baseUrl} holds no shard of index ${w.index} of piece ${w.cid}`, { details: { pieceCid: w.cid, index: w.index } }));
    });
    if (skipped.length > 0) return this.readEach(baseUrl, skipped);
  }
}

/** The answer to a read dropped because its caller no longer wants it (never seen by that caller). */
const NOT_WANTED = new DdcError('DDC_ABORTED', 'the read was no longer needed');

/** After the current turn's I/O callbacks and microtasks (setImmediate in Node; a zero timeout elsewhere). */
const nextTurn: (fn: () => void) => void = typeof setImmediate === 'function' ? (fn) => setImmediate(fn) : (fn) => setTimeout(fn, 0);

function settle(w: Waiter, bytes: Uint8Array | undefined, error?: unknown): void {
  if (w.settled) return;
  w.settled = true;
  if (bytes && w.signal?.aborted) return w.reject(aborted(w.signal));
  if (bytes) w.resolve(bytes);
  else w.reject(error);
}

function aborted(signal: AbortSignal): DdcError {
  return new DdcError('DDC_ABORTED', 'the operation was aborted', { cause: signal.reason });
}
