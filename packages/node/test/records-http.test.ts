// Object records over HTTP on real nodes backed by a dev chain (buckets, owners and token
// revocations come from the ledger): put/get/versions/list/purge, refusals, and sync.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  decodeRecord, delegateToken, fromHex, generateKeyPair, issueRootToken, sha256, signDelegation, signRecord, signRequest, toHex,
  type CapabilityToken, type ClusterDescriptor, type Ed25519KeyPair, type ObjectRecord, type RecordInput, type TokenOp,
} from '@ddc/core';
import type { Membership } from '@ddc/client';
import { DEV_CLUSTER_TERMS, DevChain, connectLedger, createBucket, createCluster, type Ledger } from '@ddc/ledger/node';
import { startNode, type RunningNode } from '../src/index.js';
import { tempDir } from './helpers.js';

const CID = 'bafkreial4c7i3iblm37smyvl2ez4rlelhn6thukckortauqu37vgetjzki';
const EMPTY_SHA256 = toHex(sha256(new Uint8Array(0)));

/** A membership the test fills in once the nodes know their ids and keys. */
class TestMembership implements Membership {
  view: ClusterDescriptor | undefined;
  async current(): Promise<ClusterDescriptor> {
    if (!this.view) throw new Error('no view yet');
    return this.view;
  }
}

let dir: Awaited<ReturnType<typeof tempDir>>;
let chain: DevChain;
let ledger: Ledger;
let clusterId: number;
let bucket: number;
let otherBucket: number;
const nodes: RunningNode[] = [];
const writer = generateKeyPair();
let root: CapabilityToken;
let otherRoot: CapabilityToken;
let clock = Date.now() - 30_000;

async function newBucket(): Promise<number> {
  return Number((await createBucket(ledger, { clusterId, isPublic: false })).bucketId);
}

function rootToken(b: number, ops: TokenOp[] = ['delete', 'get', 'list', 'put']): CapabilityToken {
  const now = Math.floor(Date.now() / 1000);
  const account = chain.accounts[0]!;
  const delegation = signDelegation({ account: account.address, signingKey: writer.publicKey, notBefore: now - 3600, expiry: now + 3600, chainId: chain.chainId }, fromHex(account.privateKey.slice(2)));
  return issueRootToken({ signing: writer, delegation, audience: writer.publicKey, bucket: b, ops, expiry: now + 3600, mayDelegate: true });
}

function record(key: string, extra: Partial<RecordInput> = {}, signing: Ed25519KeyPair = writer): ObjectRecord {
  return signRecord({ bucket, key, cid: CID, size: 5, token: root.bytes, time: clock++, ...extra }, signing);
}

interface Answer {
  status: number;
  body: Buffer;
  json: () => Record<string, unknown>;
}

async function call(node: RunningNode, method: string, path: string, o: { body?: Uint8Array; signing?: Ed25519KeyPair | null; token?: CapabilityToken } = {}): Promise<Answer> {
  const signing = o.signing === undefined ? writer : o.signing;
  const headers: Record<string, string> = signing
    ? signRequest({ method, path, contentSha256: o.body ? toHex(sha256(o.body)) : EMPTY_SHA256, audience: node.id, signing, ...(o.token ? { token: o.token } : {}) })
    : {};
  const res = await fetch(`${node.url}${path}`, { method, headers, ...(o.body ? { body: o.body as unknown as BodyInit } : {}) });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, body, json: () => JSON.parse(body.toString('utf8')) as Record<string, unknown> };
}

const post = (node: RunningNode, r: ObjectRecord | Uint8Array, b = bucket, signing: Ed25519KeyPair | null = writer) =>
  call(node, 'POST', `/v1/buckets/${b}/records`, { body: r instanceof Uint8Array ? r : r.bytes, signing });
const get = (node: RunningNode, path: string, token: CapabilityToken | null = root) => call(node, 'GET', `/v1/buckets/${bucket}${path}`, token ? { token } : {});

function expectError(a: Answer, status: number, code: string): void {
  assert.equal(a.status, status, a.body.toString());
  assert.equal(a.json().code, code, a.body.toString());
}

before(async () => {
  dir = await tempDir();
  chain = await DevChain.start({ dir: join(dir.path, 'chain') });
  const { deployment } = await chain.ensureDeployment();
  ledger = connectLedger({ deployment, rpcUrl: chain.rpcUrl, account: chain.accounts[0]!.privateKey, pollingIntervalMs: 20 });
  clusterId = (await createCluster(ledger, { layout: { k: 1, m: 2, replicationThreshold: 65536 }, terms: DEV_CLUSTER_TERMS })).clusterId;
  bucket = await newBucket();
  otherBucket = await newBucket();
  root = rootToken(bucket);
  otherRoot = rootToken(otherBucket);
  const membership = new TestMembership();
  for (let i = 0; i < 3; i++) {
    nodes.push(await startNode({
      version: 1, id: `rec-${i}`, zone: `zone-${i}`, dataDir: join(dir.path, `node-${i}`),
      chain: { rpcUrl: chain.rpcUrl, deployment: chain.deploymentFile, clusterId, pollMs: 200 },
      repair: { enabled: false }, scrub: { enabled: false }, records: { syncIntervalMs: 200 },
    }, { log: () => undefined, membership }));
  }
  membership.view = {
    version: 1, clusterId: 'records-test', k: 1, m: 2, replicationThreshold: 65536,
    nodes: nodes.map((n) => ({ id: n.id, url: n.url, zone: n.zone, publicKey: n.publicKey })),
  };
});

after(async () => {
  await Promise.allSettled(nodes.map((n) => n.close()));
  await chain?.stop();
  await dir?.remove();
});

test('put, get, versions, list and purge on one node', async () => {
  const [a] = nodes as [RunningNode];
  const v1 = record('docs/a.txt');
  const v2 = record('docs/a.txt', { contentType: 'text/plain', metadata: { author: 'ann' } });
  assert.equal((await post(a, v1)).status, 201);
  const again = await post(a, v1);
  assert.equal(again.status, 200);
  assert.equal(again.json().created, false);
  assert.equal((await post(a, v2)).status, 201);

  const newest = await get(a, '/records/docs%2Fa.txt');
  assert.equal(newest.status, 200);
  assert.deepEqual(new Uint8Array(newest.body), v2.bytes);
  assert.deepEqual(decodeRecord(newest.body).metadata, { author: 'ann' });
  assert.deepEqual(new Uint8Array((await get(a, `/records/docs%2Fa.txt?version=${v1.version}`)).body), v1.bytes);
  const versions = (await get(a, '/records/docs%2Fa.txt?versions=1')).json().records as string[];
  assert.deepEqual(versions.map((b) => decodeRecord(Buffer.from(b, 'base64')).version), [v1.version, v2.version]);

  await post(a, record('docs/b.txt'));
  await post(a, record('img/x.png'));
  await post(a, record('top'));
  const grouped = (await get(a, '/records?delimiter=%2F')).json();
  assert.deepEqual(grouped.commonPrefixes, ['docs/', 'img/']);
  assert.deepEqual((grouped.records as string[]).map((b) => decodeRecord(Buffer.from(b, 'base64')).key), ['top']);
  const docs = (await get(a, '/records?prefix=docs%2F&limit=1')).json();
  assert.deepEqual((docs.records as string[]).map((b) => decodeRecord(Buffer.from(b, 'base64')).key), ['docs/a.txt']);
  assert.equal(docs.next, 'docs/a.txt');
  const rest = (await get(a, '/records?prefix=docs%2F&after=docs%2Fa.txt')).json();
  assert.deepEqual((rest.records as string[]).map((b) => decodeRecord(Buffer.from(b, 'base64')).key), ['docs/b.txt']);
  assert.equal(rest.next, null);

  // A delete marker is the newest record: readers see the key deleted.
  const marker = record('docs/b.txt', { cid: null, size: 0 });
  assert.equal((await post(a, marker)).status, 201);
  assert.equal(decodeRecord((await get(a, '/records/docs%2Fb.txt')).body).cid, null);

  // A purge removes one version for good; the older one is the newest again.
  const purge = record('docs/a.txt', { cid: null, size: 0, purges: v2.version });
  assert.equal((await post(a, purge)).status, 201);
  assert.deepEqual(new Uint8Array((await get(a, '/records/docs%2Fa.txt')).body), v1.bytes);
  expectError(await get(a, `/records/docs%2Fa.txt?version=${v2.version}`), 404, 'DDC_NO_SUCH_KEY');
  const back = await post(a, v2);
  assert.equal(back.status, 200);
  assert.equal(back.json().purged, true, 'a purged version is never stored again');
  expectError(await get(a, '/records/nothing'), 404, 'DDC_NO_SUCH_KEY');

  const digest = (await get(a, '/digest?limit=2')).json();
  assert.equal((digest.entries as unknown[]).length, 2);
  assert.equal(typeof digest.next, 'string');

  // Reads of a private bucket need a signature and a token with get/list.
  expectError(await call(a, 'GET', `/v1/buckets/${bucket}/records/top`, { signing: null }), 401, 'DDC_UNAUTHENTICATED');
  expectError(await get(a, '/records/top', null), 401, 'DDC_TOKEN_REQUIRED');
  const putOnly = delegateToken(root, { signing: writer, audience: writer.publicKey, ops: ['put'] });
  expectError(await get(a, '/records?prefix=', putOnly), 403, 'DDC_TOKEN_OP_DENIED');

  const status = (await (await fetch(`${a.url}/v1/status`)).json()) as { records: { buckets: number; records: number } };
  assert.equal(status.records.buckets, 1);
  assert.equal(status.records.records, 6, 'v1, the purge tombstone, docs/b.txt and its marker, img/x.png, top');
});

test('refusals: bad signature, token of another bucket, key outside the prefix, delete without the delete op', async () => {
  const [a] = nodes as [RunningNode];
  const good = record('refuse/ok');
  const tampered = Uint8Array.from(good.bytes);
  const at = Buffer.from(tampered).indexOf(Buffer.from(good.signature));
  tampered[at + 10]! ^= 1;
  expectError(await post(a, tampered), 400, 'DDC_RECORD_INVALID');

  expectError(await post(a, record('refuse/k', { token: otherRoot.bytes })), 403, 'DDC_TOKEN_WRONG_BUCKET');

  const writer2 = generateKeyPair();
  const docsOnly = delegateToken(root, { signing: writer, audience: writer2.publicKey, ops: ['put', 'delete'], prefix: 'docs/' });
  expectError(await post(a, record('img/y.png', { token: docsOnly.bytes }, writer2)), 403, 'DDC_TOKEN_PREFIX_DENIED');
  assert.equal((await post(a, record('docs/y.txt', { token: docsOnly.bytes }, writer2))).status, 201, 'the same token inside its prefix');

  const putOnly = delegateToken(root, { signing: writer, audience: writer2.publicKey, ops: ['put'] });
  assert.equal((await post(a, record('refuse/p', { token: putOnly.bytes }, writer2))).status, 201);
  expectError(await post(a, record('refuse/p', { token: putOnly.bytes, cid: null, size: 0 }, writer2)), 403, 'DDC_TOKEN_OP_DENIED');
  expectError(await post(a, record('refuse/p', { token: putOnly.bytes, cid: null, size: 0, purges: good.version }, writer2)), 403, 'DDC_TOKEN_OP_DENIED');

  // Signed by someone the token is not for.
  expectError(await post(a, record('refuse/q', {}, writer2)), 403, 'DDC_TOKEN_AUDIENCE');
  // The request must be signed, the path must name the record's bucket, the time must not be ahead.
  expectError(await post(a, good, bucket, null), 401, 'DDC_UNAUTHENTICATED');
  expectError(await post(a, good, otherBucket), 400, 'DDC_INVALID_ARGUMENT');
  expectError(await post(a, record('refuse/f', { time: Date.now() + 5 * 60_000 })), 400, 'DDC_RECORD_INVALID');
  // A client may not bring a record dated before the clock window (a revoked writer could backdate one); peers' sync may.
  expectError(await post(a, record('refuse/old', { time: Date.now() - 5 * 60_000 })), 400, 'DDC_RECORD_INVALID');
  expectError(await post(a, new Uint8Array(65 * 1024)), 413, 'DDC_TOO_LARGE');
  assert.equal((await post(a, good)).status, 201, 'nothing above stored the good record');
});

test('sync: a record written to 2 of 3 nodes reaches the third; a purge follows it', async () => {
  const [a, b, c] = nodes as [RunningNode, RunningNode, RunningNode];
  const fresh = await newBucket(); // no node has seen it: c learns of it from its peers
  const token = rootToken(fresh);
  const r = signRecord({ bucket: fresh, key: 'synced/one', cid: CID, size: 5, token: token.bytes, time: clock++ }, writer);
  assert.equal((await post(a, r, fresh)).status, 201);
  assert.equal((await post(b, r, fresh)).status, 201);
  const path = `/v1/buckets/${fresh}/records/synced%2Fone`;
  const waitFor = async (node: RunningNode, p: string, status: number) => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const got = await call(node, 'GET', p, { token });
      if (got.status === status) return got;
      if (Date.now() > deadline) assert.fail(`${node.id} ${p}: still ${got.status} ${got.body.toString().slice(0, 200)}`);
      await sleep(100);
    }
  };
  const got = await waitFor(c, path, 200);
  assert.deepEqual(new Uint8Array(got.body), r.bytes);
  const status = (await (await fetch(`${c.url}/v1/status`)).json()) as { records: { pulled: number; lastSync: string | null } };
  assert.ok(status.records.pulled >= 1);
  assert.ok(status.records.lastSync);

  const purge = signRecord({ bucket: fresh, key: 'synced/one', cid: null, token: token.bytes, time: clock++, purges: r.version }, writer);
  assert.equal((await post(a, purge, fresh)).status, 201);
  await waitFor(c, `${path}?version=${r.version}`, 404);
  await waitFor(b, `${path}?version=${r.version}`, 404);
  const onB = (await call(b, 'GET', `${path}?versions=1`, { token })).json().records as string[];
  assert.deepEqual(onB.map((x) => decodeRecord(Buffer.from(x, 'base64')).version), [purge.version], 'only the tombstone is left');
});
