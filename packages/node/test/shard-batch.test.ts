/** POST /v1/pieces/batch on a real node: shards inline and on disk, misses, order, refusals. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import {
  MAX_BATCH_REQUEST_BYTES, MAX_BATCH_RESPONSE_BYTES, MAX_BATCH_SHARDS, decodeBatchResponse, encodeBatchRequest, type BatchWant, type EncodedShard,
} from '@ddc/core';
import { FILE_PIECE, json, makeShard, makeStripe, putShard, rawRequest, startTestNode, type TestNode } from './helpers.js';

function want(s: EncodedShard): BatchWant {
  return { cid: s.header.pieceCid.toString(), index: s.header.index };
}

async function batch(url: string, body: Uint8Array, sign = false) {
  return rawRequest(`${url}/v1/pieces/batch`, { method: 'POST', sign, headers: { 'content-length': body.length }, body });
}

describe('batched shard reads', () => {
  let t: TestNode;
  let small: EncodedShard;
  let onDisk: EncodedShard;
  let stripe: EncodedShard[];

  before(async () => {
    t = await startTestNode();
    small = makeShard(4096);
    onDisk = makeShard(FILE_PIECE);
    stripe = makeStripe(8192, 2, 1);
    for (const s of [small, onDisk, stripe[1]!]) assert.ok((await putShard(t.node.url, s)).status < 300);
  });
  after(() => t.cleanup());

  it('answers each wanted shard byte for byte, in request order, unsigned', async () => {
    const missing = { cid: stripe[0]!.header.pieceCid.toString(), index: 0 };
    const wants = [want(onDisk), missing, want(small), want(stripe[1]!), want(small)];
    const r = await batch(t.node.url, encodeBatchRequest(wants));
    assert.equal(r.status, 200);
    assert.equal(Number(r.headers['content-length']), r.body.length);
    const entries = decodeBatchResponse(new Uint8Array(r.body), wants.length);
    assert.deepEqual(entries.map((e) => e.status), ['found', 'not-found', 'found', 'found', 'found']);
    assert.deepEqual(Uint8Array.from(entries[0]!.bytes), onDisk.bytes);
    assert.deepEqual(Uint8Array.from(entries[2]!.bytes), small.bytes);
    assert.deepEqual(Uint8Array.from(entries[3]!.bytes), stripe[1]!.bytes);
    assert.deepEqual(Uint8Array.from(entries[4]!.bytes), small.bytes);
  });

  it('accepts any textual form of a CID the single read accepts', async () => {
    const cid = small.header.pieceCid;
    const r = await batch(t.node.url, encodeBatchRequest([{ cid: cid.toString(), index: 0 }, { cid: cid.toV1().toString(), index: 0 }]));
    assert.deepEqual(decodeBatchResponse(new Uint8Array(r.body), 2).map((e) => e.status), ['found', 'found']);
  });

  it('a shard file gone from disk comes back not-found, and the rest of the batch is still served', async () => {
    const gone = makeShard(FILE_PIECE);
    assert.equal((await putShard(t.node.url, gone)).status, 201);
    await rm(`${t.dataDir}/shards/${gone.id.slice(0, 2)}/${gone.id}`);
    const r = await batch(t.node.url, encodeBatchRequest([want(gone), want(small)]));
    assert.equal(r.status, 200);
    const entries = decodeBatchResponse(new Uint8Array(r.body), 2);
    assert.deepEqual(entries.map((e) => e.status), ['not-found', 'found']);
  });

  it('answers at most its byte budget and marks the rest skipped', async () => {
    const count = Math.min(MAX_BATCH_SHARDS, Math.floor(MAX_BATCH_RESPONSE_BYTES / onDisk.bytes.length) + 3);
    const r = await batch(t.node.url, encodeBatchRequest(Array.from({ length: count }, () => want(onDisk))));
    const entries = decodeBatchResponse(new Uint8Array(r.body), count);
    const found = entries.filter((e) => e.status === 'found').length;
    assert.equal(found, Math.floor(MAX_BATCH_RESPONSE_BYTES / onDisk.bytes.length));
    assert.ok(entries.slice(found).every((e) => e.status === 'skipped'));
    for (const e of entries.slice(0, found)) assert.deepEqual(Uint8Array.from(e.bytes), onDisk.bytes);
  });

  it('refuses malformed and oversized bodies with a code, and other methods with 405', async () => {
    const garbage = await batch(t.node.url, new TextEncoder().encode('{"want":[]}'));
    assert.equal(garbage.status, 400);
    assert.equal(json(garbage)['code'], 'DDC_REQUEST_MALFORMED');
    const badCid = await batch(t.node.url, encodeBatchRequest([{ cid: 'not-a-cid', index: 0 }]));
    assert.equal(badCid.status, 400);
    assert.equal(json(badCid)['code'], 'DDC_INVALID_CID');
    const huge = await batch(t.node.url, new Uint8Array(MAX_BATCH_REQUEST_BYTES + 1));
    assert.equal(huge.status, 413);
    assert.equal(json(huge)['code'], 'DDC_TOO_LARGE');
    // Chunked: the size shows only as the body arrives.
    const chunked = await rawRequest(`${t.node.url}/v1/pieces/batch`, { method: 'POST', sign: false, body: [new Uint8Array(MAX_BATCH_REQUEST_BYTES), new Uint8Array(16)] });
    assert.equal(chunked.status, 413);
    assert.equal(json(chunked)['code'], 'DDC_TOO_LARGE');
    const get = await rawRequest(`${t.node.url}/v1/pieces/batch`);
    assert.equal(get.status, 405);
    // The node still serves after the refusals.
    const ok = await batch(t.node.url, encodeBatchRequest([want(small)]));
    assert.equal(ok.status, 200);
  });
});

describe('batched reads from a node that serves wrong bytes (test-only fault)', () => {
  let t: TestNode;
  before(async () => {
    t = await startTestNode({ faults: { corruptReads: true } });
  });
  after(() => t.cleanup());

  it('are corrupted exactly as its single reads are, so clients catch it the same way', async () => {
    const s = makeShard(4096);
    assert.equal((await putShard(t.node.url, s)).status, 201);
    const single = await rawRequest(`${t.node.url}/v1/pieces/${s.header.pieceCid}/0`);
    const r = await batch(t.node.url, encodeBatchRequest([want(s)]));
    const [entry] = decodeBatchResponse(new Uint8Array(r.body), 1);
    assert.notDeepEqual(Uint8Array.from(entry!.bytes), s.bytes);
    assert.deepEqual(Uint8Array.from(entry!.bytes), new Uint8Array(single.body));
  });
});
