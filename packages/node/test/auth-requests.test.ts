/**
 * Signed requests on a real node (no chain): which writes are refused and why, with nothing
 * stored; what a valid signature, a peer's key and anonymousWrites allow.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { StaticMembership } from '@ddc/client';
import {
  generateKeyPair, issueRootToken, signDelegation, fromHex, toHex, sha256, type Ed25519KeyPair,
} from '@ddc/core';
import { parseNodeConfig, startNode } from '../src/index.js';
import { exists, json, makeShard, nodeConfig, putShard, rawRequest, signedHeaders, startTestNode, storedFiles, tempDir, TEST_KEY, type TestNode } from './helpers.js';

const shardUrl = (t: TestNode, id: string) => `${t.node.url}/v1/shards/${id}`;

/** PUT a shard with the given headers (and its content-length). */
function putWith(t: TestNode, id: string, bytes: Uint8Array, headers: Record<string, string>) {
  return rawRequest(shardUrl(t, id), { method: 'PUT', sign: false, headers: { ...headers, 'content-length': bytes.length }, body: bytes });
}

async function assertNothingStored(t: TestNode, id: string): Promise<void> {
  assert.equal((await rawRequest(shardUrl(t, id))).status, 404, 'the shard is not served');
  assert.deepEqual(await storedFiles(t.dataDir), { shards: [], tmp: [] }, 'no file of it stays');
}

describe('signed requests on the node', () => {
  let t: TestNode;
  before(async () => {
    t = await startTestNode();
  });
  after(async () => {
    await t.cleanup();
  });

  it('an unsigned PUT is refused with 401 DDC_UNAUTHENTICATED and nothing is stored', async () => {
    const s = makeShard(100_000);
    const r = await putWith(t, s.id, s.bytes, {});
    assert.equal(r.status, 401);
    assert.equal(json(r).code, 'DDC_UNAUTHENTICATED');
    await assertNothingStored(t, s.id);
  });

  it('an unsigned PUT that asks 100-continue is refused before its body is sent', async () => {
    const s = makeShard(100_000);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(shardUrl(t, s.id), { method: 'PUT', agent: false, headers: { 'content-length': s.bytes.length, expect: '100-continue' } });
      req.on('continue', () => reject(new Error('the node asked for the body')));
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    assert.equal(status, 401);
    await assertNothingStored(t, s.id);
  });

  it('a forged signature is refused with DDC_SIGNATURE_INVALID', async () => {
    const s = makeShard(10_000);
    const headers = await signedHeaders({ method: 'PUT', url: shardUrl(t, s.id) });
    // Another key claims the signature of the first.
    const forged = { ...headers, 'x-ddc-key': toHex(generateKeyPair().publicKey) };
    const r1 = await putWith(t, s.id, s.bytes, forged);
    assert.equal(r1.status, 422);
    assert.equal(json(r1).code, 'DDC_SIGNATURE_INVALID');
    // A signature for another shard does not carry over.
    const other = makeShard(10_000);
    const r2 = await putWith(t, s.id, s.bytes, await signedHeaders({ method: 'PUT', url: shardUrl(t, other.id) }));
    assert.equal(json(r2).code, 'DDC_SIGNATURE_INVALID');
    // One flipped bit of the signature.
    const sig = fromHex(headers['x-ddc-signature']!);
    sig[5]! ^= 1;
    const r3 = await putWith(t, s.id, s.bytes, { ...headers, 'x-ddc-signature': toHex(sig) });
    assert.equal(json(r3).code, 'DDC_SIGNATURE_INVALID');
    await assertNothingStored(t, s.id);
  });

  it('a stale or future time is refused with DDC_REQUEST_STALE', async () => {
    const s = makeShard(10_000);
    for (const skew of [-120_000, 120_000]) {
      const r = await putWith(t, s.id, s.bytes, await signedHeaders({ method: 'PUT', url: shardUrl(t, s.id), time: Date.now() + skew }));
      assert.equal(r.status, 401);
      assert.equal(json(r).code, 'DDC_REQUEST_STALE');
    }
    await assertNothingStored(t, s.id);
  });

  it('a request signed for another node is refused with DDC_REQUEST_AUDIENCE', async () => {
    const s = makeShard(10_000);
    const r = await putWith(t, s.id, s.bytes, await signedHeaders({ method: 'PUT', url: shardUrl(t, s.id), identity: TEST_KEY, audience: 'node-2' }));
    assert.equal(r.status, 401);
    assert.equal(json(r).code, 'DDC_REQUEST_AUDIENCE');
    await assertNothingStored(t, s.id);
  });

  it('a shard PUT must sign UNSIGNED-PAYLOAD', async () => {
    const s = makeShard(10_000);
    const r = await putWith(t, s.id, s.bytes, await signedHeaders({ method: 'PUT', url: shardUrl(t, s.id), body: s.bytes }));
    assert.equal(r.status, 400);
    assert.equal(json(r).code, 'DDC_REQUEST_MALFORMED');
    await assertNothingStored(t, s.id);
  });

  it('a valid signed PUT is stored; the same headers again are a replay (DDC_REQUEST_REPLAYED)', async () => {
    const s = makeShard(100_000);
    const headers = await signedHeaders({ method: 'PUT', url: shardUrl(t, s.id), identity: TEST_KEY, audience: t.node.id });
    const r = await putWith(t, s.id, s.bytes, headers);
    assert.equal(r.status, 201);
    const got = await rawRequest(shardUrl(t, s.id));
    assert.equal(got.status, 200);
    assert.deepEqual(new Uint8Array(got.body), s.bytes);
    const again = await putWith(t, s.id, s.bytes, headers);
    assert.equal(again.status, 401);
    assert.equal(json(again).code, 'DDC_REQUEST_REPLAYED');
    // A fresh signature for the same shard is fine (the shard is already there: 200).
    assert.equal((await putWith(t, s.id, s.bytes, await signedHeaders({ method: 'PUT', url: shardUrl(t, s.id), identity: TEST_KEY, audience: t.node.id }))).status, 200);
    await rawRequest(shardUrl(t, s.id), { method: 'DELETE' });
  });

  it('DELETE: unsigned is 401; a signer that is no peer and has no token is refused; the node\'s own key deletes', async () => {
    const s = makeShard(10_000);
    assert.equal((await putShard(t.node.url, s)).status, 201);
    const unsigned = await rawRequest(shardUrl(t, s.id), { method: 'DELETE', sign: false });
    assert.equal(unsigned.status, 401);
    assert.equal(json(unsigned).code, 'DDC_UNAUTHENTICATED');
    const stranger = await rawRequest(shardUrl(t, s.id), { method: 'DELETE', sign: false, headers: await signedHeaders({ method: 'DELETE', url: shardUrl(t, s.id), identity: generateKeyPair(), audience: t.node.id }) });
    assert.equal(stranger.status, 401);
    assert.equal(json(stranger).code, 'DDC_TOKEN_REQUIRED');
    assert.equal((await rawRequest(shardUrl(t, s.id))).status, 200, 'still there');
    // Signed as the node itself (the test helper's default for its nodes).
    assert.equal((await rawRequest(shardUrl(t, s.id), { method: 'DELETE' })).status, 204);
    assert.equal((await rawRequest(shardUrl(t, s.id))).status, 404);
  });

  it('a DELETE signs the empty body: another digest is refused', async () => {
    const s = makeShard(10_000);
    assert.equal((await putShard(t.node.url, s)).status, 201);
    const headers = await signedHeaders({ method: 'DELETE', url: shardUrl(t, s.id), body: new TextEncoder().encode('x') });
    const r = await rawRequest(shardUrl(t, s.id), { method: 'DELETE', sign: false, headers });
    assert.equal(json(r).code, 'DDC_SIGNATURE_INVALID');
    assert.equal((await rawRequest(shardUrl(t, s.id))).status, 200);
    assert.equal((await rawRequest(shardUrl(t, s.id), { method: 'DELETE' })).status, 204);
  });

  it('POST /v1/repair/run must be signed over its body; POST /v1/pieces/has is a read and needs nothing', async () => {
    const url = `${t.node.url}/v1/repair/run`;
    const unsigned = await rawRequest(url, { method: 'POST', sign: false, headers: { 'content-length': 0 } });
    assert.equal(unsigned.status, 401);
    assert.equal(json(unsigned).code, 'DDC_UNAUTHENTICATED');
    const body = new TextEncoder().encode('{"force":true}');
    const wrongBody = await rawRequest(url, { method: 'POST', sign: false, headers: { ...(await signedHeaders({ method: 'POST', url, body: new TextEncoder().encode('{}') })), 'content-length': body.length }, body });
    assert.equal(json(wrongBody).code, 'DDC_SIGNATURE_INVALID');
    const asPut = await rawRequest(url, { method: 'POST', sign: false, headers: { ...(await signedHeaders({ method: 'PUT', url })), 'content-length': 0 } });
    assert.equal(json(asPut).code, 'DDC_SIGNATURE_INVALID', 'a PUT signature is not a POST one');
    const unsignedPayload = await rawRequest(url, { method: 'POST', sign: false, headers: { ...(await signedHeaders({ method: 'POST', url, contentSha256: 'UNSIGNED-PAYLOAD' })), 'content-length': 0 } });
    assert.equal(json(unsignedPayload).code, 'DDC_REQUEST_MALFORMED', 'only shard PUTs may leave the body unsigned');
    // Signed: it passes authentication and reaches the handler (this node runs no workers).
    const signed = await rawRequest(url, { method: 'POST', headers: { 'content-length': body.length }, body });
    assert.equal(json(signed).code, 'DDC_INVALID_CONFIG');
    const has = await rawRequest(`${t.node.url}/v1/pieces/has`, { method: 'POST', sign: false, headers: { 'content-length': 14 }, body: new TextEncoder().encode('{"pieces":[]}\n') });
    assert.equal(has.status, 200);
  });

  it('a token on a node without a ledger: DDC_BUCKETS_UNAVAILABLE, nothing stored', async () => {
    const user = generateKeyPair();
    const evmKey = fromHex('ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');
    const now = Math.floor(Date.now() / 1000);
    const delegation = signDelegation({ account: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', signingKey: user.publicKey, notBefore: now - 60, expiry: now + 3600, chainId: 31337 }, evmKey);
    const token = issueRootToken({ signing: user, delegation, audience: user.publicKey, bucket: 1, ops: ['put'], expiry: now + 3600 });
    const s = makeShard(10_000);
    const r = await putWith(t, s.id, s.bytes, await signedHeaders({ method: 'PUT', url: shardUrl(t, s.id), identity: user, audience: t.node.id, token }));
    assert.equal(r.status, 503);
    assert.equal(json(r).code, 'DDC_BUCKETS_UNAVAILABLE');
    await assertNothingStored(t, s.id);
  });
});

describe('signed requests: peers, skew and anonymousWrites', () => {
  it('a node of the membership is a peer: its key deletes shards', async () => {
    const dir = await tempDir();
    const peer: Ed25519KeyPair = generateKeyPair();
    const membership = new StaticMembership({
      version: 1, clusterId: 'c', k: 1, m: 0,
      nodes: [{ id: 'node-1', url: 'http://127.0.0.1:1', zone: 'a' }, { id: 'node-2', url: 'http://127.0.0.1:2', zone: 'b', publicKey: toHex(peer.publicKey) }],
    });
    const node = await startNode(nodeConfig(join(dir.path, 'data'), { repair: { enabled: false }, scrub: { enabled: false } }), { log: () => undefined, membership });
    try {
      const s = makeShard(10_000);
      const url = `${node.url}/v1/shards/${s.id}`;
      assert.equal((await rawRequest(url, { method: 'PUT', sign: false, headers: { ...(await signedHeaders({ method: 'PUT', url, identity: peer, audience: 'node-1' })), 'content-length': s.bytes.length }, body: s.bytes })).status, 201);
      const stranger = await rawRequest(url, { method: 'DELETE', sign: false, headers: await signedHeaders({ method: 'DELETE', url, identity: generateKeyPair(), audience: 'node-1' }) });
      assert.equal(json(stranger).code, 'DDC_TOKEN_REQUIRED');
      const byPeer = await rawRequest(url, { method: 'DELETE', sign: false, headers: await signedHeaders({ method: 'DELETE', url, identity: peer, audience: 'node-1' }) });
      assert.equal(byPeer.status, 204);
      assert.equal((await rawRequest(url)).status, 404);
    } finally {
      await node.close();
      await dir.remove();
    }
  });

  it('auth.maxSkewMs narrows the window', async () => {
    const t = await startTestNode({ auth: { maxSkewMs: 5000 } });
    try {
      const s = makeShard(10_000);
      const stale = await putWith(t, s.id, s.bytes, await signedHeaders({ method: 'PUT', url: shardUrl(t, s.id), time: Date.now() - 10_000 }));
      assert.equal(json(stale).code, 'DDC_REQUEST_STALE');
      assert.equal((await putWith(t, s.id, s.bytes, await signedHeaders({ method: 'PUT', url: shardUrl(t, s.id), time: Date.now() - 2000 }))).status, 201);
    } finally {
      await t.cleanup();
    }
  });

  it('auth.anonymousWrites (tests only) takes unsigned writes, but still checks signed ones', async () => {
    const t = await startTestNode({ auth: { anonymousWrites: true } });
    try {
      const s = makeShard(10_000);
      assert.equal((await putWith(t, s.id, s.bytes, {})).status, 201);
      const bad = await putWith(t, s.id, s.bytes, { ...(await signedHeaders({ method: 'PUT', url: shardUrl(t, s.id) })), 'x-ddc-audience': 'elsewhere' });
      assert.equal(json(bad).code, 'DDC_SIGNATURE_INVALID');
      assert.equal((await rawRequest(shardUrl(t, s.id), { method: 'DELETE', sign: false })).status, 204);
    } finally {
      await t.cleanup();
    }
  });

  it('the data folder holds auth/ with its FORMAT; claims live in the store index, not in an auth/refs database', async () => {
    const t = await startTestNode();
    try {
      assert.ok(await exists(join(t.dataDir, 'auth', 'FORMAT')));
      assert.equal(await exists(join(t.dataDir, 'auth', 'refs')), false);
    } finally {
      await t.cleanup();
    }
  });
});

describe('auth config', () => {
  const base = { version: 1, id: 'n', zone: 'z', dataDir: '/tmp/x' };
  it('has documented defaults and refuses unknown keys and bad values', () => {
    assert.deepEqual(parseNodeConfig(base).auth, { maxSkewMs: 60_000, revocationPollMs: 1000, anonymousWrites: false });
    assert.deepEqual(parseNodeConfig({ ...base, auth: { maxSkewMs: 5000 } }).auth, { maxSkewMs: 5000, revocationPollMs: 1000, anonymousWrites: false });
    for (const auth of [{ maxSkew: 1 }, { maxSkewMs: 10 }, { revocationPollMs: 0 }, { anonymousWrites: 'yes' }, 'on']) {
      assert.throws(() => parseNodeConfig({ ...base, auth }), (e: unknown) => (e as { code?: string }).code === 'DDC_INVALID_CONFIG');
    }
  });
  it('the SHA-256 of the empty body is the digest a DELETE signs', () => {
    assert.equal(toHex(sha256(new Uint8Array(0))), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});
