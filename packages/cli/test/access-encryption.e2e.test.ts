/**
 * Client-side encryption on real nodes and a real dev chain: no 32-byte window of a private
 * object's plaintext is anywhere in any node's files (LMDB included), while the same bytes
 * put in the clear are found (the scan works); sharing with a second identity; unshare
 * revokes the token on the ledger, rotates the key and deletes the old ciphertext, and the
 * owner still reads; tampered, truncated and foreign ciphertext and wrong keys fail with
 * their codes; read-your-writes with a record replica stopped.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { recordReplicas } from '@ddc/client';
import {
  deriveUserKeys, encodePublicIdentity, generateMnemonic, isDdcError, issueRootToken, publicIdentityOf, signDelegation, tokenFromText, tokenToText,
  type UserKeys,
} from '@ddc/core';
import { startAccessCluster, type AccessEnv } from './access-helpers.js';

const MiB = 1024 * 1024;
/** Every 32-byte window of the plaintext holds this 8-byte marker (it repeats every 16 bytes). */
const MARKER = 'PLAINTXT';

let a: AccessEnv;

before(async () => {
  a = await startAccessCluster();
});

after(async () => {
  await a?.close();
});

/** MARKER + an 8-digit counter, repeated: any 32-byte window contains MARKER whole. */
function markerText(bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  const enc = new TextEncoder();
  for (let i = 0, n = 0; i < bytes; i += 16, n++) out.set(enc.encode(`${MARKER}${String(n).padStart(8, '0')}`).subarray(0, bytes - i), i);
  return out;
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isDdcError(e)) return e.code;
    throw e;
  }
  return 'resolved';
}

/** Files under `dir` (recursively) that contain `needle`. */
async function filesContaining(dir: string, needle: Buffer): Promise<string[]> {
  const hits: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath ?? entry.path, entry.name);
    if ((await stat(path)).size > 512 * MiB) throw new Error(`unexpectedly large file ${path}`);
    if ((await readFile(path)).includes(needle)) hits.push(path);
  }
  return hits;
}

function ownerToken(bucket: number, to: UserKeys, ops: ('get' | 'list')[]): string {
  const now = Math.floor(Date.now() / 1000);
  const delegation = signDelegation({ account: a.owner.evm.address, signingKey: a.owner.signing.publicKey, notBefore: now - 60, expiry: now + 3600, chainId: a.ledger.deployment.chainId }, a.owner.evm.privateKey);
  return tokenToText(issueRootToken({ signing: a.owner.signing, delegation, audience: to.signing.publicKey, bucket, ops, expiry: now + 3600 }));
}

test('no node file holds a window of a private object\'s plaintext; the same bytes in the clear are found', async () => {
  const id = await a.newBucket(false);
  const data = markerText(3 * MiB + 4321);
  const put = await a.client.bucket(id, { keys: a.owner, ledger: a.ledger }).put('big.bin', data);
  assert.equal(put.size, data.length);
  assert.deepEqual(await a.client.bucket(id, { keys: a.owner, ledger: a.ledger }).getBytes('big.bin'), data);
  const nodes = join(a.env.cluster.dir, 'nodes');
  assert.deepEqual(await filesContaining(nodes, Buffer.from(MARKER)), [], 'plaintext on disk');
  // Control: the scan finds the same bytes stored without encryption.
  const pub = await a.newBucket(true);
  await a.client.bucket(pub, { keys: a.owner, ledger: a.ledger }).put('clear.bin', data.subarray(0, 64 * 1024));
  assert.ok((await filesContaining(nodes, Buffer.from(MARKER))).length > 0, 'the scan finds plaintext when there is some');
});

test('share with a second identity; unshare revokes, rotates and deletes the old ciphertext; the owner still reads', async () => {
  const id = await a.newBucket(false);
  const owner = a.client.bucket(id, { keys: a.owner, ledger: a.ledger });
  const data = markerText(MiB + 999);
  const v1 = await owner.put('shared/doc', data);
  const reader = deriveUserKeys(generateMnemonic());
  const readerClient = a.clientFor(reader);

  const shared = await owner.share('shared/doc', encodePublicIdentity(publicIdentityOf(reader)), { expiresAt: Math.floor(Date.now() / 1000) + 600 });
  const asReader = readerClient.bucket(id, { keys: reader, token: shared.token });
  assert.deepEqual(await asReader.getBytes('shared/doc'), data);
  assert.deepEqual(await asReader.getBytes('shared/doc', { range: { offset: MiB - 10, length: 20 } }), data.subarray(MiB - 10, MiB + 10));
  assert.equal(await code(asReader.put('shared/doc', new Uint8Array(1))), 'DDC_TOKEN_OP_DENIED');
  const oldCid = (await owner.head('shared/doc')).cid!;
  assert.equal(oldCid, v1.cid, 'sharing adds a record version, not new content');

  const un = await owner.unshare('shared/doc', publicIdentityOf(reader), { revokeTokens: [shared.token] });
  assert.equal(un.revoked.length, 1);
  assert.ok(un.purged.includes(v1.version) && un.purged.includes(shared.version));
  assert.deepEqual(await owner.getBytes('shared/doc'), data, 'the owner reads the re-encrypted version');
  assert.notEqual((await owner.head('shared/doc')).cid, oldCid);
  // The revoked token is refused within a few seconds (nodes poll TokenRevoked).
  let refused = '';
  for (let i = 0; i < 50 && refused !== 'DDC_TOKEN_REVOKED'; i++) {
    refused = await code(asReader.head('shared/doc'));
    if (refused !== 'DDC_TOKEN_REVOKED') await sleep(100);
  }
  assert.equal(refused, 'DDC_TOKEN_REVOKED');
  // With a fresh, valid token the reader sees the new version but holds no key for it.
  const again = readerClient.bucket(id, { keys: reader, token: ownerToken(id, reader, ['get']) });
  assert.equal(await code(again.get('shared/doc')), 'DDC_NOT_A_READER');
  assert.equal(await code(again.get('shared/doc', { version: v1.version })), 'DDC_NO_SUCH_KEY', 'old versions are purged');
  // And the old ciphertext is gone from the nodes: its CID does not read.
  assert.notEqual(await code(readerClient.getBytes(oldCid)), 'resolved');
});

test('a JSON document on real nodes: one subtree shared, no value on any node disk, the grant gone after unshare', async () => {
  const id = await a.newBucket(false);
  const owner = a.client.bucket(id, { keys: a.owner, ledger: a.ledger });
  // A marker of its own: an earlier test stored MARKER in the clear on purpose.
  const secret = `JSONVALUE${Date.now()}`;
  const doc = { patient: `${secret}-name`, medical: { blood: `${secret}-blood` }, billing: { iban: `${secret}-iban` } };
  await owner.putJson('records/p1.json', doc);
  assert.deepEqual(await filesContaining(join(a.env.cluster.dir, 'nodes'), Buffer.from(secret)), [], 'a value on disk');
  const reader = deriveUserKeys(generateMnemonic());
  const shared = await owner.shareJsonField('records/p1.json', '/medical', encodePublicIdentity(publicIdentityOf(reader)), { expiresAt: Math.floor(Date.now() / 1000) + 600 });
  const asReader = a.clientFor(reader).bucket(id, { keys: reader, token: shared.token });
  const got = await asReader.getJson('records/p1.json');
  assert.deepEqual(got.opened, ['/medical']);
  assert.deepEqual((got.doc as typeof doc).medical, doc.medical);
  assert.ok(!JSON.stringify(got.doc).includes(`${secret}-iban`) && !JSON.stringify(got.doc).includes(`${secret}-name`), 'the rest stays sealed');
  await owner.unshare('records/p1.json', publicIdentityOf(reader));
  assert.equal(await code(asReader.getJson('records/p1.json')), 'DDC_NOT_A_READER');
  assert.deepEqual((await owner.getJson('records/p1.json')).doc, doc);
  // Control: the same kind of document in a public bucket is stored in the clear, and the scan finds it.
  const pub = await a.newBucket(true);
  await a.client.bucket(pub, { keys: a.owner, ledger: a.ledger }).putJson('clear.json', { v: `${secret}-control` });
  assert.ok((await filesContaining(join(a.env.cluster.dir, 'nodes'), Buffer.from(`${secret}-control`))).length > 0);
});

test('tampered, foreign and truncated ciphertext and wrong keys fail with their codes', async () => {
  const id = await a.newBucket(false);
  const owner = a.client.bucket(id, { keys: a.owner, ledger: a.ledger });
  const x = await owner.put('x', markerText(5000));
  const y = await owner.put('y', markerText(5000).reverse());
  const recX = await owner.head('x');
  // x's key and object id over y's ciphertext: the chunk tags do not verify.
  await owner.putRecord({ key: 'swapped', cid: y.cid, size: 5000, encryption: recX.encryption! });
  assert.equal(await code(owner.getBytes('swapped')), 'DDC_DECRYPT_FAILED');
  // Ciphertext that flips one byte (stored as its own content): same failure, no plaintext returned.
  const cipher = await a.client.getBytes(x.cid);
  cipher[100]! ^= 1;
  const flipped = await a.client.put(cipher, { token: tokenOf(owner) });
  await owner.putRecord({ key: 'flipped', cid: flipped.cid.toString(), size: 5000, encryption: recX.encryption! });
  assert.equal(await code(owner.getBytes('flipped')), 'DDC_DECRYPT_FAILED');
  // A record that promises more bytes than the ciphertext holds.
  await owner.putRecord({ key: 'long', cid: x.cid, size: 2 * MiB, encryption: { ...recX.encryption!, size: 2 * MiB } });
  assert.equal(await code(owner.getBytes('long')), 'DDC_CIPHERTEXT_TRUNCATED');
  // Wrong keys: no EDEK for this identity; an EDEK addressed to it that another key sealed.
  const stranger = deriveUserKeys(generateMnemonic());
  const asStranger = a.clientFor(stranger).bucket(id, { keys: stranger, token: ownerToken(id, stranger, ['get']) });
  assert.equal(await code(asStranger.get('x')), 'DDC_NOT_A_READER');
  const edek = recX.encryption!.edeks[0]!;
  await owner.putRecord({ key: 'misaddressed', cid: x.cid, size: 5000, encryption: { ...recX.encryption!, edeks: [{ ...edek, to: stranger.encryption.publicKey }] } });
  assert.equal(await code(asStranger.get('misaddressed')), 'DDC_EDEK_INVALID');
});

/** The handle's own token, for a raw client.put of test ciphertext into the bucket. */
function tokenOf(bucket: { token: string | undefined }) {
  assert.ok(bucket.token);
  return tokenFromText(bucket.token);
}

test('read-your-writes: v2 then v3 with one record replica stopped', async () => {
  const id = await a.newBucket(false);
  const owner = a.client.bucket(id, { keys: a.owner, ledger: a.ledger });
  await owner.put('ryw', new TextEncoder().encode('v1'));
  const v2 = await owner.put('ryw', new TextEncoder().encode('v2'));
  assert.equal(new TextDecoder().decode(await owner.getBytes('ryw')), 'v2');
  const replica = recordReplicas(a.env.cluster.descriptor(), id)[0]!;
  const dev = a.env.cluster.nodeByMemberId(replica.id)!;
  await a.env.cluster.stopNode(dev.id);
  try {
    assert.equal((await owner.head('ryw')).version, v2.version);
    const v3 = await owner.put('ryw', new TextEncoder().encode('v3'));
    const got = await owner.get('ryw');
    assert.equal(got.record.version, v3.version);
    assert.equal(new TextDecoder().decode(new Uint8Array(await new Response(got.body).arrayBuffer())), 'v3');
  } finally {
    await a.env.cluster.startNode(dev.id);
  }
});
