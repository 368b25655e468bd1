/**
 * S3 semantics of the SDK's buckets on real nodes and a real dev chain: listing with prefix,
 * delimiter and pagination (stable and complete), versions, delete markers, purges that
 * delete an encrypted version's shards, copy, and a public bucket read without keys.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from '@ddc/client';
import { generateKeyPair, isDdcError } from '@ddc/core';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startAccessCluster, type AccessEnv } from './access-helpers.js';
import { repairUntilQuiet } from './maintenance-helpers.js';

let a: AccessEnv;

before(async () => {
  a = await startAccessCluster();
});

after(async () => {
  await a?.close();
});

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isDdcError(e)) return e.code;
    throw e;
  }
  return 'resolved';
}

const text = (s: string) => new TextEncoder().encode(s);

test('list: prefix, delimiter and pages of 7 over 25 keys, in key order, each key once', async () => {
  const id = await a.newBucket(false);
  const bucket = a.client.bucket(id, { keys: a.owner, ledger: a.ledger });
  const keys = Array.from({ length: 25 }, (_, i) => `logs/${String(i).padStart(2, '0')}.txt`);
  // Written out of order, a few at a time.
  const shuffled = [...keys].sort((x, y) => (x.charCodeAt(6) * 7 + x.charCodeAt(5)) % 5 - (y.charCodeAt(6) * 7 + y.charCodeAt(5)) % 5);
  for (let i = 0; i < shuffled.length; i += 5) await Promise.all(shuffled.slice(i, i + 5).map((k) => bucket.put(k, text(k))));
  await bucket.put('readme.md', text('hi'));
  await bucket.put('img/a/1.png', text('1'));
  await bucket.put('img/b.png', text('2'));

  const seen: string[] = [];
  let token: string | null = null;
  let pages = 0;
  do {
    const page = await bucket.list({ prefix: 'logs/', maxKeys: 7, continuationToken: token });
    assert.ok(page.objects.length <= 7 && page.objects.length > 0, `page ${pages} has ${page.objects.length}`);
    for (const o of page.objects) assert.equal(o.size, o.key.length, 'size is the plaintext size');
    seen.push(...page.objects.map((o) => o.key));
    token = page.nextContinuationToken;
    assert.equal(page.isTruncated, token !== null);
    pages++;
  } while (token !== null);
  assert.deepEqual(seen, keys);
  assert.equal(pages, 4);

  const top = await bucket.list({ delimiter: '/' });
  assert.deepEqual(top.commonPrefixes, ['img/', 'logs/']);
  assert.deepEqual(top.objects.map((o) => o.key), ['readme.md']);
  const img = await bucket.list({ prefix: 'img/', delimiter: '/' });
  assert.deepEqual(img.commonPrefixes, ['img/a/']);
  assert.deepEqual(img.objects.map((o) => o.key), ['img/b.png']);
  const mixed = await bucket.list({ delimiter: '/', maxKeys: 2 });
  assert.deepEqual([...mixed.commonPrefixes, ...mixed.objects.map((o) => o.key)], ['img/', 'logs/']);
  const rest = await bucket.list({ delimiter: '/', maxKeys: 2, continuationToken: mixed.nextContinuationToken });
  assert.deepEqual(rest.objects.map((o) => o.key), ['readme.md']);
  assert.equal(rest.isTruncated, false);
});

test('versions, delete markers, deleteVersion (shards of an encrypted version go), copy', async () => {
  const id = await a.newBucket(false);
  const bucket = a.client.bucket(id, { keys: a.owner, ledger: a.ledger });
  const v1 = await bucket.put('doc', text('one'));
  const v2 = await bucket.put('doc', text('two'));
  assert.equal(new TextDecoder().decode(await bucket.getBytes('doc')), 'two');
  assert.equal(new TextDecoder().decode(await bucket.getBytes('doc', { version: v1.version })), 'one');
  assert.ok((await bucket.head('doc')).encryption, 'a private bucket encrypts by default');

  const marker = await bucket.delete('doc');
  assert.equal(await code(bucket.get('doc')), 'DDC_NO_SUCH_KEY');
  assert.deepEqual((await bucket.list()).objects, []);
  const versions = await bucket.versions('doc');
  assert.deepEqual(versions.map((v) => v.version), [marker.version, v2.version, v1.version]);
  assert.equal(versions[0]!.cid, null);

  // Purge the marker: v2 is back.
  await bucket.deleteVersion('doc', marker.version);
  assert.equal(new TextDecoder().decode(await bucket.getBytes('doc')), 'two');
  assert.deepEqual((await bucket.list()).objects.map((o) => [o.key, o.version]), [['doc', v2.version]], 'a listing sees the purge at once too');
  // Purge v2: its shards are deleted, v1 is current, v2's CID no longer reads.
  const r = await bucket.deleteVersion('doc', v2.version);
  assert.ok(r.shards && r.shards.deleted >= 3 && r.shards.failed === 0, JSON.stringify(r.shards));
  assert.equal(new TextDecoder().decode(await bucket.getBytes('doc')), 'one');
  assert.equal(await code(bucket.get('doc', { version: v2.version })), 'DDC_NO_SUCH_KEY');
  assert.notEqual(await code(a.client.getBytes(v2.cid)), 'resolved');
  assert.deepEqual((await bucket.versions('doc')).map((v) => v.version), [v1.version]);

  // Copy shares the content; purging the source keeps it for the copy.
  const c = await bucket.copy('doc', 'doc-copy');
  assert.equal(c.cid, v1.cid);
  const kept = await bucket.deleteVersion('doc', v1.version);
  assert.equal(kept.shards, null, 'the copy still names the CID');
  assert.equal(new TextDecoder().decode(await bucket.getBytes('doc-copy')), 'one');
});

test('a public bucket: plaintext by default, readable by anyone without keys; a private one is not', async () => {
  const pub = await a.newBucket(true);
  const priv = await a.newBucket(false);
  await a.client.bucket(pub, { keys: a.owner, ledger: a.ledger }).put('hello.txt', text('hello world'), { contentType: 'text/plain' });
  await a.client.bucket(priv, { keys: a.owner, ledger: a.ledger }).put('secret.txt', text('secret'));
  const stranger = createClient({ cluster: a.env.cluster.descriptor(), identity: generateKeyPair() });
  try {
    const anon = stranger.bucket(pub);
    const head = await anon.head('hello.txt');
    assert.equal(head.encryption, null);
    assert.equal(head.contentType, 'text/plain');
    assert.equal(new TextDecoder().decode(await anon.getBytes('hello.txt')), 'hello world');
    assert.deepEqual((await anon.list()).objects.map((o) => o.key), ['hello.txt']);
    assert.equal(await code(anon.put('x', text('x'))), 'DDC_TOKEN_REQUIRED');
    assert.equal(await code(stranger.bucket(priv).get('secret.txt')), 'DDC_UNAUTHENTICATED');
    assert.equal(await code(stranger.bucket(priv).list()), 'DDC_UNAUTHENTICATED');
  } finally {
    await stranger.close();
  }
});

// Last in this file: it wipes a node.
test('a shard rebuilt by repair keeps its bucket reference, so deleteVersion removes it too', async () => {
  const id = await a.newBucket(false);
  const bucket = a.client.bucket(id, { keys: a.owner, ledger: a.ledger });
  const data = new Uint8Array(2 * 1024 * 1024 + 5).map((_, i) => (i * 7) & 0xff);
  const keep = await bucket.put('other', text('the bucket keeps another object'));
  const put = await bucket.put('big', data);
  const pieces = (await a.client.stat(put.cid)).pieces.map((p) => p.cid);
  const cluster = a.env.cluster;
  const holders = async (): Promise<string[]> => {
    const out: string[] = [];
    for (const n of cluster.nodes.values()) {
      if (!n.process) continue;
      for (const cid of pieces) {
        const res = await fetch(`${n.url}/v1/pieces/${cid}`);
        const held = res.ok ? ((await res.json()) as { shards: unknown[] }).shards.length : 0;
        if (held > 0) out.push(`${n.id}:${cid}`);
      }
    }
    return out;
  };
  // A node holding shards of the object loses its piece store and its shard references (it keeps
  // its identity and records); repair rebuilds the shards from their siblings.
  const victim = (await holders())[0]!.split(':')[0]!;
  await cluster.stopNode(victim, 'SIGKILL');
  for (const part of ['shards', 'index', 'auth']) await rm(join(cluster.dir, 'nodes', victim, 'data', part), { recursive: true, force: true });
  await cluster.startNode(victim);
  await repairUntilQuiet(cluster);
  assert.ok((await holders()).some((h) => h.startsWith(`${victim}:`)), 'repair gave the wiped node its shards back');
  assert.deepEqual(await bucket.getBytes('big'), data);

  const r = await bucket.deleteVersion('big', put.version);
  assert.ok(r.shards && r.shards.failed === 0, JSON.stringify(r.shards));
  assert.deepEqual(await holders(), [], 'no node keeps a shard of the deleted version, rebuilt ones included');
  assert.equal(new TextDecoder().decode(await bucket.getBytes('other', { version: keep.version })), 'the bucket keeps another object');
});
