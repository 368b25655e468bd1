/**
 * The bucket API over an in-process fake cluster (objects-fake-cluster.ts): encryption on
 * the way out and in (no plaintext in any shard, ranged reads), record quorums and read
 * repair, S3 listing, versions, delete markers, purges, copy, sharing and unsharing, groups,
 * and the typed errors. The same flows run against real nodes in packages/cli/test/access-*.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEV_MNEMONIC, PLAIN_CHUNK, deriveUserKeys, encodePublicIdentity, generateMnemonic, isDdcError, publicIdentityOf, signRecord, tokenFromText,
  type ObjectRecord,
} from '@ddc/core';
import { DdcClient } from '../src/client.js';
import { BucketHandle } from '../src/objects/bucket.js';
import { recordReplicas } from '../src/objects/replicas.js';
import { toChunks } from '../src/sources.js';
import { parseClusterDescriptor } from '@ddc/core';
import { CHAIN_ID, FakeCluster } from './objects-fake-cluster.js';

const owner = deriveUserKeys(DEV_MNEMONIC);
const reader = deriveUserKeys(generateMnemonic());
const stranger = deriveUserKeys(generateMnemonic());
const BUCKET = 7;
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

function setup(o: { nodes?: number; public?: boolean } = {}) {
  const cluster = new FakeCluster(o.nodes ?? 5, owner.evm.address, new Set(o.public ? [BUCKET] : []));
  const client = new DdcClient({ cluster: cluster.descriptor(), transport: cluster.transport(), identity: owner.signing, retry: { attempts: 1 }, hedgeAfterMs: 50 });
  const open = (opts: ConstructorParameters<typeof BucketHandle>[2], c: DdcClient = client) =>
    new BucketHandle(c, BUCKET, { chainId: CHAIN_ID, isPublic: o.public ?? false, ...opts }, { openSource: (s) => toChunks(s), fetch: cluster.fetch });
  const replicas = recordReplicas(parseClusterDescriptor(cluster.descriptor()), BUCKET).map((r) => cluster.nodes.find((n) => n.id === r.id)!);
  return { cluster, client, open, bucket: open({ keys: owner }), replicas };
}

/** Bytes with a recognisable marker pattern, never repeating within 32 bytes. */
function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + (i >> 8) * 7 + 0x41) & 0xff;
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

function containsWindow(hay: Uint8Array, needles: Set<string>, w: number): boolean {
  for (let i = 0; i + w <= hay.length; i++) if (needles.has(Buffer.from(hay.subarray(i, i + w)).toString('latin1'))) return true;
  return false;
}

test('an encrypted object round-trips, whole and in ranges, and no shard holds a plaintext window', async () => {
  const { bucket, cluster } = setup();
  const data = pattern(2 * PLAIN_CHUNK + 12345);
  const put = await bucket.put('docs/a.bin', data, { contentType: 'application/x-test', metadata: { owner: 'dev' } });
  assert.equal(put.size, data.length);
  assert.deepEqual(await bucket.getBytes('docs/a.bin'), data);
  for (const [offset, length] of [[0, 10], [PLAIN_CHUNK - 5, 10], [PLAIN_CHUNK * 2, 12345], [17, 0], [data.length - 1, 1]] as const) {
    assert.deepEqual(await bucket.getBytes('docs/a.bin', { range: { offset, length } }), data.subarray(offset, offset + length), `range ${offset}+${length}`);
  }
  const head = await bucket.head('docs/a.bin');
  assert.equal(head.contentType, 'application/x-test');
  assert.deepEqual(head.metadata, { owner: 'dev' });
  assert.ok(head.encryption && head.encryption.edeks.length === 1);
  // Every 32-byte window of the first 64 KiB of plaintext, searched in every stored shard.
  const windows = new Set<string>();
  for (let i = 0; i + 32 <= 65536; i += 1) windows.add(Buffer.from(data.subarray(i, i + 32)).toString('latin1'));
  for (const n of cluster.nodes) for (const shard of n.shards.values()) assert.equal(containsWindow(shard, windows, 32), false, `plaintext in a shard on ${n.id}`);
  assert.equal(await code(bucket.get('docs/a.bin', { range: { offset: data.length + 1 } })), 'DDC_INVALID_RANGE');
});

test('records: write quorum 2 of 3, read-your-writes with a replica down, read repair, a forged answer ignored', async () => {
  const { bucket, replicas } = setup();
  await bucket.put('k', new Uint8Array([1]), { encrypt: false });
  const [a, b, c] = replicas as [typeof replicas[0], typeof replicas[0], typeof replicas[0]];
  c.down = true;
  const v2 = await bucket.put('k', new Uint8Array([2]), { encrypt: false });
  c.down = false;
  a.down = true;
  assert.deepEqual(await bucket.getBytes('k'), new Uint8Array([2]), 'the replica that missed v2 is outvoted');
  assert.equal((await bucket.head('k')).version, v2.version);
  // Read repair: c lacked v2 and gets it in the background.
  for (let i = 0; i < 50 && !c.records.get('k')?.has(v2.version); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(c.records.get('k')?.has(v2.version), 'read repair wrote v2 back to the lagging replica');
  a.down = false;
  // b answers with a forged newer record (signed by a stranger with the owner's token bytes): dropped, c and a decide.
  const forged = signRecord({ bucket: BUCKET, key: 'k', cid: (await bucket.head('k')).cid, token: new Uint8Array([1, 2, 3]) }, stranger.signing);
  b.records.get('k')!.set(forged.version, { ...forged, bytes: Uint8Array.from([...forged.bytes.subarray(0, -1), forged.bytes.at(-1)! ^ 1]) } as ObjectRecord);
  assert.equal((await bucket.head('k')).version, v2.version);
  // Two replicas down: no quorum, nothing half-written is reported as written.
  b.down = true;
  c.down = true;
  assert.equal(await code(bucket.delete('k')), 'DDC_RECORD_QUORUM');
  assert.equal(await code(bucket.head('k')), 'DDC_RECORD_QUORUM');
});

test('S3 semantics: paginated listing in key order, delimiter, delete markers, versions, purge, copy', async () => {
  const { bucket, cluster, open } = setup();
  const keys = Array.from({ length: 25 }, (_, i) => `logs/${String(i).padStart(2, '0')}.txt`);
  for (const k of keys) await bucket.put(k, new TextEncoder().encode(k), { encrypt: false });
  await bucket.put('top.txt', new Uint8Array([9]), { encrypt: false });
  await bucket.put('img/a.png', new Uint8Array([8]), { encrypt: false });
  const seen: string[] = [];
  let token: string | null = null;
  let pages = 0;
  do {
    const page = await bucket.list({ prefix: 'logs/', maxKeys: 7, continuationToken: token });
    assert.ok(page.objects.length <= 7);
    seen.push(...page.objects.map((o) => o.key));
    token = page.nextContinuationToken;
    assert.equal(page.isTruncated, token !== null);
    pages++;
  } while (token);
  assert.deepEqual(seen, keys);
  assert.equal(pages, 4);
  const root = await bucket.list({ delimiter: '/' });
  assert.deepEqual(root.commonPrefixes, ['img/', 'logs/']);
  assert.deepEqual(root.objects.map((o) => o.key), ['top.txt']);

  // Versions and delete markers.
  const v1 = (await bucket.head('top.txt')).version;
  const v2 = await bucket.put('top.txt', new Uint8Array([10]), { encrypt: false });
  await bucket.delete('top.txt');
  assert.equal(await code(bucket.get('top.txt')), 'DDC_NO_SUCH_KEY');
  assert.deepEqual((await bucket.list({ delimiter: '/' })).objects, []);
  const versions = await bucket.versions('top.txt');
  assert.equal(versions.length, 3);
  assert.equal(versions[0]!.cid, null, 'the delete marker is the newest version');
  assert.deepEqual(await bucket.getBytes('top.txt', { version: v1 }), new Uint8Array([9]));

  // Purge the marker: v2 is current again; purge v2: v1 is.
  const purge = await bucket.deleteVersion('top.txt', versions[0]!.version);
  assert.equal(purge.shards, null);
  assert.deepEqual(await bucket.getBytes('top.txt'), new Uint8Array([10]));
  await bucket.deleteVersion('top.txt', v2.version);
  assert.deepEqual(await bucket.getBytes('top.txt'), new Uint8Array([9]));
  assert.equal(await code(bucket.get('top.txt', { version: v2.version })), 'DDC_NO_SUCH_KEY');
  assert.equal(await code(bucket.deleteVersion('top.txt', v2.version)), 'DDC_NO_SUCH_KEY');

  // Copy: a new key, same content and encryption; a reader of the source reads the copy.
  const secret = pattern(5000);
  await bucket.put('enc/src', secret, { readers: [encodePublicIdentity(publicIdentityOf(reader))] });
  const copied = await bucket.copy('enc/src', 'enc/dst');
  assert.equal(copied.cid, (await bucket.head('enc/src')).cid);
  assert.deepEqual(await bucket.getBytes('enc/dst'), secret);
  // Purging the source keeps the shards the copy needs.
  const purged = await bucket.deleteVersion('enc/src', (await bucket.head('enc/src')).version);
  assert.equal(purged.shards, null, 'the copy shares the CID: no shard deleted');
  assert.deepEqual(await bucket.getBytes('enc/dst'), secret);
  // Without the copy, an encrypted version's shards go with it.
  const lone = await bucket.put('enc/lone', pattern(3000));
  const before = cluster.nodes.reduce((s, n) => s + n.shards.size, 0);
  const r = await bucket.deleteVersion('enc/lone', lone.version);
  assert.ok(r.shards && r.shards.deleted > 0 && r.shards.failed === 0);
  assert.equal(cluster.nodes.reduce((s, n) => s + n.shards.size, 0), before - r.shards.deleted);
  assert.notEqual(await code(bucket['client'].getBytes(lone.cid)), 'resolved', 'its CID no longer reads');
  // A handle without keys or token cannot write.
  assert.equal(await code(open({}).put('x', new Uint8Array(1))), 'DDC_TOKEN_REQUIRED');
});

test('a public bucket reads without keys; its objects are not encrypted by default', async () => {
  const { bucket, open } = setup({ public: true });
  await bucket.put('p.txt', new TextEncoder().encode('hello'));
  const anon = open({});
  assert.equal((await anon.head('p.txt')).encryption, null);
  assert.equal(new TextDecoder().decode(await anon.getBytes('p.txt')), 'hello');
  assert.deepEqual((await anon.list()).objects.map((o) => o.key), ['p.txt']);
});

test('sharing: a reader reads with its token and keys; after unshare it cannot, the owner can, the old CID is gone', async () => {
  const { bucket, open, cluster } = setup();
  const data = pattern(PLAIN_CHUNK + 100);
  const v1 = await bucket.put('s/doc', data);
  const readerId = publicIdentityOf(reader);
  const shared = await bucket.share('s/doc', encodePublicIdentity(readerId), { expiresAt: inAnHour() });
  const t = tokenFromText(shared.token);
  assert.deepEqual([t.ops, t.prefix, t.bucket], [['get'], 's/doc', BUCKET]);
  const readerClient = new DdcClient({ cluster: cluster.descriptor(), transport: cluster.transport(), identity: reader.signing });
  const asReader = open({ keys: reader, token: shared.token }, readerClient);
  assert.deepEqual(await asReader.getBytes('s/doc'), data);
  assert.equal(await code(asReader.getBytes('s/doc', { version: v1.version })), 'DDC_NOT_A_READER', 'the version before the share has no EDEK for the reader');
  assert.equal(await code(asReader.list()), 'DDC_TOKEN_OP_DENIED');
  assert.equal(await code(asReader.put('s/doc', new Uint8Array(1))), 'DDC_TOKEN_OP_DENIED');
  // A third identity with the reader's token: the token is not for its key.
  assert.throws(() => open({ keys: stranger, token: shared.token }), (e: unknown) => isDdcError(e, 'DDC_TOKEN_AUDIENCE'));

  const un = await bucket.unshare('s/doc', readerId);
  assert.ok(un.purged.includes(v1.version) && un.purged.includes(shared.version));
  assert.equal(await code(asReader.getBytes('s/doc')), 'DDC_NOT_A_READER');
  assert.deepEqual(await bucket.getBytes('s/doc'), data, 'the owner reads the re-encrypted version');
  assert.notEqual((await bucket.head('s/doc')).cid, v1.cid, 'a new data key means new ciphertext');
  assert.notEqual(await code(readerClient.getBytes(v1.cid)), 'resolved', 'the old ciphertext is deleted');
  assert.equal((await bucket.versions('s/doc')).length, 1);
});

test('group sharing: any 2 of 3 members rebuild the key, 1 cannot', async () => {
  const { bucket, open, cluster } = setup();
  const members = [owner, reader, stranger];
  const data = pattern(4096);
  await bucket.put('g', data);
  await bucket.shareWithGroup('g', members.map((m) => publicIdentityOf(m)), 2);
  const readerClient = new DdcClient({ cluster: cluster.descriptor(), transport: cluster.transport(), identity: reader.signing });
  const token = bucket['creds'].issue(reader.signing.publicKey, { ops: ['get'], prefix: 'g', expiry: inAnHour() });
  const asReader = open({ keys: reader, token }, readerClient);
  assert.equal(await code(asReader.get('g')), 'DDC_NOT_A_READER', 'a member alone is not a reader');
  const own = await bucket.openGroupShare('g');
  const readerShare = await asReader.openGroupShare('g');
  assert.deepEqual(await asReader.getBytes('g', { groupShares: [readerShare, own] }), data);
  assert.deepEqual(await bucket.getBytes('g', { groupShares: [own, readerShare] }), data);
  assert.equal(await code(bucket.getBytes('g', { groupShares: [readerShare] })), 'DDC_GROUP_THRESHOLD');
});

test('typed errors: no such key, not a reader, tampered and truncated ciphertext', async () => {
  const { bucket, open, cluster } = setup();
  assert.equal(await code(bucket.get('nope')), 'DDC_NO_SUCH_KEY');
  const a = await bucket.put('a', pattern(3000));
  const b = await bucket.put('b', pattern(2000));
  const strangerClient = new DdcClient({ cluster: cluster.descriptor(), transport: cluster.transport(), identity: stranger.signing });
  const token = bucket['creds'].issue(stranger.signing.publicKey, { ops: ['get'], prefix: '', expiry: inAnHour() });
  const asStranger = open({ keys: stranger, token }, strangerClient);
  assert.equal(await code(asStranger.get('a')), 'DDC_NOT_A_READER');
  // A record naming a's encryption with b's ciphertext: the tags do not verify.
  const recA = await bucket.head('a');
  await bucket.putRecord({ key: 'swapped', cid: b.cid, size: 2000, encryption: { ...recA.encryption!, size: 2000 } });
  assert.equal(await code(bucket.getBytes('swapped')), 'DDC_DECRYPT_FAILED');
  // A record that claims more bytes than the ciphertext holds.
  await bucket.putRecord({ key: 'long', cid: a.cid, size: 3000 + PLAIN_CHUNK, encryption: { ...recA.encryption!, size: 3000 + PLAIN_CHUNK } });
  assert.equal(await code(bucket.getBytes('long')), 'DDC_CIPHERTEXT_TRUNCATED');
});

test('JSON field sharing: a reader given /medical opens that subtree only; shards hold no value in plain text', async () => {
  const { bucket, open, cluster } = setup();
  const doc = { name: 'Ada Quintessa Lovelace', medical: { blood: 'O-negative-rare', notes: ['allergic to penicillinase'] }, address: { city: 'Montevideo-Sur' } };
  await bucket.putJson('p/ada.json', doc);
  assert.deepEqual((await bucket.getJson('p/ada.json')).doc, doc, 'the owner opens all of it');
  assert.equal(await code(bucket.get('p/ada.json')), 'DDC_INVALID_ARGUMENT', 'a byte read points to getJson');
  const secrets = ['Ada Quintessa', 'O-negative-rare', 'penicillinase', 'Montevideo-Sur'];
  for (const n of cluster.nodes) {
    for (const shard of n.shards.values()) {
      const text = Buffer.from(shard).toString('latin1');
      for (const s of secrets) assert.ok(!text.includes(s), `${s} in plain text on ${n.id}`);
    }
  }

  const shared = await bucket.shareJsonField('p/ada.json', '/medical', encodePublicIdentity(publicIdentityOf(reader)), { expiresAt: inAnHour() });
  const readerClient = new DdcClient({ cluster: cluster.descriptor(), transport: cluster.transport(), identity: reader.signing });
  const asReader = open({ keys: reader, token: shared.token }, readerClient);
  const got = await asReader.getJson('p/ada.json');
  assert.deepEqual(got.opened, ['/medical']);
  const seen = got.doc as Record<string, unknown>;
  assert.deepEqual(seen.medical, doc.medical);
  assert.ok(typeof seen.name === 'object' && seen.name !== null && '$ddcenc' in seen.name, 'the name stays sealed');
  assert.ok(!JSON.stringify(seen).includes('Montevideo'), 'the address stays sealed');
  assert.equal(await code(asReader.getJson('p/ada.json', { version: (await bucket.versions('p/ada.json')).at(-1)!.version })), 'DDC_NOT_A_READER', 'the version before the grant has none');
  // Sharing the whole document gives a data key: all of it opens.
  const whole = await bucket.share('p/ada.json', encodePublicIdentity(publicIdentityOf(stranger)), { expiresAt: inAnHour() });
  const asStranger = open({ keys: stranger, token: whole.token }, new DdcClient({ cluster: cluster.descriptor(), transport: cluster.transport(), identity: stranger.signing }));
  const all = await asStranger.getJson('p/ada.json');
  assert.deepEqual([all.opened, all.doc], [[''], doc]);
  // The reader's grant survives the later version.
  assert.deepEqual(((await asReader.getJson('p/ada.json')).doc as Record<string, unknown>).medical, doc.medical);
  // Unsharing the reader: a new data key, the stranger's access carried over, the reader's grant gone, the old bytes deleted.
  const before = (await bucket.head('p/ada.json')).cid!;
  await bucket.unshare('p/ada.json', publicIdentityOf(reader));
  assert.equal(await code(asReader.getJson('p/ada.json')), 'DDC_NOT_A_READER');
  assert.deepEqual((await asStranger.getJson('p/ada.json')).doc, doc);
  assert.deepEqual((await bucket.getJson('p/ada.json')).doc, doc);
  assert.notEqual(await code(readerClient.getBytes(before)), 'resolved', 'the old sealed document is deleted');
});
