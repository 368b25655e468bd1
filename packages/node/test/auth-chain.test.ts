/**
 * Bucket tokens on a real node following a real dev chain (anvil): a bucket is created on
 * chain, its owner's Ed25519 key gets a root token (EIP-712 delegation by the anvil dev
 * account), shards are PUT with tokens and deleted with delete tokens, references keep
 * shards other buckets (or anonymous writers) still need, and a revoked token is refused
 * within a few seconds.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, StaticMembership } from '@ddc/client';
import {
  delegateToken, fromHex, generateKeyPair, issueRootToken, signDelegation, type CapabilityToken, type Ed25519KeyPair, type EncodedShard, type TokenOp,
} from '@ddc/core';
import { DevChain, connectLedger, createBucket, ensureDevCluster, revokeToken, type Ledger } from '@ddc/ledger/node';
import { json, makeShard, rawRequest, signedHeaders, startTestNode, TEST_KEY, type RawResponse, type TestNode } from './helpers.js';

let dir: string;
let chain: DevChain;
let owner: Ledger;
let t: TestNode;
let bucket: number;
let otherBucket: number;
let clusterId: number;
/** The bucket owner's data-plane key, delegated by anvil account 0. */
const ownerKey = generateKeyPair();
let root: CapabilityToken;
let otherRoot: CapabilityToken;

const now = () => Math.floor(Date.now() / 1000);

function delegation(account: { address: `0x${string}`; privateKey: `0x${string}` }, key: Ed25519KeyPair) {
  return signDelegation({ account: account.address, signingKey: key.publicKey, notBefore: now() - 60, expiry: now() + 3600, chainId: chain.chainId }, fromHex(account.privateKey.slice(2)));
}

function rootToken(b: number, key = ownerKey, account = chain.accounts[0]!): CapabilityToken {
  return issueRootToken({ signing: key, delegation: delegation(account, key), audience: key.publicKey, bucket: b, ops: ['delete', 'get', 'list', 'put'], expiry: now() + 3600, mayDelegate: true });
}

/** A token for `who` delegated from `parent` (signed by the owner's key). */
function grant(parent: CapabilityToken, who: Ed25519KeyPair, ops: TokenOp[]): CapabilityToken {
  return delegateToken(parent, { signing: ownerKey, audience: who.publicKey, ops });
}

const shardUrl = (id: string) => `${t.node.url}/v1/shards/${id}`;

async function put(s: EncodedShard, as: Ed25519KeyPair, token?: CapabilityToken): Promise<RawResponse> {
  const headers = await signedHeaders({ method: 'PUT', url: shardUrl(s.id), identity: as, audience: t.node.id, ...(token ? { token } : {}) });
  return rawRequest(shardUrl(s.id), { method: 'PUT', sign: false, headers: { ...headers, 'content-length': s.bytes.length }, body: s.bytes });
}

async function del(id: string, as: Ed25519KeyPair, token?: CapabilityToken): Promise<RawResponse> {
  const headers = await signedHeaders({ method: 'DELETE', url: shardUrl(id), identity: as, audience: t.node.id, ...(token ? { token } : {}) });
  return rawRequest(shardUrl(id), { method: 'DELETE', sign: false, headers });
}

async function held(id: string): Promise<boolean> {
  const r = await rawRequest(shardUrl(id), { method: 'HEAD' });
  assert.ok(r.status === 200 || r.status === 404, `HEAD answered ${r.status}`);
  return r.status === 200;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ddc-auth-chain-'));
  chain = await DevChain.start({ dir: join(dir, 'chain') });
  const { deployment } = await chain.ensureDeployment();
  owner = connectLedger({ deployment, rpcUrl: chain.rpcUrl, account: chain.accounts[0]!.privateKey, pollingIntervalMs: 20 });
  ({ clusterId } = await ensureDevCluster(owner, { layout: { k: 1, m: 0, replicationThreshold: 65536 }, nodes: [] }));
  bucket = Number((await createBucket(owner, { clusterId, isPublic: false })).bucketId);
  otherBucket = Number((await createBucket(owner, { clusterId, isPublic: false })).bucketId);
  root = rootToken(bucket);
  otherRoot = rootToken(otherBucket);
  t = await startTestNode({
    chain: { rpcUrl: chain.rpcUrl, deployment: chain.deploymentFile, clusterId, pollMs: 200 },
    auth: { revocationPollMs: 200 },
    repair: { enabled: false },
    scrub: { enabled: false },
  });
});

after(async () => {
  await t?.cleanup();
  await chain?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('bucket tokens on a node with a ledger', () => {
  it('a shard put with a token is deleted with a delete token of that bucket; a put-only token cannot delete', async () => {
    const writer = generateKeyPair();
    const deleter = generateKeyPair();
    const s = makeShard(100_000);
    assert.equal((await put(s, writer, grant(root, writer, ['put']))).status, 201);
    const noDelete = await del(s.id, writer, grant(root, writer, ['put']));
    assert.equal(noDelete.status, 403);
    assert.equal(json(noDelete).code, 'DDC_TOKEN_OP_DENIED');
    const noToken = await del(s.id, deleter);
    assert.equal(json(noToken).code, 'DDC_TOKEN_REQUIRED');
    assert.ok(await held(s.id));
    assert.equal((await del(s.id, deleter, grant(root, deleter, ['delete']))).status, 204);
    assert.equal(await held(s.id), false, 'its last reference went, so did the shard');
  });

  it('a shard two buckets reference goes only when both deleted it; a bucket without a reference is refused', async () => {
    const s = makeShard(10_000);
    assert.equal((await put(s, ownerKey, root)).status, 201);
    assert.equal((await put(s, ownerKey, otherRoot)).status, 200);
    const third = rootToken(Number((await createBucket(owner, { clusterId, isPublic: false })).bucketId));
    const wrong = await del(s.id, ownerKey, third);
    assert.equal(wrong.status, 403);
    assert.equal(json(wrong).code, 'DDC_TOKEN_WRONG_BUCKET');
    assert.equal((await del(s.id, ownerKey, root)).status, 204);
    assert.ok(await held(s.id), 'the other bucket still references it');
    const again = await del(s.id, ownerKey, root);
    assert.equal(json(again).code, 'DDC_TOKEN_WRONG_BUCKET', 'this bucket\'s reference is gone');
    assert.equal((await del(s.id, ownerKey, otherRoot)).status, 204);
    assert.equal(await held(s.id), false);
  });

  it('a shard first put without a token stays when the bucket that later put it deletes it', async () => {
    const s = makeShard(10_000);
    assert.equal((await put(s, TEST_KEY)).status, 201);
    assert.equal((await put(s, ownerKey, root)).status, 200);
    assert.equal((await del(s.id, ownerKey, root)).status, 204);
    assert.ok(await held(s.id), 'the unowned reference keeps it');
    // A peer (here the node's own key, the helper's default) still removes it.
    assert.equal((await rawRequest(shardUrl(s.id), { method: 'DELETE' })).status, 204);
    assert.equal(await held(s.id), false);
  });

  it('tokens that do not hold: another signer, a root not delegated by the owner, a bucket that does not exist', async () => {
    const s = makeShard(10_000);
    const audience = await put(s, generateKeyPair(), root);
    assert.equal(audience.status, 403);
    assert.equal(json(audience).code, 'DDC_TOKEN_AUDIENCE');
    const notOwner = await put(s, ownerKey, rootToken(bucket, ownerKey, chain.accounts[1]!));
    assert.equal(json(notOwner).code, 'DDC_TOKEN_NOT_OWNER');
    const missing = await put(s, ownerKey, rootToken(999_999));
    assert.equal(missing.status, 404);
    assert.equal(json(missing).code, 'DDC_NO_SUCH_BUCKET');
    assert.equal(await held(s.id), false, 'refused tokens store nothing');
  });

  it('the SDK signs shard PUTs with its identity and passes a token; a delete token of the bucket removes them', async () => {
    const user = generateKeyPair();
    const client = createClient({
      cluster: new StaticMembership({ version: 1, clusterId: 'c', k: 1, m: 0, nodes: [{ id: t.node.id, url: t.node.url, zone: 'a' }] }),
      identity: user,
    });
    try {
      assert.deepEqual(client.identity.publicKey, user.publicKey);
      const bytes = new Uint8Array(2_500_000).map((_, i) => (i * 7) & 0xff);
      const r = await client.put(bytes, { token: grant(root, user, ['put']) });
      const stat = await client.stat(r.cid);
      const ids = stat.pieces.flatMap((p) => p.shards.map((s) => s.shardId));
      assert.ok(ids.length >= 2);
      const deleter = grant(root, user, ['delete']);
      for (const id of ids) assert.equal((await del(id, user, deleter)).status, 204, `shard ${id}`);
      for (const id of ids) assert.equal(await held(id), false);
      // Without a token the node records no bucket reference: the bucket cannot delete those.
      const r2 = await client.put(bytes.subarray(0, 50_000));
      const id2 = (await client.stat(r2.cid)).pieces[0]!.shards[0]!.shardId;
      assert.equal(json(await del(id2, user, deleter)).code, 'DDC_TOKEN_WRONG_BUCKET');
    } finally {
      await client.close();
    }
  });

  it('a revoked token is refused within a few seconds, and so is every token delegated from it', async () => {
    const writer = generateKeyPair();
    const parent = grant(root, writer, ['put', 'delete']);
    const s = makeShard(10_000);
    assert.equal((await put(s, writer, parent)).status, 201);
    await revokeToken(owner, bucket, root.idHex);
    const revokedAt = Date.now();
    let r: RawResponse;
    for (;;) {
      r = await put(makeShard(1000), writer, parent);
      if (r.status !== 201 || Date.now() - revokedAt > 10_000) break;
      await sleep(100);
    }
    const took = Date.now() - revokedAt;
    assert.equal(json(r).code, 'DDC_TOKEN_REVOKED');
    assert.ok(took < 5000, `refused after ${took} ms`);
    assert.equal(json(await put(s, ownerKey, root)).code, 'DDC_TOKEN_REVOKED', 'the root itself');
    // The other bucket's tokens are untouched.
    assert.equal((await put(makeShard(1000), ownerKey, otherRoot)).status, 201);
  });
});
