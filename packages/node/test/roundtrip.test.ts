import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Agent } from 'node:http';
import {
  MERKLE_LEAF_SIZE,
  decodeShardHeader,
  fromHex,
  merkleRoot,
  rootFromProof,
  shardRoot,
  toHex,
  verifyMerkleProof,
  verifyShard,
  type EncodedShard,
} from '@ddc/core';
import type { ChallengeAnswer } from '../src/index.js';
import { exists, FILE_PIECE, json, makeShard, makeStripe, putShard, rawRequest, startTestNode, storedFiles, type TestNode } from './helpers.js';

describe('shard round trips', () => {
  let t: TestNode;
  let small: EncodedShard;
  let large: EncodedShard;

  before(async () => {
    t = await startTestNode();
    small = makeShard(4096);
    large = makeShard(FILE_PIECE); // 37 leaves, above the inline threshold
  });
  after(() => t.cleanup());

  it('stores a small shard inline and a large one as a file', async () => {
    for (const s of [small, large]) {
      const r = await putShard(t.node.url, s);
      assert.equal(r.status, 201);
      assert.deepEqual(json(r), { id: s.id, created: true });
    }
    const files = await storedFiles(t.dataDir);
    assert.deepEqual(files.shards, [`${large.id.slice(0, 2)}/${large.id}`]);
    assert.deepEqual(files.tmp, []);
    assert.ok(await exists(join(t.dataDir, 'shards', large.id.slice(0, 2), large.id)));
  });

  it('answers 200 created:false for a shard it already has, without rewriting it', async () => {
    for (const s of [small, large]) {
      const r = await putShard(t.node.url, s);
      assert.equal(r.status, 200);
      assert.deepEqual(json(r), { id: s.id, created: false });
    }
    assert.deepEqual((await storedFiles(t.dataDir)).tmp, []);
  });

  it('serves shards by id and by (cid, index), byte for byte', async () => {
    for (const s of [small, large]) {
      const byId = await rawRequest(`${t.node.url}/v1/shards/${s.id}`);
      assert.equal(byId.status, 200);
      assert.equal(byId.headers['content-type'], 'application/octet-stream');
      assert.equal(byId.headers['x-ddc-piece-cid'], s.header.pieceCid.toString());
      assert.equal(byId.headers['x-ddc-shard-index'], '0');
      assert.equal(Number(byId.headers['content-length']), s.bytes.length);
      assert.deepEqual(new Uint8Array(byId.body), s.bytes);
      assert.equal(verifyShard(byId.body, s.id).id, s.id);

      const byPiece = await rawRequest(`${t.node.url}/v1/pieces/${s.header.pieceCid.toString()}/0`);
      assert.equal(byPiece.status, 200);
      assert.equal(byPiece.headers['x-ddc-shard-id'], s.id);
      assert.deepEqual(new Uint8Array(byPiece.body), s.bytes);
    }
  });

  it('HEAD answers the headers without a body', async () => {
    for (const s of [small, large]) {
      const r = await rawRequest(`${t.node.url}/v1/shards/${s.id}`, { method: 'HEAD' });
      assert.equal(r.status, 200);
      assert.equal(Number(r.headers['content-length']), s.bytes.length);
      assert.equal(r.body.length, 0);
    }
    const missing = await rawRequest(`${t.node.url}/v1/shards/${'0'.repeat(64)}`, { method: 'HEAD' });
    assert.equal(missing.status, 404);
  });

  it('lists what it holds of a piece', async () => {
    const stripe = makeStripe(200_000, 4, 2);
    for (const s of [stripe[1]!, stripe[4]!]) assert.equal((await putShard(t.node.url, s)).status, 201);
    const r = await rawRequest(`${t.node.url}/v1/pieces/${stripe[0]!.header.pieceCid.toString()}`);
    assert.equal(r.status, 200);
    assert.deepEqual(json(r), {
      shards: [1, 4].map((i) => ({ id: stripe[i]!.id, index: i, k: 4, m: 2, length: stripe[i]!.bytes.length })),
    });
    const none = await rawRequest(`${t.node.url}/v1/pieces/${makeShard(10).header.pieceCid.toString()}`);
    assert.deepEqual(json(none), { shards: [] });
    const idx = await rawRequest(`${t.node.url}/v1/pieces/${stripe[0]!.header.pieceCid.toString()}/2`);
    assert.equal(idx.status, 404);
    assert.equal(json(idx).code, 'DDC_SHARD_NOT_FOUND');
  });

  it('answers challenges whose proofs verify, for every leaf', async () => {
    const payload = large.bytes.subarray(large.bytes.length - large.header.shardLength);
    const payloadRoot = merkleRoot(payload);
    const leaves = Math.ceil(payload.length / MERKLE_LEAF_SIZE);
    assert.ok(leaves > 2);
    for (let j = 0; j < leaves; j++) {
      const r = await rawRequest(`${t.node.url}/v1/shards/${large.id}/challenge?leaf=${j}`);
      assert.equal(r.status, 200);
      const a = json(r) as unknown as ChallengeAnswer;
      assert.equal(a.id, large.id);
      assert.equal(a.leafIndex, j);
      assert.equal(a.leafCount, leaves);
      const leaf = Buffer.from(a.leaf, 'base64');
      const proof = { leafIndex: a.leafIndex, leafCount: a.leafCount, siblings: a.proof.map(fromHex) };
      assert.ok(verifyMerkleProof(payloadRoot, leaf, proof));
      // A verifier that knows only the id: root from the proof, then the shard root from the header.
      const { header } = decodeShardHeader(Buffer.from(a.header, 'base64'));
      assert.equal(toHex(shardRoot(header, rootFromProof(leaf, proof))), large.id);
    }
    const bad = await rawRequest(`${t.node.url}/v1/shards/${large.id}/challenge?leaf=${leaves}`);
    assert.equal(bad.status, 400);
    assert.equal(json(bad).code, 'DDC_INVALID_ARGUMENT');
    const noLeaf = await rawRequest(`${t.node.url}/v1/shards/${large.id}/challenge`);
    assert.equal(noLeaf.status, 400);
    const small0 = json(await rawRequest(`${t.node.url}/v1/shards/${small.id}/challenge?leaf=0`)) as unknown as ChallengeAnswer;
    assert.equal(small0.leafCount, 1);
    assert.deepEqual(small0.proof, []);
  });

  it('lists shards in id order with a cursor', async () => {
    const all: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 20; page++) {
      const r = await rawRequest(`${t.node.url}/v1/shards?limit=2${after ? `&after=${after}` : ''}`);
      assert.equal(r.status, 200);
      const body = json(r) as { shards: { id: string; pieceCid: string; index: number; k: number; m: number; length: number }[]; next: string | null };
      assert.ok(body.shards.length <= 2);
      all.push(...body.shards.map((s) => s.id));
      for (const s of body.shards) assert.deepEqual(Object.keys(s), ['id', 'pieceCid', 'index', 'k', 'm', 'length']);
      after = body.next;
      if (!after) break;
    }
    assert.equal(all.length, 4);
    assert.deepEqual(all, [...all].sort());
    assert.equal(new Set(all).size, 4);
    const info = json(await rawRequest(`${t.node.url}/info`));
    assert.equal(info.shards, 4);
  });

  it('deletes: 204, then 404, and the file is gone', async () => {
    for (const s of [small, large]) {
      const r = await rawRequest(`${t.node.url}/v1/shards/${s.id}`, { method: 'DELETE' });
      assert.equal(r.status, 204);
      const again = await rawRequest(`${t.node.url}/v1/shards/${s.id}`, { method: 'DELETE' });
      assert.equal(again.status, 404);
      assert.equal(json(again).code, 'DDC_SHARD_NOT_FOUND');
      const get = await rawRequest(`${t.node.url}/v1/shards/${s.id}`);
      assert.equal(get.status, 404);
      const byPiece = await rawRequest(`${t.node.url}/v1/pieces/${s.header.pieceCid.toString()}/0`);
      assert.equal(byPiece.status, 404);
    }
    assert.ok(!(await exists(join(t.dataDir, 'shards', large.id.slice(0, 2), large.id))));
  });

  it('serves many requests over one kept-alive socket', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const s = makeShard(2000);
    await putShard(t.node.url, s);
    const ports = new Set<number>();
    agent.on('free', (sock: import('node:net').Socket) => ports.add(sock.localPort ?? 0));
    for (let i = 0; i < 50; i++) assert.equal((await rawRequest(`${t.node.url}/v1/shards/${s.id}`, { agent })).status, 200);
    assert.equal(ports.size, 1);
    agent.destroy();
  });

  it('answers CORS preflights and exposes the shard headers to pages', async () => {
    const pre = await rawRequest(`${t.node.url}/v1/shards/${small.id}`, {
      method: 'OPTIONS',
      headers: { origin: 'http://example.test', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-origin'], '*');
    assert.match(String(pre.headers['access-control-allow-methods']), /PUT/);
    assert.equal(pre.headers['access-control-allow-headers'], 'content-type');
    const s = makeShard(500);
    const put = await rawRequest(`${t.node.url}/v1/shards/${s.id}`, { method: 'PUT', headers: { origin: 'http://example.test', 'content-length': s.bytes.length }, body: s.bytes });
    assert.equal(put.status, 201);
    assert.equal(put.headers['access-control-allow-origin'], '*');
    const get = await rawRequest(`${t.node.url}/v1/shards/${s.id}`, { headers: { origin: 'http://example.test' } });
    assert.equal(get.headers['access-control-allow-origin'], '*');
    assert.match(String(get.headers['access-control-expose-headers']), /x-ddc-shard-id/);
    const err = await rawRequest(`${t.node.url}/v1/shards/${'0'.repeat(64)}`, { headers: { origin: 'http://example.test' } });
    assert.equal(err.status, 404);
    assert.equal(err.headers['access-control-allow-origin'], '*');
    const plain = await rawRequest(`${t.node.url}/v1/shards/${s.id}`);
    assert.equal(plain.headers['access-control-allow-origin'], undefined, 'no CORS headers for non-browser clients');
  });

  it('health and info', async () => {
    const h = await rawRequest(`${t.node.url}/health`);
    assert.equal(h.status, 200);
    assert.deepEqual(json(h), { status: 'ok' });
    const info = json(await rawRequest(`${t.node.url}/info`));
    assert.equal(info.nodeId, 'node-1');
    assert.equal(info.zone, 'zone-a');
    assert.deepEqual(info.storeFormat, { format: 'ddc-node-store', version: 2 });
    assert.equal(typeof info.startedAt, 'string');
    assert.equal((info.limits as Record<string, number>).maxShardBytes, 16 * 1024 * 1024 + 64 * 1024);
  });
});
