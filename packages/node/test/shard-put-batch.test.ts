/** POST /v1/shards/batch on a real node: shards inline and on disk stored together, and every refusal leaving nothing behind. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PUT_BATCH_ENTRY_HEADER, PUT_BATCH_HEADER, UNSIGNED_PAYLOAD, concatBytes, encodePutBatch, type EncodedShard } from '@ddc/core';
import { MAX_PUT_BATCH_BODY } from '../src/http/shard-put-batch.js';
import { NODE_CONFIG_DEFAULTS } from '../src/config.js';
import { FILE_PIECE, json, makeShard, putShard, rawRequest, signedHeaders, startTestNode, storedFiles, type TestNode } from './helpers.js';


const bodyOf = (shards: EncodedShard[]) => concatBytes(encodePutBatch(shards.map((s) => ({ id: s.id, bytes: s.bytes }))));

/** A batch signed as the SDK signs it (UNSIGNED-PAYLOAD: the ids bind the bytes). */
async function putBatch(url: string, body: Uint8Array | Uint8Array[], extra: { contentLength?: number; abortAfterBody?: boolean; pauseMs?: number } = {}) {
  const target = `${url}/v1/shards/batch`;
  const length = extra.contentLength ?? (Array.isArray(body) ? body.reduce((n, p) => n + p.length, 0) : body.length);
  const headers = { ...(await signedHeaders({ method: 'POST', url: target, contentSha256: UNSIGNED_PAYLOAD })), 'content-length': length };
  return rawRequest(target, { method: 'POST', headers, body, ...(extra.abortAfterBody ? { abortAfterBody: true } : {}), ...(extra.pauseMs ? { pauseMs: extra.pauseMs } : {}) });
}

async function stored(t: TestNode, s: EncodedShard): Promise<boolean> {
  const r = await rawRequest(`${t.node.url}/v1/shards/${s.id}`);
  if (r.status === 404) return false;
  assert.equal(r.status, 200);
  assert.deepEqual(new Uint8Array(r.body), s.bytes);
  return true;
}

describe('batched shard writes', () => {
  let t: TestNode;
  before(async () => {
    t = await startTestNode();
  });
  after(() => t.cleanup());

  it('stores every shard (inline and on disk) byte for byte and answers each outcome in order', async () => {
    const [small, other, onDisk, already] = [makeShard(4096), makeShard(9000), makeShard(FILE_PIECE), makeShard(5000)];
    assert.equal((await putShard(t.node.url, already)).status, 201);
    const batch = [small, onDisk, already, other];
    const r = await putBatch(t.node.url, bodyOf(batch));
    assert.equal(r.status, 200, r.body.toString());
    assert.deepEqual(json(r)['shards'], batch.map((s) => ({ id: s.id, created: s !== already })));
    for (const s of batch) assert.equal(await stored(t, s), true);
    assert.deepEqual((await storedFiles(t.dataDir)).tmp, []);
  });

  it('a body in small pieces is read the same', async () => {
    const batch = [makeShard(3000), makeShard(FILE_PIECE)];
    const body = bodyOf(batch);
    const parts: Uint8Array[] = [];
    for (let off = 0; off < body.length; off += 7001) parts.push(body.subarray(off, off + 7001));
    const r = await putBatch(t.node.url, parts);
    assert.equal(r.status, 200, r.body.toString());
    for (const s of batch) assert.equal(await stored(t, s), true);
  });

  it('one bad shard refuses the whole batch, and none of it is stored', async () => {
    const good = makeShard(4096);
    const onDisk = makeShard(FILE_PIECE);
    const bad = makeShard(6000);
    const flipped = bad.bytes.slice();
    flipped[flipped.length - 1]! ^= 0xff;
    const r = await putBatch(t.node.url, concatBytes(encodePutBatch([{ id: good.id, bytes: good.bytes }, { id: onDisk.id, bytes: onDisk.bytes }, { id: bad.id, bytes: flipped }])));
    assert.equal(r.status, 422, r.body.toString());
    assert.equal(json(r)['code'], 'DDC_SHARD_ROOT_MISMATCH');
    for (const s of [good, onDisk, bad]) assert.equal(await stored(t, s), false);
    assert.deepEqual((await storedFiles(t.dataDir)).tmp, []);
  });

  it('a shard sent under another id is refused before its payload', async () => {
    const [a, b] = [makeShard(4096), makeShard(4096)];
    const r = await putBatch(t.node.url, concatBytes(encodePutBatch([{ id: b.id, bytes: a.bytes }])));
    assert.equal(r.status, 422);
    assert.equal(json(r)['code'], 'DDC_SHARD_ROOT_MISMATCH');
    assert.equal(await stored(t, a), false);
    assert.equal(await stored(t, b), false);
  });

  it('malformed framing, a body cut short, and a client gone mid-body leave nothing behind', async () => {
    const batch = [makeShard(4096), makeShard(FILE_PIECE)];
    const body = bodyOf(batch);
    const garbage = await putBatch(t.node.url, new TextEncoder().encode('{"shards":[]}'));
    assert.equal(garbage.status, 400);
    assert.equal(json(garbage)['code'], 'DDC_REQUEST_MALFORMED');
    const cut = body.subarray(0, body.length - 10);
    const short = await putBatch(t.node.url, cut);
    assert.equal(short.status, 400);
    assert.equal(json(short)['code'], 'DDC_REQUEST_MALFORMED');
    const trailing = await putBatch(t.node.url, concatBytes([body, new Uint8Array(3)]));
    assert.equal(trailing.status, 400);
    assert.equal(json(trailing)['code'], 'DDC_REQUEST_MALFORMED');
    await putBatch(t.node.url, [body.subarray(0, body.length / 2)], { contentLength: body.length, abortAfterBody: true }).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100));
    for (const s of batch) assert.equal(await stored(t, s), false);
    assert.deepEqual((await storedFiles(t.dataDir)).tmp, []);
  });

  it('refuses an oversized body, an entry over the shard limit, an unsigned batch and a signed body digest', async () => {
    const huge = await putBatch(t.node.url, new Uint8Array(16), { contentLength: MAX_PUT_BATCH_BODY + 1 });
    assert.equal(huge.status, 413);
    assert.equal(json(huge)['code'], 'DDC_TOO_LARGE');
    const header = concatBytes(encodePutBatch([{ id: 'ab'.repeat(32), bytes: new Uint8Array(1) }])).slice(0, PUT_BATCH_HEADER + PUT_BATCH_ENTRY_HEADER);
    new DataView(header.buffer).setUint32(PUT_BATCH_HEADER + 32, NODE_CONFIG_DEFAULTS.maxShardBytes + 1);
    const entryTooLarge = await putBatch(t.node.url, header);
    assert.equal(entryTooLarge.status, 413);
    assert.equal(json(entryTooLarge)['code'], 'DDC_TOO_LARGE');
    const s = makeShard(4096);
    const body = bodyOf([s]);
    const unsigned = await rawRequest(`${t.node.url}/v1/shards/batch`, { method: 'POST', sign: false, headers: { 'content-length': body.length }, body });
    assert.equal(unsigned.status, 401);
    assert.equal(json(unsigned)['code'], 'DDC_UNAUTHENTICATED');
    // Signing the body's digest is refused: a streamed batch must declare UNSIGNED-PAYLOAD.
    const digestSigned = await rawRequest(`${t.node.url}/v1/shards/batch`, { method: 'POST', headers: { 'content-length': body.length }, body });
    assert.ok(digestSigned.status >= 400 && digestSigned.status < 500, String(digestSigned.status));
    assert.equal(await stored(t, s), false);
    const get = await rawRequest(`${t.node.url}/v1/shards/batch`);
    assert.equal(get.status, 405);
  });
});
