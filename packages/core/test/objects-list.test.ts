// S3-style listing: pages against a brute-force model, and merging replica pages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareKeys, listPage, mergeListings, textEncoder, type ListOptions, type ListPage } from '../src/index.js';

interface Rec {
  key: string;
  version: string;
  cid: string | null;
  bytes: Uint8Array;
}

// Distinct records have distinct bytes (a real record's bytes cover its cid), so equal versions still have one winner.
const rec = (key: string, version = '0', live = true): Rec => ({ key, version, cid: live ? 'c' : null, bytes: textEncoder.encode(`${key}/${version}/${live ? 'c' : '-'}`) });
const byKey = (a: { key: string }, b: { key: string }) => compareKeys(a.key, b.key);

function bytesCompare(a: string, b: string): number {
  const x = textEncoder.encode(a);
  const y = textEncoder.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** What a full listing shows, by definition: each live key under the prefix, or its common prefix, once, in order. */
function model(records: readonly Rec[], prefix: string, delimiter: string, includeDeleted: boolean): string[] {
  const out = new Set<string>();
  for (const r of records) {
    if (!r.key.startsWith(prefix)) continue;
    const at = delimiter === '' ? -1 : r.key.indexOf(delimiter, prefix.length);
    if (at >= 0) {
      if (r.cid !== null) out.add(`P:${r.key.slice(0, at + delimiter.length)}`);
    } else if (r.cid !== null || includeDeleted) out.add(`K:${r.key}`);
  }
  return [...out].sort((a, b) => compareKeys(a.slice(2), b.slice(2)));
}

function items(page: ListPage<Rec>): string[] {
  return [...page.entries.map((r) => `K:${r.key}`), ...page.commonPrefixes.map((p) => `P:${p}`)].sort((a, b) => compareKeys(a.slice(2), b.slice(2)));
}

/** Pages through a listing with `list`, checking each page's contract; returns every item in order. */
function walk(list: (after: string | null) => ListPage<Rec>, maxKeys: number, merged = false): string[] {
  const all: string[] = [];
  let after: string | null = null;
  for (let guard = 0; guard < 10_000; guard++) {
    const page = list(after);
    const got = items(page);
    assert.ok(got.length <= maxKeys);
    all.push(...got);
    if (!page.truncated) {
      assert.equal(page.nextToken, null);
      return all;
    }
    if (merged) {
      // A merged page may lose its last items to delete markers: the token is at or past them.
      assert.ok(page.nextToken !== null && (got.length === 0 || compareKeys(page.nextToken, got[got.length - 1]!.slice(2)) >= 0));
    } else {
      assert.ok(got.length > 0, 'a truncated page is never empty');
      assert.equal(page.nextToken, got[got.length - 1]!.slice(2));
    }
    after = page.nextToken;
  }
  throw new Error('listing did not end');
}

const keyChar = fc.constantFrom('a', 'b', '/', '-', 'é', '\uffff', '\u{1F431}', '.', 'z');
const keyArb = fc.array(keyChar, { minLength: 1, maxLength: 6 }).map((cs) => cs.join(''));
const recordsArb = fc.uniqueArray(fc.record({ key: keyArb, live: fc.boolean() }), { selector: (r) => r.key, maxLength: 40 })
  .map((rs) => rs.map((r) => rec(r.key, '0', r.live)).sort(byKey));
const optsArb = fc.record({
  prefix: fc.oneof(fc.constant(''), fc.array(keyChar, { maxLength: 2 }).map((c) => c.join(''))),
  delimiter: fc.constantFrom('', '/', '-', 'é/'),
  maxKeys: fc.integer({ min: 1, max: 7 }),
  includeDeleted: fc.boolean(),
});

test('compareKeys is UTF-8 byte order', () => {
  fc.assert(fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
    assert.equal(Math.sign(compareKeys(a, b)), Math.sign(bytesCompare(a, b)));
  }), { numRuns: 3000 });
  assert.ok(compareKeys('\uffff', '\u{1F431}') < 0); // UTF-16 order says the opposite
});

test('paging yields every key or common prefix exactly once, in order (model)', () => {
  fc.assert(
    fc.property(recordsArb, optsArb, (records, o) => {
      const expected = model(records, o.prefix, o.delimiter, o.includeDeleted);
      const got = walk((after) => listPage(records, { ...o, after }), o.maxKeys);
      assert.deepEqual(got, expected);
      // One page with room for everything equals the model too.
      const whole = listPage(records, { ...o, maxKeys: 1000 });
      assert.equal(whole.truncated, false);
      assert.deepEqual(items(whole), expected);
    }),
    { numRuns: 1500 },
  );
});

test('after: starts strictly after a key, and after every key of a common prefix', () => {
  const records = ['a', 'b/1', 'b/2', 'b0', 'c'].map((k) => rec(k));
  const o: ListOptions = { delimiter: '/' };
  assert.deepEqual(items(listPage(records, { ...o, after: 'a' })), ['P:b/', 'K:b0', 'K:c']);
  assert.deepEqual(items(listPage(records, { ...o, after: 'b/' })), ['K:b0', 'K:c']);
  assert.deepEqual(items(listPage(records, { ...o, after: 'b/1' })), ['K:b0', 'K:c']);
  assert.deepEqual(items(listPage(records, { after: 'b/1' })), ['K:b/2', 'K:b0', 'K:c']);
  assert.deepEqual(items(listPage(records, { prefix: 'b', after: 'zz' })), []);
  assert.deepEqual(items(listPage(records, { prefix: 'b/', after: 'a' })), ['K:b/1', 'K:b/2']);
  // A common prefix made only of delete markers is not shown.
  assert.deepEqual(items(listPage([rec('d/x', '0', false), rec('e')], { delimiter: '/', includeDeleted: true })), ['K:e']);
  assert.deepEqual(items(listPage([rec('d/x', '0', false), rec('e', '0', false)], { delimiter: '/', includeDeleted: true })), ['K:e']);
  assert.throws(() => listPage(records, { maxKeys: 0 }));
});

test('merging replica pages gives the listing of the newest records (model)', () => {
  const replicaArb = fc.array(fc.record({ key: keyArb, version: fc.integer({ min: 1, max: 9 }), live: fc.boolean(), on: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }) }), { maxLength: 40 });
  fc.assert(
    fc.property(replicaArb, optsArb, (writes, o) => {
      // Each write lands on some replicas; each replica keeps its newest per key.
      const replicas: Map<string, Rec>[] = [new Map(), new Map(), new Map()];
      const truth = new Map<string, Rec>();
      for (const w of writes) {
        const r = rec(w.key, String(w.version), w.live);
        const keep = (m: Map<string, Rec>) => {
          const had = m.get(r.key);
          if (!had || had.version < r.version || (had.version === r.version && bytesCompare(new TextDecoder().decode(had.bytes), new TextDecoder().decode(r.bytes)) < 0)) m.set(r.key, r);
        };
        keep(truth);
        w.on.forEach((on, i) => on && keep(replicas[i]!));
        if (!w.on.some(Boolean)) keep(replicas[0]!);
      }
      const sorted = replicas.map((m) => [...m.values()].sort(byKey));
      const all = [...truth.values()].sort(byKey);
      // With the delimiter, a replica's stale live key can show a prefix the truth hides; compare without it.
      const delimiter = o.delimiter;
      const got = walk((after) => mergeListings(sorted.map((s) => listPage(s, { prefix: o.prefix, delimiter, maxKeys: o.maxKeys, includeDeleted: true, after })), { maxKeys: o.maxKeys, includeDeleted: o.includeDeleted }), o.maxKeys, true);
      const expected = model(all, o.prefix, delimiter, o.includeDeleted);
      // Each item once, in order; keys exactly the truth's; common prefixes a superset
      // (a replica's stale live key under a prefix shows it until sync brings the delete).
      assert.deepEqual(got, [...new Set(got)].sort((a, b) => compareKeys(a.slice(2), b.slice(2))));
      assert.deepEqual(got.filter((x) => x.startsWith('K:')), expected.filter((x) => x.startsWith('K:')));
      for (const x of expected) if (x.startsWith('P:')) assert.ok(got.includes(x), x);
      if (delimiter === '') assert.deepEqual(got, expected);
    }),
    { numRuns: 1000 },
  );
});

test('merge keeps only what every truncated page covers', () => {
  const a = { entries: [rec('a'), rec('c')], commonPrefixes: [], nextToken: 'c', truncated: true };
  const b = { entries: [rec('b'), rec('d'), rec('e')], commonPrefixes: [], nextToken: null, truncated: false };
  const m = mergeListings([a, b]);
  assert.deepEqual(m.entries.map((r) => r.key), ['a', 'b', 'c']);
  assert.equal(m.nextToken, 'c');
  assert.equal(m.truncated, true);
  const newer = mergeListings([{ ...b, entries: [rec('b', '1')] }, { ...b, entries: [rec('b', '2', false)] }]);
  assert.deepEqual(newer.entries, []);
  assert.equal(mergeListings([{ ...b, entries: [rec('b', '1')] }, { ...b, entries: [rec('b', '2', false)] }], { includeDeleted: true }).entries[0]!.version, '2');
  const cut = mergeListings([b], { maxKeys: 2 });
  assert.deepEqual(cut.entries.map((r) => r.key), ['b', 'd']);
  assert.equal(cut.nextToken, 'd');
});
