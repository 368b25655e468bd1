/**
 * ShardPutBatcher over an in-memory transport that records its requests: a lone shard goes out
 * at once as a plain PUT, shards queued behind it go out as one batch within the limits, and a
 * batch the node refuses is sent again shard by shard so each gets its own outcome. Shards of a
 * put that is still reading its source (an open linger hold) wait for more, within limits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DdcError, cidOf, stripeLayout, type ClusterNode, type EncodedShard, type PutBatchEntry } from '@ddc/core';
import { encodePiece } from '../src/put/encode-piece.js';
import { ShardPutBatcher } from '../src/put/put-batcher.js';
import type { UploadContext } from '../src/put/upload.js';
import { NodeHealth } from '../src/node-health.js';
import { requestSigner } from '../src/request-signer.js';
import type { Transport } from '../src/transport/types.js';

const node: ClusterNode = { id: 'n0', url: 'http://n0', zone: 'z0' };

function shardsOf(count: number, size: number, seed: number): EncodedShard[] {
  const out: EncodedShard[] = [];
  for (let i = 0; i < count; i++) {
    const piece = new Uint8Array(size).map((_, j) => (j * 31 + i * 7 + seed) & 0xff);
    const layout = stripeLayout(piece.length, { k: 1, m: 0, replicationThreshold: 0 });
    out.push(encodePiece(cidOf(0x55, piece), piece, layout)[0]!);
  }
  return out;
}

interface Recorder {
  transport: Transport;
  singles: string[];
  batches: string[][];
}

/** Stores what it is sent; `refuse` decides an error for a batch, `bad` the ids a node refuses alone. */
function recorder(options: { refuseBatch?: (ids: string[]) => DdcError | undefined; bad?: Set<string> } = {}): Recorder {
  const singles: string[] = [];
  const batches: string[][] = [];
  const held = new Set<string>();
  const transport: Transport = {
    async putShard(_url, id) {
      await new Promise((r) => setTimeout(r, 5));
      singles.push(id);
      if (options.bad?.has(id)) throw new DdcError('DDC_SHARD_ROOT_MISMATCH', `shard ${id} does not hash to its id`);
      const created = !held.has(id);
      held.add(id);
      return { created };
    },
    async putShards(_url, shards: readonly PutBatchEntry[]) {
      await new Promise((r) => setTimeout(r, 5));
      const ids = shards.map((s) => s.id);
      batches.push(ids);
      const e = options.refuseBatch?.(ids);
      if (e) throw e;
      return ids.map((id) => {
        const created = !held.has(id);
        held.add(id);
        return { created };
      });
    },
    async deleteShard() {
      throw new Error('not used');
    },
    async getPieceShard() {
      throw new Error('not used');
    },
    async listPiece() {
      return [];
    },
  };
  return { transport, singles, batches };
}

function contextFor(transport: Transport): UploadContext {
  return { transport, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2 }, health: new NodeHealth(1000), signer: requestSigner() };
}

/** Lets whatever still lingers go, so that a failed test does not keep the process alive. */
function release(batcher: ShardPutBatcher, hold: { open: boolean }): void {
  hold.open = false;
  batcher.flush();
}

test('a lone shard goes out alone; shards queued behind it go out as one batch, in order', async () => {
  const r = recorder();
  const batcher = new ShardPutBatcher(r.transport);
  const ctx = contextFor(r.transport);
  const shards = shardsOf(6, 4096, 1);
  const outcomes = await Promise.all(shards.map((s) => batcher.put(node, s, ctx)));
  assert.deepEqual(outcomes, shards.map(() => ({ created: true })));
  assert.deepEqual(r.singles, [shards[0]!.id]);
  assert.deepEqual(r.batches, [shards.slice(1).map((s) => s.id)]);
});

test('batches stay within 16 shards and 2 MiB', async () => {
  const r = recorder();
  const batcher = new ShardPutBatcher(r.transport);
  const ctx = contextFor(r.transport);
  const small = shardsOf(40, 1024, 2);
  await Promise.all(small.map((s) => batcher.put(node, s, ctx)));
  assert.deepEqual(r.batches.map((b) => b.length), [16, 16, 7]);
  const big = shardsOf(12, 300 * 1024, 3);
  r.batches.length = 0;
  r.singles.length = 0;
  await Promise.all(big.map((s) => batcher.put(node, s, ctx)));
  assert.ok(r.batches.every((b) => b.length <= Math.floor((2 * 1024 * 1024) / big[0]!.bytes.length)), JSON.stringify(r.batches.map((b) => b.length)));
  assert.equal(r.batches.flat().length + r.singles.length, big.length);
  assert.ok(r.batches.length >= 2);
});

test('a batch refused whole is sent shard by shard: good shards are stored, the bad one fails with its own code', async () => {
  const shards = shardsOf(4, 4096, 4);
  const bad = shards[2]!.id;
  const r = recorder({ bad: new Set([bad]), refuseBatch: (ids) => (ids.includes(bad) ? new DdcError('DDC_SHARD_ROOT_MISMATCH', 'one shard does not hash to its id') : undefined) });
  const batcher = new ShardPutBatcher(r.transport);
  const ctx = contextFor(r.transport);
  const settled = await Promise.allSettled(shards.map((s) => batcher.put(node, s, ctx)));
  assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  assert.equal(((settled[2] as PromiseRejectedResult).reason as DdcError).code, 'DDC_SHARD_ROOT_MISMATCH');
  assert.deepEqual(r.batches, [shards.slice(1).map((s) => s.id)]);
  assert.deepEqual(new Set(r.singles), new Set(shards.map((s) => s.id)));
});

test('a node without the batch route gets plain PUTs from then on', async () => {
  const r = recorder({ refuseBatch: () => new DdcError('DDC_NOT_FOUND', 'no route') });
  const batcher = new ShardPutBatcher(r.transport);
  const ctx = contextFor(r.transport);
  const shards = shardsOf(8, 4096, 5);
  await Promise.all(shards.slice(0, 4).map((s) => batcher.put(node, s, ctx)));
  assert.equal(r.batches.length, 1);
  await Promise.all(shards.slice(4).map((s) => batcher.put(node, s, ctx)));
  assert.equal(r.batches.length, 1);
  assert.equal(r.singles.length, 8);
});

test('an unreachable node fails every shard of the batch without asking shard by shard', async () => {
  const r = recorder({ refuseBatch: () => new DdcError('DDC_NODE_UNAVAILABLE', 'connection refused') });
  const batcher = new ShardPutBatcher(r.transport);
  const ctx = contextFor(r.transport);
  const shards = shardsOf(4, 4096, 6);
  const settled = await Promise.allSettled(shards.map((s) => batcher.put(node, s, ctx)));
  assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'rejected', 'rejected', 'rejected']);
  assert.equal(r.singles.length, 1);
  for (const s of settled.slice(1)) assert.equal(((s as PromiseRejectedResult).reason as DdcError).code, 'DDC_NODE_UNAVAILABLE');
});

test('with lingerMs 0 an open hold changes nothing: a lone shard goes at once, shards queued behind it go together', async () => {
  const r = recorder();
  const batcher = new ShardPutBatcher(r.transport);
  const ctx = { ...contextFor(r.transport), linger: { open: true } };
  const shards = shardsOf(4, 4096, 10);
  await Promise.all(shards.map((s) => batcher.put(node, s, ctx)));
  assert.deepEqual(r.singles, [shards[0]!.id]);
  assert.deepEqual(r.batches, [shards.slice(1).map((s) => s.id)]);
});

test('shards of an open hold wait for more and go out together; a full batch goes at once', { timeout: 10_000 }, async () => {
  const r = recorder();
  // A minute, past the test's timeout: only a full batch, a flush or a shard that may not wait sends these in time.
  const batcher = new ShardPutBatcher(r.transport, 1, 60_000);
  const hold = { open: true };
  const ctx = { ...contextFor(r.transport), linger: hold };
  const shards = shardsOf(16, 4096, 7);
  const puts: Promise<{ created: boolean }>[] = [];
  try {
    for (const s of shards) {
      puts.push(batcher.put(node, s, ctx));
      await new Promise((res) => setTimeout(res, 1)); // a source slower than the node
    }
    await Promise.all(puts);
    assert.deepEqual(r.singles, []);
    assert.deepEqual(r.batches, [shards.map((s) => s.id)]);
  } finally {
    release(batcher, hold);
  }
});

test('closing the hold and flushing sends what lingers; a shard that may not wait takes the lingering ones along', { timeout: 10_000 }, async () => {
  const r = recorder();
  const batcher = new ShardPutBatcher(r.transport, 1, 60_000);
  const hold = { open: true };
  const base = contextFor(r.transport); // the same signer: the same queue
  const ctx = { ...base, linger: hold };
  const shards = shardsOf(5, 4096, 8);
  try {
    const first = shards.slice(0, 3).map((s) => batcher.put(node, s, ctx));
    await new Promise((res) => setTimeout(res, 20));
    assert.deepEqual(r.batches, []);
    hold.open = false;
    batcher.flush();
    await Promise.all(first);
    assert.deepEqual(r.batches, [shards.slice(0, 3).map((s) => s.id)]);

    hold.open = true;
    const lingering = batcher.put(node, shards[3]!, ctx);
    await new Promise((res) => setTimeout(res, 20));
    const eager = batcher.put(node, shards[4]!, base);
    await Promise.all([lingering, eager]);
    assert.deepEqual(r.batches[1], [shards[3]!.id, shards[4]!.id]);
    assert.deepEqual(r.singles, []);
  } finally {
    release(batcher, hold);
  }
});

test('a lingering shard goes alone once the linger time is up', { timeout: 10_000 }, async () => {
  const r = recorder();
  const batcher = new ShardPutBatcher(r.transport, 1, 30);
  const ctx = { ...contextFor(r.transport), linger: { open: true } };
  const [shard] = shardsOf(1, 4096, 9);
  assert.deepEqual(await batcher.put(node, shard!, ctx), { created: true });
  assert.deepEqual(r.singles, [shard!.id]);
  assert.deepEqual(r.batches, []);
});
