/**
 * The IPFS trustless gateway on a real cluster: an independent IPFS client
 * (@helia/verified-fetch, configured with only this gateway) fetches a multi-block DDC
 * object by CID and verifies it; raw and CAR answers are checked block by block with
 * @ipld/car; errors are the spec's; the edge cache serves repeated reads, even with every
 * node stopped.
 */
import './node20.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { CarReader } from '@ipld/car';
import { createVerifiedFetch } from '@helia/verified-fetch';
import { CID, RAW_CODEC, DAG_PB_CODEC, cidOf } from '@ddc/core';
import { startGatewayEnv, randomBytes, json, type GatewayEnv } from './cluster.js';
import type { CacheStats, RunningGateway } from '@ddc/gateway';

let env: GatewayEnv;
let gw: RunningGateway;
let data: Uint8Array;
let cid: CID;

const MiB = 1024 * 1024;

before(async () => {
  env = await startGatewayEnv();
  gw = await env.gateway();
  // 5.5 MiB: six 1 MiB-or-less raw leaves under one dag-pb root.
  data = randomBytes(5 * MiB + MiB / 2);
  cid = CID.parse((await env.client.put(data)).cid.toString());
  assert.equal(cid.code, DAG_PB_CODEC);
});

after(async () => {
  await env?.close();
});

const sha256 = (b: Uint8Array) => new Uint8Array(createHash('sha256').update(b).digest());
const stats = async () => (await json<{ cache: CacheStats }>(await fetch(`${gw.url}/v1/gateway/status`))).cache;

test('@helia/verified-fetch gets a DDC object by CID through the gateway and verifies it', async () => {
  const before = await stats();
  const verifiedFetch = await createVerifiedFetch({ gateways: [gw.url], routers: [], allowInsecure: true, allowLocal: true });
  try {
    const res = await verifiedFetch(`ipfs://${cid}`);
    assert.equal(res.status, 200);
    const got = new Uint8Array(await res.arrayBuffer());
    assert.equal(got.length, data.length);
    assert.ok(Buffer.from(got).equals(Buffer.from(data)), 'verified bytes equal the object');
  } finally {
    await verifiedFetch.stop();
  }
  const after = await stats();
  assert.ok(after.misses > before.misses, 'the first read went to the nodes');
  assert.ok(after.blocks >= 7, `the root and six leaves are cached (${after.blocks})`);
});

test('a repeated read is served from the edge cache and the hit rate rises', async () => {
  const s1 = await stats();
  const verifiedFetch = await createVerifiedFetch({ gateways: [gw.url], routers: [], allowInsecure: true, allowLocal: true });
  try {
    const got = new Uint8Array(await (await verifiedFetch(`ipfs://${cid}`)).arrayBuffer());
    assert.ok(Buffer.from(got).equals(Buffer.from(data)));
  } finally {
    await verifiedFetch.stop();
  }
  const s2 = await stats();
  assert.ok(s2.hits - s1.hits >= 7, `every block came from the cache (${s2.hits - s1.hits} hits)`);
  assert.equal(s2.misses, s1.misses, 'no block went to the nodes');
  assert.ok(s2.hitRate > s1.hitRate, `hit rate rose: ${s1.hitRate} -> ${s2.hitRate}`);
  const head = await fetch(`${gw.url}/ipfs/${cid}?format=raw`);
  assert.equal(head.headers.get('x-ddc-cache'), 'hit');
});

test('format=raw (and Accept: application/vnd.ipld.raw) returns exactly the one block', async () => {
  for (const [url, init] of [[`${gw.url}/ipfs/${cid}?format=raw`, {}], [`${gw.url}/ipfs/${cid}`, { headers: { Accept: 'application/vnd.ipld.raw' } }]] as const) {
    const res = await fetch(url, init);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/vnd.ipld.raw');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('x-ipfs-path'), `/ipfs/${cid}`);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=29030400, immutable');
    assert.equal(res.headers.get('etag'), `"${cid}.raw"`);
    const block = new Uint8Array(await res.arrayBuffer());
    assert.deepEqual(sha256(block), cid.multihash.digest, 'the body hashes to the CID');
    assert.equal(Number(res.headers.get('content-length')), block.length);
  }
  const notModified = await fetch(`${gw.url}/ipfs/${cid}?format=raw`, { headers: { 'If-None-Match': `"${cid}.raw"` } });
  assert.equal(notModified.status, 304);
});

test('format=car is a CARv1 of the whole DAG in DFS order, every block hashing to its CID', async () => {
  const res = await fetch(`${gw.url}/ipfs/${cid}?format=car`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/vnd.ipld.car; version=1; order=dfs; dups=n');
  assert.match(res.headers.get('content-disposition') ?? '', new RegExp(`attachment; filename="${cid}.car"`));
  const car = await CarReader.fromBytes(new Uint8Array(await res.arrayBuffer()));
  const roots = await car.getRoots();
  assert.equal(roots.length, 1);
  assert.ok(roots[0]!.equals(cid), 'the root is the requested CID');
  const leaves: Uint8Array[] = [];
  let first = true;
  for await (const block of car.blocks()) {
    assert.deepEqual(sha256(block.bytes), block.cid.multihash.digest, `block ${block.cid} hashes to its CID`);
    if (first) assert.ok(block.cid.equals(cid), 'DFS: the root comes first');
    first = false;
    if (block.cid.code === RAW_CODEC) leaves.push(block.bytes);
  }
  assert.equal(leaves.length, 6);
  assert.ok(Buffer.concat(leaves).equals(Buffer.from(data)), 'the leaves in order are the file');

  const accept = await fetch(`${gw.url}/ipfs/${cid}`, { headers: { Accept: 'application/vnd.ipld.car; version=1; order=dfs; dups=y' } });
  assert.equal(accept.headers.get('content-type'), 'application/vnd.ipld.car; version=1; order=dfs; dups=y');
  let n = 0;
  for await (const block of (await CarReader.fromBytes(new Uint8Array(await accept.arrayBuffer()))).blocks()) {
    assert.deepEqual(sha256(block.bytes), block.cid.multihash.digest);
    n++;
  }
  assert.equal(n, 7, 'dups=y: the same seven distinct blocks');
});

test('dag-scope=block and entity-bytes send only the blocks asked for', async () => {
  const blocksOf = async (q: string) => {
    const res = await fetch(`${gw.url}/ipfs/${cid}?format=car&${q}`);
    assert.equal(res.status, 200, q);
    const car = await CarReader.fromBytes(new Uint8Array(await res.arrayBuffer()));
    const out: string[] = [];
    for await (const b of car.blocks()) out.push(b.cid.toString());
    return out;
  };
  assert.deepEqual(await blocksOf('dag-scope=block'), [cid.toString()]);
  const firstLeaf = cidOf(RAW_CODEC, data.subarray(0, MiB)).toString();
  const lastLeaf = cidOf(RAW_CODEC, data.subarray(5 * MiB)).toString();
  assert.deepEqual(await blocksOf('entity-bytes=0:99'), [cid.toString(), firstLeaf]);
  assert.deepEqual(await blocksOf('entity-bytes=-10:*'), [cid.toString(), lastLeaf]);
  assert.equal((await blocksOf('entity-bytes=1048575:1048576')).length, 3, 'a range across a leaf boundary needs both leaves');
  assert.equal((await blocksOf('dag-scope=entity')).length, 7);
});

test('errors: 400 bad CID or request, 404 unknown CID, 406 unservable type, 405 method', async () => {
  const bad = await fetch(`${gw.url}/ipfs/not-a-cid?format=raw`);
  assert.equal(bad.status, 400);
  assert.equal((await json<{ error: { code: string } }>(bad)).error.code, 'DDC_INVALID_CID');

  const unknown = cidOf(RAW_CODEC, randomBytes(100));
  for (const q of ['format=raw', 'format=car']) {
    const res = await fetch(`${gw.url}/ipfs/${unknown}?${q}`);
    assert.equal(res.status, 404, q);
    assert.equal((await json<{ error: { code: string } }>(res)).error.code, 'DDC_NOT_FOUND');
  }
  assert.equal((await fetch(`${gw.url}/ipfs/${unknown}?format=raw`, { method: 'HEAD' })).status, 404);

  assert.equal((await fetch(`${gw.url}/ipfs/${cid}`)).status, 400, 'no format and no Accept: strict trustless');
  assert.equal((await fetch(`${gw.url}/ipfs/${cid}`, { headers: { Accept: 'text/html' } })).status, 406);
  assert.equal((await fetch(`${gw.url}/ipfs/${cid}`, { headers: { Accept: 'application/vnd.ipld.car; version=2' } })).status, 406);
  assert.equal((await fetch(`${gw.url}/ipfs/${cid}?format=tar`)).status, 400);
  assert.equal((await fetch(`${gw.url}/ipfs/${cid}?format=raw&dag-scope=all`)).status, 400);
  assert.equal((await fetch(`${gw.url}/ipfs/${cid}?format=car&dag-scope=everything`)).status, 400);
  assert.equal((await fetch(`${gw.url}/ipfs/${cid}/some/path?format=raw`)).status, 400);
  assert.equal((await fetch(`${gw.url}/ipfs/${cid}/some/path?format=car`)).status, 404);
  const post = await fetch(`${gw.url}/ipfs/${cid}?format=raw`, { method: 'POST' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
});

test('the identity probe bafkqaaa answers empty', async () => {
  const raw = await fetch(`${gw.url}/ipfs/bafkqaaa?format=raw`);
  assert.equal(raw.status, 200);
  assert.equal((await raw.arrayBuffer()).byteLength, 0);
  const car = await CarReader.fromBytes(new Uint8Array(await (await fetch(`${gw.url}/ipfs/bafkqaaa?format=car`)).arrayBuffer()));
  assert.equal((await car.getRoots())[0]!.toString(), 'bafkqaaa');
  const head = await fetch(`${gw.url}/ipfs/${cid}?format=car`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal((await head.arrayBuffer()).byteLength, 0);
});

test('with every node stopped, cached blocks are still served and verified', async () => {
  for (const id of env.cluster.nodes.keys()) await env.cluster.stopNode(id);
  const verifiedFetch = await createVerifiedFetch({ gateways: [gw.url], routers: [], allowInsecure: true, allowLocal: true });
  try {
    const got = new Uint8Array(await (await verifiedFetch(`ipfs://${cid}`)).arrayBuffer());
    assert.ok(Buffer.from(got).equals(Buffer.from(data)));
  } finally {
    await verifiedFetch.stop();
  }
});
