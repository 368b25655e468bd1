import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { json, makeShard, makeStripe, putShard, rawRequest, startTestNode, storedFiles, waitFor, type TestNode } from './helpers.js';

const MAX = 256 * 1024;

describe('refused uploads store nothing', () => {
  let t: TestNode;

  before(async () => {
    t = await startTestNode({ maxShardBytes: MAX, inlineThreshold: 8 * 1024 });
  });
  after(() => t.cleanup());

  async function assertNothingStored(): Promise<void> {
    // An aborted upload cleans up asynchronously, just after its socket closed.
    await waitFor(async () => (await storedFiles(t.dataDir)).tmp.length === 0);
    assert.deepEqual(await storedFiles(t.dataDir), { shards: [], tmp: [] });
    const info = json(await rawRequest(`${t.node.url}/info`));
    assert.equal(info.shards, 0);
    assert.equal(info.bytes, 0);
    const list = json(await rawRequest(`${t.node.url}/v1/shards`));
    assert.deepEqual(list, { shards: [], next: null });
  }

  it('400 DDC_SHARD_MALFORMED for a body that is not a shard', async () => {
    for (const size of [10, 5000, 100_000]) {
      const body = new Uint8Array(size).fill(7);
      const r = await rawRequest(`${t.node.url}/v1/shards/${'ab'.repeat(32)}`, { method: 'PUT', headers: { 'content-length': size }, body });
      assert.equal(r.status, 400, `size ${size}`);
      assert.equal(json(r).code, 'DDC_SHARD_MALFORMED');
    }
    const empty = await rawRequest(`${t.node.url}/v1/shards/${'ab'.repeat(32)}`, { method: 'PUT' });
    assert.equal(empty.status, 400);
    assert.equal(json(empty).code, 'DDC_SHARD_MALFORMED');
    await assertNothingStored();
  });

  it('400 DDC_SHARD_MALFORMED for a damaged header', async () => {
    const s = makeShard(50_000);
    const bytes = Uint8Array.from(s.bytes);
    bytes[30]! ^= 1; // inside the piece CID: the header checksum fails
    const r = await rawRequest(`${t.node.url}/v1/shards/${s.id}`, { method: 'PUT', headers: { 'content-length': bytes.length }, body: bytes });
    assert.equal(r.status, 400);
    assert.equal(json(r).code, 'DDC_SHARD_MALFORMED');
    await assertNothingStored();
  });

  it('422 DDC_SHARD_ROOT_MISMATCH for a shard sent under another id', async () => {
    const [a, b] = makeStripe(100_000, 2, 1);
    const r = await rawRequest(`${t.node.url}/v1/shards/${b!.id}`, { method: 'PUT', headers: { 'content-length': a!.bytes.length }, body: a!.bytes });
    assert.equal(r.status, 422);
    assert.equal(json(r).code, 'DDC_SHARD_ROOT_MISMATCH');
    await assertNothingStored();
  });

  it('422 DDC_SHARD_ROOT_MISMATCH for tampered payload bytes (found at the end, after a temp file was written)', async () => {
    for (const size of [2000, 200_000]) {
      const s = makeShard(size);
      const bytes = Uint8Array.from(s.bytes);
      bytes[bytes.length - 1]! ^= 0x80;
      const parts = [bytes.subarray(0, bytes.length >> 1), bytes.subarray(bytes.length >> 1)];
      const r = await rawRequest(`${t.node.url}/v1/shards/${s.id}`, { method: 'PUT', headers: { 'content-length': bytes.length }, body: parts, pauseMs: 20 });
      assert.equal(r.status, 422);
      assert.equal(json(r).code, 'DDC_SHARD_ROOT_MISMATCH');
    }
    await assertNothingStored();
  });

  it('400 for a truncated body (declared length, and chunked)', async () => {
    const s = makeShard(150_000);
    const cut = s.bytes.subarray(0, s.bytes.length - 1000);
    const declared = await rawRequest(`${t.node.url}/v1/shards/${s.id}`, { method: 'PUT', headers: { 'content-length': cut.length }, body: cut });
    assert.equal(declared.status, 400);
    assert.equal(json(declared).code, 'DDC_SHARD_MALFORMED');
    const chunked = await rawRequest(`${t.node.url}/v1/shards/${s.id}`, { method: 'PUT', headers: { 'transfer-encoding': 'chunked' }, body: [cut.subarray(0, 70_000), cut.subarray(70_000)], pauseMs: 10 });
    assert.equal(chunked.status, 400);
    assert.equal(json(chunked).code, 'DDC_SHARD_MALFORMED');
    assert.match(String(json(chunked).message), /ended after/);
    await assertNothingStored();
  });

  it('a client that disconnects mid-body leaves nothing behind', async () => {
    const s = makeShard(200_000);
    await assert.rejects(
      rawRequest(`${t.node.url}/v1/shards/${s.id}`, { method: 'PUT', headers: { 'content-length': s.bytes.length }, body: s.bytes.subarray(0, 120_000), abortAfterBody: true }),
    );
    await assertNothingStored();
    assert.equal((await putShard(t.node.url, s)).status, 201, 'the same shard can be stored afterwards');
    assert.equal((await rawRequest(`${t.node.url}/v1/shards/${s.id}`, { method: 'DELETE' })).status, 204);
    await assertNothingStored();
  });

  it('413 DDC_TOO_LARGE from Content-Length, before reading the body', async () => {
    const r = await rawRequest(`${t.node.url}/v1/shards/${'cd'.repeat(32)}`, { method: 'PUT', headers: { 'content-length': MAX + 1 } });
    assert.equal(r.status, 413);
    assert.equal(json(r).code, 'DDC_TOO_LARGE');
    // The body is sent anyway (a client that does not wait): still a clean 413.
    const big = new Uint8Array(4 * MAX + 17);
    const r2 = await rawRequest(`${t.node.url}/v1/shards/${'cd'.repeat(32)}`, { method: 'PUT', headers: { 'content-length': big.length }, body: big });
    assert.equal(r2.status, 413);
    assert.equal(json(r2).code, 'DDC_TOO_LARGE');
    await assertNothingStored();
  });

  it('413 with Expect: 100-continue, and the body is never asked for', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${t.node.url}/v1/shards/${'cd'.repeat(32)}`, { method: 'PUT', agent: false, headers: { 'content-length': MAX * 10, expect: '100-continue' } });
      req.on('continue', () => reject(new Error('the node asked for the body')));
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', () => undefined);
      req.flushHeaders();
    });
    assert.equal(status, 413);
    // A shard within limits goes through with Expect too.
    const s = makeShard(1000);
    const ok = await rawRequest(`${t.node.url}/v1/shards/${s.id}`, { method: 'PUT', headers: { 'content-length': s.bytes.length, expect: '100-continue' }, body: s.bytes });
    assert.equal(ok.status, 201);
    assert.equal((await rawRequest(`${t.node.url}/v1/shards/${s.id}`, { method: 'DELETE' })).status, 204);
    await assertNothingStored();
  });

  it('413 DDC_TOO_LARGE for an oversized chunked body', async () => {
    const s = makeShard(MAX + 100_000); // declares more than the limit in its header
    const parts: Uint8Array[] = [];
    for (let off = 0; off < s.bytes.length; off += 64 * 1024) parts.push(s.bytes.subarray(off, off + 64 * 1024));
    const r = await rawRequest(`${t.node.url}/v1/shards/${s.id}`, { method: 'PUT', headers: { 'transfer-encoding': 'chunked' }, body: parts });
    assert.equal(r.status, 413);
    assert.equal(json(r).code, 'DDC_TOO_LARGE');
    // Garbage with a plausible start that never ends: cut by the byte count.
    const ok = makeShard(MAX - 2000);
    const endless = [ok.bytes, new Uint8Array(MAX)];
    const r2 = await rawRequest(`${t.node.url}/v1/shards/${ok.id}`, { method: 'PUT', headers: { 'transfer-encoding': 'chunked' }, body: endless });
    assert.ok(r2.status === 413 || r2.status === 400, `status ${r2.status}`);
    await assertNothingStored();
  });

  it('routes: 404 DDC_NOT_FOUND, 405 with Allow, 400 for bad ids and long URLs', async () => {
    const nf = await rawRequest(`${t.node.url}/v2/nothing`);
    assert.equal(nf.status, 404);
    assert.equal(json(nf).code, 'DDC_NOT_FOUND');
    const na = await rawRequest(`${t.node.url}/v1/shards/${'ab'.repeat(32)}`, { method: 'POST' });
    assert.equal(na.status, 405);
    assert.equal(json(na).code, 'DDC_METHOD_NOT_ALLOWED');
    assert.equal(na.headers.allow, 'GET, HEAD, PUT, DELETE');
    const bad = await rawRequest(`${t.node.url}/v1/shards/xyz`);
    assert.equal(bad.status, 400);
    assert.equal(json(bad).code, 'DDC_INVALID_ARGUMENT');
    const long = await rawRequest(`${t.node.url}/v1/shards?after=${'a'.repeat(3000)}`);
    assert.equal(long.status, 400);
    const cid = await rawRequest(`${t.node.url}/v1/pieces/not-a-cid/0`);
    assert.equal(cid.status, 400);
    assert.equal(json(cid).code, 'DDC_INVALID_CID');
    const missing = await rawRequest(`${t.node.url}/v1/shards/${'ab'.repeat(32)}`);
    assert.equal(missing.status, 404);
    assert.equal(json(missing).code, 'DDC_SHARD_NOT_FOUND');
    assert.equal(typeof json(missing).message, 'string');
  });
});
