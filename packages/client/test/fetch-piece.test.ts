/**
 * fetchPiece over an in-memory transport: the data shards are joined without hashing each
 * against its root, so these check that a bad shard is still found (and its node marked)
 * when the piece fails its CID, that parity reads check shards before decoding, and that
 * only the homes a read needs are asked.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cidOf, placeStripe, stripeLayout, type CID, type ClusterNode, type EncodedShard } from '@ddc/core';
import { encodePiece } from '../src/put/encode-piece.js';
import { fetchPiece } from '../src/get/fetch-piece.js';
import { NodeHealth } from '../src/node-health.js';
import type { ClusterView } from '../src/membership.js';
import type { PieceShardInfo, Transport } from '../src/transport/types.js';

const nodes: ClusterNode[] = Array.from({ length: 6 }, (_, i) => ({ id: `n${i}`, url: `http://n${i}`, zone: `z${i % 3}` }));
const view: ClusterView = { version: 1, clusterId: 'test', k: 4, m: 2, replicationThreshold: 64 * 1024, nodes };

function bytesOf(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) out[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return out;
}

/** Each home holds its shard; `tamper` may change what one node answers. */
function memoryTransport(cid: CID, shards: EncodedShard[], tamper: (nodeId: string, bytes: Uint8Array) => Uint8Array = (_, b) => b) {
  const homes = placeStripe(cid.bytes, nodes, shards.length);
  const asked: string[] = [];
  const transport: Transport = {
    async putShard() {
      throw new Error('not used');
    },
    async deleteShard() {
      throw new Error('not used');
    },
    async getPieceShard(baseUrl, _cid, index) {
      const node = nodes.find((n) => n.url === baseUrl)!;
      asked.push(`${node.id}/${index}`);
      if (homes[index]?.id !== node.id) throw new Error('not here');
      return tamper(node.id, shards[index]!.bytes);
    },
    async listPiece(): Promise<PieceShardInfo[]> {
      return [];
    },
  };
  return { transport, homes, asked };
}

function flipPayloadByte(bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[out.length - 1]! ^= 0x01;
  return out;
}

test('a coded piece is read from its k data shards, one request each', async () => {
  const piece = bytesOf(1024 * 1024 + 5, 1);
  const cid = cidOf(0x55, piece);
  const shards = encodePiece(cid, piece, stripeLayout(piece.length, view));
  const { transport, homes, asked } = memoryTransport(cid, shards);
  const health = new NodeHealth();
  const got = await fetchPiece(cid, view, { transport, health, hedgeAfterMs: 10_000 }, piece.length);
  assert.deepEqual(got, piece);
  assert.deepEqual(asked.sort(), homes.slice(0, 4).map((n, i) => `${n.id}/${i}`).sort());
});

test('a data shard that fails its root is found after the CID check fails; its node is marked and parity fills in', async () => {
  const piece = bytesOf(1024 * 1024, 2);
  const cid = cidOf(0x55, piece);
  const shards = encodePiece(cid, piece, stripeLayout(piece.length, view));
  const homes = placeStripe(cid.bytes, nodes, shards.length);
  const liar = homes[1]!.id;
  const { transport, asked } = memoryTransport(cid, shards, (id, b) => (id === liar ? flipPayloadByte(b) : b));
  const health = new NodeHealth();
  const got = await fetchPiece(cid, view, { transport, health, hedgeAfterMs: 10_000 }, piece.length);
  assert.deepEqual(got, piece);
  assert.equal(health.badAnswers(liar), 1);
  for (const n of homes.filter((h) => h.id !== liar)) assert.equal(health.badAnswers(n.id), 0, n.id);
  assert.ok(asked.includes(`${homes[4]!.id}/4`), 'a parity shard was asked for');
});

test('a small replicated piece asks one home, and the next copy when the first is corrupt', async () => {
  const piece = bytesOf(4096, 3);
  const cid = cidOf(0x55, piece);
  const shards = encodePiece(cid, piece, stripeLayout(piece.length, view));
  assert.equal(shards.length, 3);
  const ok = memoryTransport(cid, shards);
  assert.deepEqual(await fetchPiece(cid, view, { transport: ok.transport, health: new NodeHealth(), hedgeAfterMs: 10_000 }), piece);
  assert.deepEqual(ok.asked, [`${ok.homes[0]!.id}/0`]);

  const liar = ok.homes[0]!.id;
  const bad = memoryTransport(cid, shards, (id, b) => (id === liar ? flipPayloadByte(b) : b));
  const health = new NodeHealth();
  assert.deepEqual(await fetchPiece(cid, view, { transport: bad.transport, health, hedgeAfterMs: 10_000 }), piece);
  assert.equal(health.badAnswers(liar), 1);
  assert.deepEqual(bad.asked, [`${liar}/0`, `${bad.homes[1]!.id}/1`]);
});

test('shards that each match their roots but not the CID are refused together', async () => {
  const piece = bytesOf(1024 * 1024, 4);
  const forged = bytesOf(1024 * 1024, 5);
  const cid = cidOf(0x55, piece);
  // Every node answers with a self-consistent stripe of other bytes, labelled with this CID.
  const shards = encodePiece(cid, forged, stripeLayout(forged.length, view));
  const { transport } = memoryTransport(cid, shards);
  const health = new NodeHealth();
  await assert.rejects(fetchPiece(cid, view, { transport, health, hedgeAfterMs: 10_000 }, piece.length), { code: 'DDC_PIECE_UNRECOVERABLE' });
  assert.ok(nodes.filter((n) => health.badAnswers(n.id) > 0).length >= 4);
});

test('every shard body is given back once the piece is read, and the piece shares no memory with them', async () => {
  for (const [length, liarIndex] of [[1024 * 1024, 1], [1024 * 1024, -1], [1000, -1]] as const) {
    const piece = bytesOf(length, 7);
    const cid = cidOf(0x55, piece);
    const shards = encodePiece(cid, piece, stripeLayout(piece.length, view));
    const homes = placeStripe(cid.bytes, nodes, shards.length);
    const liar = liarIndex >= 0 ? homes[liarIndex]!.id : undefined;
    const { transport } = memoryTransport(cid, shards, (id, b) => (id === liar ? flipPayloadByte(b) : Uint8Array.from(b)));
    const handedOut: Uint8Array[] = [];
    const released: Uint8Array[] = [];
    const get = transport.getPieceShard.bind(transport);
    transport.getPieceShard = async (...args) => {
      const b = await get(...args);
      handedOut.push(b);
      return b;
    };
    transport.releaseShard = (b) => released.push(b);
    const got = await fetchPiece(cid, view, { transport, health: new NodeHealth(), hedgeAfterMs: 10_000 }, piece.length);
    const kept = handedOut.filter((b) => !released.includes(b));
    if (length >= view.replicationThreshold) {
      assert.equal(kept.length, 0, `${length}: every body came back`);
      assert.ok(handedOut.length >= 4);
    } else {
      // A replicated piece is a view into the one copy it was read from: that one stays with the caller.
      assert.deepEqual(kept.map((b) => b.buffer), [got.buffer]);
    }
    assert.equal(new Set(released).size, released.length, 'nothing is given back twice');
    for (const b of released) b.fill(0xee); // reused by the next read
    assert.deepEqual(got, piece, `${length}: the piece is unchanged by reuse of the bodies`);
  }
});
