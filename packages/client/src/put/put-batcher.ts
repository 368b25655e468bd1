/**
 * Coalesces shard PUTs to one node into batch writes (POST /v1/shards/batch), as the read
 * batcher coalesces reads: a shard asked for while the node has no exchange of this writer's
 * running goes out at once as a plain PUT; shards asked for while one runs wait for it and then go
 * out together, up to MAX_BATCH_SHARDS shards or MAX_BATCH_BYTES. So an idle client pays no
 * latency, and a large put, whose pieces' shards queue up behind each other, pays one HTTP
 * exchange, one signature and one index commit per batch instead of per shard.
 *
 * A streaming put whose source is slower than the nodes would otherwise send every shard alone:
 * each arrives after the last exchange ended. So shards of a put that is still reading its source
 * (its `linger` hold is open) may wait up to `lingerMs` for more shards to the same node, as Kafka's
 * linger.ms; a full batch, a shard that may not wait, the timer, or the put closing its hold
 * (window full, source done: then it calls flush) sends them.
 *
 * A batch the node refuses as a whole (a node without the route, or an error that names no one
 * shard) is sent again shard by shard, so every shard gets its own outcome and error.
 */
import { DdcError, UNSIGNED_PAYLOAD, isDdcError, type ClusterNode } from '@ddc/core';
import type { Transport } from '../transport/types.js';
import { withRetry } from '../retry.js';
import { putShardSigned, type ShardToPut, type UploadContext } from './upload.js';
import { shardWritePath } from '../transport/paths.js';

/** Shards per batch (the node takes up to 64). */
const MAX_BATCH_SHARDS = 16;
/** Shard bytes per batch (the node takes up to 4 MiB): larger shards go alone. */
const MAX_BATCH_BYTES = 2 * 1024 * 1024;

interface Waiter {
  shard: ShardToPut;
  ctx: UploadContext;
  resolve(r: { created: boolean }): void;
  reject(e: unknown): void;
}

interface NodeQueue {
  node: ClusterNode;
  running: number;
  waiting: Waiter[];
  /** Armed while the waiting shards linger; when it fires they go as they are. */
  timer: ReturnType<typeof setTimeout> | undefined;
  lingerOver: boolean;
}

/** Open while a put may still add shards (it is reading its source); shards of a closed hold do not wait. */
export interface LingerHold {
  open: boolean;
}

export class ShardPutBatcher {
  /** Queues by node URL and by what signs the batch (the writer's key and bucket token). */
  private readonly queues = new Map<string, NodeQueue>();
  private readonly signerIds = new WeakMap<object, number>();
  private nextSignerId = 0;
  /** Nodes that answered the batch route with 404/405 (older nodes): put one by one. */
  private readonly noBatch = new Set<string>();

  /**
   * `perNode`: exchanges running to one node per signer before shards wait to be batched.
   * `lingerMs`: how long shards of an open hold may wait for more (0: never).
   */
  constructor(private readonly transport: Transport, private readonly perNode = 1, private readonly lingerMs = 0) {}

  put(node: ClusterNode, shard: ShardToPut, ctx: UploadContext): Promise<{ created: boolean }> {
    if (!this.transport.putShards || shard.bytes.length > MAX_BATCH_BYTES / 2 || this.noBatch.has(node.url)) return putShardSigned(ctx, node, shard);
    return new Promise((resolve, reject) => {
      const key = `${node.url}\n${this.signerId(ctx.signer)}\n${ctx.token?.idHex ?? '-'}\n${ctx.query ?? ''}`;
      let queue = this.queues.get(key);
      if (!queue) this.queues.set(key, (queue = { node, running: 0, waiting: [], timer: undefined, lingerOver: false }));
      queue.waiting.push({ shard, ctx, resolve, reject });
      this.pump(key, queue);
    });
  }

  private signerId(signer: object): number {
    let id = this.signerIds.get(signer);
    if (id === undefined) this.signerIds.set(signer, (id = this.nextSignerId++));
    return id;
  }

  /** Sends what lingers for a hold that has since closed (the put calls this when it closes one). */
  flush(): void {
    for (const [key, queue] of this.queues) this.pump(key, queue);
  }

  private pump(key: string, queue: NodeQueue): void {
    while (queue.running < this.perNode && queue.waiting.length > 0) {
      if (this.lingerMs > 0 && !queue.lingerOver && mayLinger(queue.waiting)) {
        queue.timer ??= setTimeout(() => {
          queue.timer = undefined;
          queue.lingerOver = true;
          this.pump(key, queue);
        }, this.lingerMs);
        return;
      }
      clearTimeout(queue.timer);
      queue.timer = undefined;
      queue.lingerOver = false;
      const batch = takeBatch(queue.waiting);
      queue.running++;
      const done = () => {
        queue.running--;
        this.pump(key, queue);
        if (queue.running === 0 && queue.waiting.length === 0 && this.queues.get(key) === queue) this.queues.delete(key);
      };
      (batch.length === 1 || this.noBatch.has(queue.node.url) ? this.putEach(queue.node, batch) : this.putBatch(queue.node, batch)).then(done, done);
    }
  }

  private putEach(node: ClusterNode, batch: Waiter[]): Promise<unknown> {
    return Promise.all(batch.map((w) => putShardSigned(w.ctx, node, w.shard).then(w.resolve, w.reject)));
  }

  private async putBatch(node: ClusterNode, batch: Waiter[]): Promise<unknown> {
    // Everything that signs the batch is the same for its shards (the queue's key); retries as a single PUT's.
    // Signed as a shard PUT is: UNSIGNED-PAYLOAD, the ids in the body bind its bytes.
    const { ctx } = batch[0]!;
    const live = batch.filter((w) => {
      if (!w.ctx.signal?.aborted) return true;
      w.reject(new DdcError('DDC_ABORTED', 'the operation was aborted', { cause: w.ctx.signal.reason }));
      return false;
    });
    if (live.length <= 1) return this.putEach(node, live);
    const url = node.url + shardWritePath('batch', ctx.query);
    let outcomes: { created: boolean }[];
    try {
      outcomes = await withRetry(() => {
        const headers = ctx.signer.headers({ method: 'POST', url, audience: node.id, contentSha256: UNSIGNED_PAYLOAD, ...(ctx.token ? { token: ctx.token } : {}) });
        return this.transport.putShards!(node.url, live.map((w) => ({ id: w.shard.id, bytes: w.shard.bytes })), undefined, headers, ctx.query);
      }, ctx.retry);
    } catch (e) {
      if (isDdcError(e) && (e.code === 'DDC_NOT_FOUND' || e.code === 'DDC_METHOD_NOT_ALLOWED')) {
        if (this.noBatch.size >= 1024) this.noBatch.clear();
        this.noBatch.add(node.url);
      }
      // A node that cannot be reached fails every shard alike; anything else is asked shard by shard.
      if (isDdcError(e) && e.code === 'DDC_NODE_UNAVAILABLE') {
        for (const w of live) w.reject(e);
        return;
      }
      return this.putEach(node, live);
    }
    live.forEach((w, i) => w.resolve(outcomes[i]!));
  }
}

/** Whether every waiting shard's put still reads its source and the batch has room for another shard like the last. */
function mayLinger(waiting: readonly Waiter[]): boolean {
  let bytes = 0;
  for (const w of waiting) {
    if (w.ctx.linger?.open !== true) return false;
    bytes += w.shard.bytes.length;
  }
  return waiting.length < MAX_BATCH_SHARDS && bytes + waiting[waiting.length - 1]!.shard.bytes.length <= MAX_BATCH_BYTES;
}

/** The first waiting shards up to the batch limits (at least one). */
function takeBatch(waiting: Waiter[]): Waiter[] {
  let n = 0;
  let bytes = 0;
  while (n < waiting.length && n < MAX_BATCH_SHARDS) {
    const size = waiting[n]!.shard.bytes.length;
    if (n > 0 && bytes + size > MAX_BATCH_BYTES) break;
    bytes += size;
    n++;
  }
  return waiting.splice(0, n);
}
