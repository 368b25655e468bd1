// Object records v1: golden vectors, round trips, tampering, and fuzzing of the decoder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import * as dagCbor from '@ipld/dag-cbor';
import {
  MAX_METADATA_BYTES, checkObjectKey, compareVersions, decodeRecord, encodeRecord, fromHex, generateKeyPair, isDdcError, keyPairFromSecret,
  newVersionId, newestRecord, signRecord, toHex, versionTime, type EncryptionInfo, type ObjectRecord, type RecordInput,
} from '../src/index.js';

interface VectorCase {
  name: string;
  input: Omit<RecordInput, 'token' | 'encryption'> & { token: string; encryption?: Record<string, unknown> | null };
  bytes: string;
}
const vectors = JSON.parse(readFileSync(new URL('../../test/vectors/records.json', import.meta.url), 'utf8')) as { secretKey: string; publicKey: string; cases: VectorCase[] };

const CID_A = 'bafkreial4c7i3iblm37smyvl2ez4rlelhn6thukckortauqu37vgetjzki';
const writer = generateKeyPair();
const token = new Uint8Array(200).fill(7);

function hexFields(v: unknown): unknown {
  if (typeof v === 'string' && v.startsWith('hex:')) return fromHex(v.slice(4));
  if (Array.isArray(v)) return v.map(hexFields);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, hexFields(x)]));
  return v;
}

function inputOf(c: VectorCase): RecordInput {
  const { token: tok, encryption, ...rest } = c.input;
  const input: RecordInput = { ...rest, token: fromHex(tok) };
  if (encryption !== undefined) input.encryption = hexFields(encryption) as EncryptionInfo | null;
  return input;
}

function isCode(code: string) {
  return (e: unknown) => isDdcError(e) && e.code === code;
}

function put(key: string, extra: Partial<RecordInput> = {}): ObjectRecord {
  return signRecord({ bucket: 5, key, cid: CID_A, size: 10, token, ...extra }, writer);
}

test('golden vectors: fixed key and fields give fixed bytes, and decode back', () => {
  const key = keyPairFromSecret(fromHex(vectors.secretKey));
  assert.equal(toHex(key.publicKey), vectors.publicKey);
  assert.ok(vectors.cases.length >= 3);
  for (const c of vectors.cases) {
    const r = signRecord(inputOf(c), key);
    assert.equal(toHex(r.bytes), c.bytes, c.name);
    const d = decodeRecord(fromHex(c.bytes));
    assert.equal(d.key, c.input.key);
    assert.equal(d.version, c.input.version);
    assert.equal(d.cid, c.input.cid);
    assert.equal(d.purges, c.input.purges ?? null);
    assert.equal(toHex(d.writer), vectors.publicKey);
    assert.deepEqual(d, r, c.name);
    assert.equal(toHex(d.bytes.subarray(0, 5)), '4444435201', 'magic DDCR, version 1');
  }
});

test('round trip keeps every field', () => {
  const enc: EncryptionInfo = {
    alg: 'aes-256-gcm-chunked-v1', chunk: 1048560, oid: new Uint8Array(16).fill(1), size: 12345,
    edeks: [{ to: new Uint8Array(32).fill(2), enc: new Uint8Array(32).fill(3), ct: new Uint8Array(48).fill(4), exp: null }],
    group: { t: 2, shares: [1, 2, 3].map((i) => ({ to: new Uint8Array(32).fill(i), enc: new Uint8Array(32).fill(9), ct: new Uint8Array(60).fill(i), exp: 1_900_000_000 })) },
  };
  const r = put('photos/2024/é 🐱.jpg', { contentType: 'image/jpeg', metadata: { author: 'ann', 'x.y_z-1': '' }, encryption: enc });
  const d = decodeRecord(encodeRecord(r));
  assert.deepEqual(d, r);
  assert.equal(d.encryption?.group?.shares.length, 3);
  assert.equal(versionTime(d.version), d.time);
  const marker = signRecord({ bucket: 5, key: 'k', cid: null, token }, writer);
  assert.equal(decodeRecord(marker.bytes).cid, null);
  assert.equal(marker.size, 0);
  const purge = signRecord({ bucket: 5, key: 'k', cid: null, token, purges: r.version }, writer);
  assert.equal(decodeRecord(purge.bytes).purges, r.version);
});

test('a flipped bit anywhere is refused with DDC_RECORD_INVALID', () => {
  const r = put('a/b', { metadata: { m: 'v' } });
  fc.assert(
    fc.property(fc.nat({ max: r.bytes.length * 8 - 1 }), (bit) => {
      const b = Uint8Array.from(r.bytes);
      b[bit >> 3]! ^= 1 << (bit & 7);
      assert.throws(() => decodeRecord(b), isCode('DDC_RECORD_INVALID'));
    }),
    { numRuns: 2000 },
  );
});

test('a re-signed map with other fields is refused unless signed by wkey; canonical form is enforced', () => {
  const r = put('k');
  const m = dagCbor.decode(r.bytes.subarray(5)) as Record<string, unknown>;
  // Same signature over another key: fails.
  const moved = dagCbor.encode({ ...m, key: 'other' });
  assert.throws(() => decodeRecord(new Uint8Array([...r.bytes.subarray(0, 5), ...moved])), isCode('DDC_RECORD_INVALID'));
  // Another writer's key in wkey with the first writer's signature: fails.
  const other = generateKeyPair();
  const swapped = dagCbor.encode({ ...m, wkey: other.publicKey });
  assert.throws(() => decodeRecord(new Uint8Array([...r.bytes.subarray(0, 5), ...swapped])), isCode('DDC_RECORD_INVALID'));
  // Extra or missing fields.
  for (const bad of [{ ...m, extra: 1 }, Object.fromEntries(Object.entries(m).filter(([k]) => k !== 'prg'))]) {
    assert.throws(() => decodeRecord(new Uint8Array([...r.bytes.subarray(0, 5), ...dagCbor.encode(bad)])), isCode('DDC_RECORD_INVALID'));
  }
  // Wrong magic, version, trailing bytes.
  assert.throws(() => decodeRecord(new Uint8Array([0x44, 0x44, 0x43, 0x54, ...r.bytes.subarray(4)])), isCode('DDC_RECORD_INVALID'));
  assert.throws(() => decodeRecord(new Uint8Array([...r.bytes.subarray(0, 4), 2, ...r.bytes.subarray(5)])), isCode('DDC_RECORD_INVALID'));
  assert.throws(() => decodeRecord(new Uint8Array([...r.bytes, 0])), isCode('DDC_RECORD_INVALID'));
  assert.throws(() => decodeRecord(new Uint8Array(70 * 1024)), isCode('DDC_RECORD_INVALID'));
});

test('decodeRecord never throws anything but DDC_RECORD_INVALID (fuzz)', () => {
  const r = put('fuzz/key', { metadata: { a: 'b' } });
  const check = (b: Uint8Array) => {
    try {
      decodeRecord(b);
    } catch (e) {
      assert.ok(isDdcError(e, 'DDC_RECORD_INVALID'), `unexpected ${String(e)}`);
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (b) => check(b)), { numRuns: 3000 });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => check(new Uint8Array([0x44, 0x44, 0x43, 0x52, 1, ...b]))), { numRuns: 3000 });
  // Structured garbage: valid DAG-CBOR maps with the record's field names and odd values.
  const value = fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.uint8Array({ maxLength: 70 }), fc.boolean(), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 3 }));
  const base = dagCbor.decode(r.bytes.subarray(5)) as Record<string, unknown>;
  fc.assert(
    fc.property(fc.constantFrom(...Object.keys(base)), value, (field, v) => {
      check(new Uint8Array([0x44, 0x44, 0x43, 0x52, 1, ...dagCbor.encode({ ...base, [field]: v })]));
    }),
    { numRuns: 3000 },
  );
  // Truncations of a good record.
  for (let n = 0; n < r.bytes.length; n++) assert.throws(() => decodeRecord(r.bytes.subarray(0, n)), isCode('DDC_RECORD_INVALID'));
});

test('key, metadata and field rules', () => {
  assert.equal(checkObjectKey('a'), 'a');
  assert.equal(checkObjectKey('é'.repeat(512)), 'é'.repeat(512)); // 1024 bytes
  for (const bad of ['', 'a\0b', 'é'.repeat(512) + 'x', '\ud800', 'a\udc00', 5]) assert.throws(() => checkObjectKey(bad), isCode('DDC_INVALID_ARGUMENT'));
  assert.throws(() => put('a\0'), isCode('DDC_INVALID_ARGUMENT'));
  assert.throws(() => put('k', { metadata: { Big: 'x' } }), isCode('DDC_INVALID_ARGUMENT'));
  assert.throws(() => put('k', { metadata: { a: 'x'.repeat(MAX_METADATA_BYTES) } }), isCode('DDC_INVALID_ARGUMENT'));
  put('k', { metadata: { a: 'x'.repeat(MAX_METADATA_BYTES - 1) } });
  assert.throws(() => put('k', { cid: 'not-a-cid' }), isCode('DDC_INVALID_CID'));
  assert.throws(() => signRecord({ bucket: 5, key: 'k', cid: null, size: 3, token }, writer), isCode('DDC_INVALID_ARGUMENT'));
  assert.throws(() => signRecord({ bucket: 5, key: 'k', cid: CID_A, token, purges: newVersionId() }, writer), isCode('DDC_INVALID_ARGUMENT'));
  assert.throws(() => put('k', { version: 'abc' }), isCode('DDC_INVALID_ARGUMENT'));
  assert.throws(() => put('k', { version: newVersionId(1000), time: 2000 }), isCode('DDC_INVALID_ARGUMENT'));
  assert.throws(() => put('k', { token: new Uint8Array(0) }), isCode('DDC_INVALID_ARGUMENT'));
  assert.throws(() => put('k', { bucket: -1 }), isCode('DDC_INVALID_ARGUMENT'));
  assert.throws(() => put('k', { contentType: 'a\nb' }), isCode('DDC_INVALID_ARGUMENT'));
  const v = put('k', { version: newVersionId(1234) });
  assert.equal(v.time, 1234);
});

test('version ids sort by time; newestRecord skips purges and purged versions', () => {
  const a = newVersionId(1000);
  const b = newVersionId(2000);
  assert.match(a, /^0000000003e8[0-9a-f]{8}$/);
  assert.equal(compareVersions(a, b), -1);
  assert.equal(compareVersions(b, a), 1);
  assert.equal(compareVersions(a, a), 0);
  const v1 = put('k', { time: 1000 });
  const v2 = put('k', { time: 2000 });
  const del = signRecord({ bucket: 5, key: 'k', cid: null, token, time: 3000 }, writer);
  const purgeDel = signRecord({ bucket: 5, key: 'k', cid: null, token, time: 4000, purges: del.version }, writer);
  const purgeV2 = signRecord({ bucket: 5, key: 'k', cid: null, token, time: 5000, purges: v2.version }, writer);
  assert.equal(newestRecord([v1, v2]), v2);
  assert.equal(newestRecord([v2, v1, del]), del);
  assert.equal(newestRecord([purgeDel, v1, del, v2]), v2);
  assert.equal(newestRecord([purgeDel, v1, del, v2, purgeV2]), v1);
  assert.equal(newestRecord([purgeV2]), null);
  assert.equal(newestRecord([]), null);
  // One version id, two records: every reader picks the same (larger bytes).
  const twin = put('k', { version: v1.version, size: 99 });
  assert.equal(newestRecord([v1, twin]), newestRecord([twin, v1]));
});

test('JSON field grants (enc.flds) round-trip; present only when non-empty, with well-formed pointers', () => {
  const edek = (i: number) => ({ to: new Uint8Array(32).fill(i), enc: new Uint8Array(32).fill(9), ct: new Uint8Array(48).fill(i), exp: null });
  const base: EncryptionInfo = { alg: 'json-fields-v1', chunk: 1, oid: new Uint8Array(16).fill(1), size: 99, edeks: [edek(1)], group: null };
  const withFields: EncryptionInfo = { ...base, fields: [{ ptr: '/medical', ...edek(2) }, { ptr: '/a~1b/0', ...edek(3), exp: 1_900_000_000 }] };
  const r = put('doc.json', { contentType: 'application/json', encryption: withFields });
  assert.deepEqual(decodeRecord(encodeRecord(r)), r);
  // Without grants the record encodes exactly as before grants existed (no flds key).
  const plain = put('doc.json', { encryption: base });
  assert.ok(!('flds' in ((dagCbor.decode(plain.bytes.subarray(5)) as { enc: Record<string, unknown> }).enc)));
  assert.equal(decodeRecord(plain.bytes).encryption?.fields, undefined);
  // A pointer that is not one cannot be signed into a record (the reader's check is the same code).
  for (const ptr of ['medical', `/${'x'.repeat(1024)}`]) {
    assert.throws(() => put('doc.json', { encryption: { ...base, fields: [{ ptr, ...edek(2) }] } }), isCode('DDC_INVALID_ARGUMENT'), ptr.slice(0, 10));
  }
});
