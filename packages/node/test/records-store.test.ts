// The record store on its own: ordering, newest-per-key, purges as tombstones, digests, reopen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPair, isDdcError, signRecord, type ObjectRecord, type RecordInput } from '@ddc/core';
import { RecordStore } from '../src/records/store.js';
import { tempDir } from './helpers.js';

const CID = 'bafkreial4c7i3iblm37smyvl2ez4rlelhn6thukckortauqu37vgetjzki';
const writer = generateKeyPair();
const token = new Uint8Array(40).fill(1);
let clock = 1_767_225_600_000;

function rec(bucket: number, key: string, extra: Partial<RecordInput> = {}): ObjectRecord {
  return signRecord({ bucket, key, cid: CID, size: 1, token, time: clock++, ...extra }, writer);
}

test('put is idempotent; get gives the newest non-purge record; versions lists all', async () => {
  const dir = await tempDir();
  const store = await RecordStore.open(dir.path);
  try {
    const v1 = rec(1, 'a');
    const v2 = rec(1, 'a');
    assert.equal(await store.put(v2), 'created');
    assert.equal(await store.put(v1), 'created');
    assert.equal(await store.put(v1), 'exists');
    assert.deepEqual(store.get(1, 'a')?.bytes, v2.bytes);
    assert.deepEqual(store.get(1, 'a', v1.version)?.bytes, v1.bytes);
    assert.equal(store.get(1, 'b'), undefined);
    assert.equal(store.get(2, 'a'), undefined);
    const del = rec(1, 'a', { cid: null, size: 0 });
    await store.put(del);
    assert.equal(store.get(1, 'a')?.cid, null, 'a delete marker is the answer');
    assert.deepEqual(store.versions(1, 'a').map((r) => r.version), [v1.version, v2.version, del.version]);
    // Keys that extend another key do not mix with its versions.
    await store.put(rec(1, 'a\u0001'));
    await store.put(rec(1, 'ab'));
    assert.equal(store.versions(1, 'a').length, 3);
    assert.equal(store.get(1, 'a')?.version, del.version);
  } finally {
    await store.close();
    await dir.remove();
  }
});

test('a purge removes its version for good and stays as a tombstone', async () => {
  const dir = await tempDir();
  let store = await RecordStore.open(dir.path);
  try {
    const v1 = rec(3, 'k');
    const v2 = rec(3, 'k');
    await store.put(v1);
    await store.put(v2);
    const purge = rec(3, 'k', { cid: null, size: 0, purges: v2.version });
    assert.equal(await store.put(purge), 'created');
    assert.equal(store.get(3, 'k', v2.version), undefined);
    assert.equal(store.get(3, 'k')?.version, v1.version, 'the purge is not the latest; the older version is');
    assert.equal(await store.put(v2), 'purged', 'sync cannot bring it back');
    assert.ok(store.knows(3, 'k', v2.version));
    assert.deepEqual(store.versions(3, 'k').map((r) => r.version), [v1.version, purge.version]);
    // A purge that arrives before the version it names.
    const v3 = rec(3, 'k');
    const early = rec(3, 'k', { cid: null, size: 0, purges: v3.version });
    await store.put(early);
    assert.equal(await store.put(v3), 'purged');
    // Durable across a reopen.
    await store.close();
    store = await RecordStore.open(dir.path);
    assert.equal(await store.put(v2), 'purged');
    assert.equal(store.get(3, 'k')?.version, v1.version);
  } finally {
    await store.close();
    await dir.remove();
  }
});

test('list: newest per key in UTF-8 order, delimiters, pages; digest pages; buckets', async () => {
  const dir = await tempDir();
  const store = await RecordStore.open(dir.path);
  try {
    const keys = ['b/2', 'a', 'b/1', '\uffff', '\u{1F431}', 'c', 'b0'];
    for (const k of keys) await store.put(rec(9, k));
    await store.put(rec(9, 'c', { cid: null, size: 0 }));
    await store.put(rec(8, 'other'));
    await store.put(rec(10, 'other'));
    const all = store.list(9, { limit: 100 });
    assert.deepEqual(all.entries.map((r) => r.key), ['a', 'b/1', 'b/2', 'b0', 'c', '\uffff', '\u{1F431}']);
    assert.equal(all.entries.find((r) => r.key === 'c')?.cid, null, 'delete markers are listed');
    const grouped = store.list(9, { delimiter: '/', limit: 100 });
    assert.deepEqual(grouped.commonPrefixes, ['b/']);
    assert.deepEqual(grouped.entries.map((r) => r.key), ['a', 'b0', 'c', '\uffff', '\u{1F431}']);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page = store.list(9, { delimiter: '/', limit: 2, after });
      seen.push(...page.entries.map((r) => r.key), ...page.commonPrefixes);
      if (!page.truncated) break;
      after = page.nextToken;
    }
    assert.deepEqual(seen.sort(), ['a', 'b/', 'b0', 'c', '\uffff', '\u{1F431}'].sort());
    assert.deepEqual(store.list(9, { prefix: 'b/', limit: 100 }).entries.map((r) => r.key), ['b/1', 'b/2']);

    const pairs: Array<[string, string]> = [];
    let cursor: string | undefined;
    for (;;) {
      const d = store.digest(9, cursor, 3);
      pairs.push(...d.entries);
      if (d.next === null) break;
      cursor = d.next;
    }
    assert.equal(pairs.length, keys.length + 1);
    assert.equal(new Set(pairs.map((p) => p.join('|'))).size, pairs.length);
    assert.deepEqual(store.buckets(), [8, 9, 10]);
    assert.deepEqual(store.stats(), { buckets: 3, records: keys.length + 3 });
  } finally {
    await store.close();
    await dir.remove();
  }
});

test('a records folder of another format is refused', async () => {
  const dir = await tempDir();
  try {
    const store = await RecordStore.open(dir.path);
    await store.close();
    await writeFile(join(dir.path, 'records', 'FORMAT'), '{"format":"ddc-records","version":2}\n');
    await assert.rejects(RecordStore.open(dir.path), (e: unknown) => isDdcError(e, 'DDC_STORE_VERSION'));
  } finally {
    await dir.remove();
  }
});
