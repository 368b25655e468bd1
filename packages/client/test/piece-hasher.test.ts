/**
 * The Node client's piece hasher (a worker thread over shared memory) on its own, and fetchPiece
 * checking pieces through it: the same outcomes as the check on the reading thread.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { cidOf, placeStripe, stripeLayout, type CID, type ClusterNode, type EncodedShard } from '@ddc/core';
import { encodePiece } from '../src/put/encode-piece.js';
import { fetchPiece } from '../src/get/fetch-piece.js';
import { NodeHealth } from '../src/node-health.js';
import { SharedPieceHasher } from '../src/platform/piece-hasher.js';
import type { PieceHasher } from '../src/get/piece-hasher.js';
import type { ClusterView } from '../src/membership.js';
import type { PieceShardInfo, Transport } from '../src/transport/types.js';

const nodes: ClusterNode[] = Array.from({ length: 6 }, (_, i) => ({ id: `n${i}`, url: `http://n${i}`, zone: `z${i % 3}` }));
const view: ClusterView = { version: 1, clusterId: 'test', k: 4, m: 2, replicationThreshold: 64 * 1024, nodes };

function shared(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(new SharedArrayBuffer(bytes.length));
  out.set(bytes);
  return out;
}

/** Each home answers with its shard in shared memory (as the Node transport reads them); `tamper` may change one. */
function sharedTransport(cid: CID, shards: EncodedShard[], tamper: (nodeId: string, bytes: Uint8Array) => Uint8Array = (_, b) => b) {
  const homes = placeStripe(cid.bytes, nodes, shards.length);
  const asked: string[] = [];
  const transport: Transport = {
    putShard: () => Promise.reject(new Error('not used')),
    deleteShard: () => Promise.reject(new Error('not used')),
    async getPieceShard(baseUrl, _cid, index) {
      const node = nodes.find((n) => n.url === baseUrl)!;
      asked.push(`${node.id}/${index}`);
      if (homes[index]?.id !== node.id) throw new Error('not here');
      return shared(tamper(node.id, shards[index]!.bytes));
    },
    listPiece: async (): Promise<PieceShardInfo[]> => [],
  };
  return { transport, homes, asked };
}

/** Counts what reaches the hasher. */
function counting(inner: PieceHasher): PieceHasher & { calls: number } {
  const h = {
    calls: 0,
    sha256(parts: readonly Uint8Array[]) {
      const p = inner.sha256(parts);
      if (p) h.calls++;
      return p;
    },
  };
  return h;
}

/** Runs `fn` with a counting hasher over a fresh worker, closed afterwards. */
async function withHasher(fn: (hasher: PieceHasher & { calls: number }) => Promise<void>): Promise<void> {
  const inner = new SharedPieceHasher();
  try {
    await fn(counting(inner));
  } finally {
    await inner.close();
  }
}

function piece(length: number): { bytes: Uint8Array; cid: CID; shards: EncodedShard[] } {
  const bytes = new Uint8Array(randomBytes(length)); // plain, as joined pieces are
  const cid = cidOf(0x55, bytes);
  return { bytes, cid, shards: encodePiece(cid, bytes, stripeLayout(length, view)) };
}

test('SharedPieceHasher hashes parts of shared memory in place, in order; other memory is left to the caller', async () => {
  const hasher = new SharedPieceHasher();
  try {
    const block = shared(randomBytes(3 * 65536 + 17));
    const parts = [block.subarray(5, 70_000), block.subarray(70_000, 70_001), block.subarray(100_000)];
    const want = createHash('sha256');
    for (const p of parts) want.update(p);
    const digests = await Promise.all([hasher.sha256(parts)!, hasher.sha256([block.subarray(0, 0)])!]);
    assert.deepEqual(Buffer.from(digests[0]!), want.digest());
    assert.deepEqual(Buffer.from(digests[1]!), createHash('sha256').digest());
    assert.equal(hasher.sha256([new Uint8Array(10)]), undefined);
    assert.equal(hasher.sha256([block, new Uint8Array(10)]), undefined);
    // Closed, it starts a new worker for the next piece.
    await hasher.close();
    assert.deepEqual(Buffer.from((await hasher.sha256(parts))!), createHash('sha256').update(Buffer.concat(parts)).digest());
  } finally {
    await hasher.close();
  }
});

test('fetchPiece checks a coded piece on the hasher and asks no parity for it', () =>
  withHasher(async (hasher) => {
    for (const length of [1024 * 1024, 1024 * 1024 - 3, 300_001]) {
      const p = piece(length);
      const { transport, homes, asked } = sharedTransport(p.cid, p.shards);
      const got = await fetchPiece(p.cid, view, { transport, health: new NodeHealth(), hedgeAfterMs: 10_000, hasher }, length);
      assert.deepEqual(got, p.bytes);
      assert.deepEqual(asked.sort(), homes.slice(0, 4).map((n, i) => `${n.id}/${i}`).sort());
    }
    assert.equal(hasher.calls, 3);
  }));

test('a lying data shard fails the hasher\'s check: its node is marked and parity fills in', () =>
  withHasher(async (hasher) => {
    const p = piece(1024 * 1024);
    const homes = placeStripe(p.cid.bytes, nodes, p.shards.length);
    const liar = homes[2]!.id;
    const { transport, asked } = sharedTransport(p.cid, p.shards, (id, b) => {
      if (id !== liar) return b;
      const out = Uint8Array.from(b);
      out[out.length - 1]! ^= 1;
      return out;
    });
    const health = new NodeHealth();
    const got = await fetchPiece(p.cid, view, { transport, health, hedgeAfterMs: 10_000, hasher }, p.bytes.length);
    assert.deepEqual(got, p.bytes);
    assert.equal(health.badAnswers(liar), 1);
    for (const n of homes.filter((h) => h.id !== liar)) assert.equal(health.badAnswers(n.id), 0, n.id);
    assert.ok(asked.some((a) => a.endsWith('/4') || a.endsWith('/5')), 'a parity shard was asked for');
    assert.equal(hasher.calls, 1, 'the decode with parity is checked here, not on the hasher');
  }));

test('a hasher that fails (its worker gone) leaves the check to the reading thread', async () => {
  const broken: PieceHasher = { sha256: () => Promise.reject(new Error('worker exited')) };
  const p = piece(1024 * 1024);
  const { transport } = sharedTransport(p.cid, p.shards);
  assert.deepEqual(await fetchPiece(p.cid, view, { transport, health: new NodeHealth(), hedgeAfterMs: 10_000, hasher: broken }, p.bytes.length), p.bytes);
  // And a piece that is wrong is still refused: the liar answers every read of index 0.
  const homes = placeStripe(p.cid.bytes, nodes, p.shards.length);
  const lying = sharedTransport(p.cid, p.shards, (id, b) => (id === homes[0]!.id ? Uint8Array.from(b, (x, i) => (i === b.length - 1 ? x ^ 1 : x)) : b));
  const health = new NodeHealth();
  assert.deepEqual(await fetchPiece(p.cid, view, { transport: lying.transport, health, hedgeAfterMs: 10_000, hasher: broken }, p.bytes.length), p.bytes);
  assert.equal(health.badAnswers(homes[0]!.id), 1);
});
