/** The batch read format: round trips, and every malformed input refused with its stable code. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { codeOf } from './error-code.js';
import {
  MAX_BATCH_SHARDS, batchResponseSize, decodeBatchRequest, decodeBatchResponse, encodeBatchRequest, encodeBatchResponse,
  type BatchEntry, type BatchWant,
} from '../src/index.js';

const cidText = fc.stringMatching(/^b[a-z2-7]{8,80}$/);
const want: fc.Arbitrary<BatchWant> = fc.tuple(cidText, fc.integer({ min: 0, max: 255 })).map(([cid, index]) => ({ cid, index }));
const entry: fc.Arbitrary<BatchEntry> = fc.oneof(
  fc.uint8Array({ maxLength: 600 }).map((bytes) => ({ status: 'found' as const, bytes })),
  fc.constant({ status: 'not-found' as const, bytes: new Uint8Array(0) }),
  fc.constant({ status: 'skipped' as const, bytes: new Uint8Array(0) }),
);


test('requests round-trip', () => {
  fc.assert(
    fc.property(fc.array(want, { minLength: 1, maxLength: MAX_BATCH_SHARDS }), (wants) => {
      assert.deepEqual(decodeBatchRequest(encodeBatchRequest(wants)), wants);
    }),
  );
});

test('answers round-trip, entries in order, and the size is announced exactly', () => {
  fc.assert(
    fc.property(fc.array(entry, { minLength: 1, maxLength: MAX_BATCH_SHARDS }), (entries) => {
      const bytes = encodeBatchResponse(entries);
      // 8-byte header, then 5 bytes of status and length per entry and the bytes of those found.
      const expected = entries.reduce((n, e) => n + 5 + (e.status === 'found' ? e.bytes.length : 0), 8);
      assert.equal(bytes.length, expected);
      assert.equal(batchResponseSize(entries), expected);
      const back = decodeBatchResponse(bytes, entries.length);
      assert.deepEqual(back.map((e) => e.status), entries.map((e) => e.status));
      back.forEach((e, i) => assert.deepEqual(Uint8Array.from(e.bytes), Uint8Array.from(entries[i]!.bytes)));
    }),
  );
});

test('random bytes and mutations of a good request are refused as DDC_REQUEST_MALFORMED, never a crash', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
      const c = codeOf(() => decodeBatchRequest(bytes));
      assert.ok(c === 'DDC_REQUEST_MALFORMED' || c === 'none', c);
    }),
  );
  fc.assert(
    fc.property(fc.array(want, { minLength: 1, maxLength: 8 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (wants, at, xor) => {
      const bytes = encodeBatchRequest(wants);
      bytes[at % bytes.length]! ^= xor;
      const c = codeOf(() => decodeBatchRequest(bytes));
      assert.ok(c === 'DDC_REQUEST_MALFORMED' || c === 'none', c);
    }),
  );
});

test('a cut, padded or miscounted answer is DDC_NODE_BAD_RESPONSE', () => {
  fc.assert(
    fc.property(fc.array(entry, { minLength: 1, maxLength: 8 }), fc.nat(), (entries, cutAt) => {
      const bytes = encodeBatchResponse(entries);
      assert.equal(codeOf(() => decodeBatchResponse(bytes.subarray(0, cutAt % bytes.length), entries.length)), 'DDC_NODE_BAD_RESPONSE');
      const padded = new Uint8Array(bytes.length + 1);
      padded.set(bytes);
      assert.equal(codeOf(() => decodeBatchResponse(padded, entries.length)), 'DDC_NODE_BAD_RESPONSE');
      assert.equal(codeOf(() => decodeBatchResponse(bytes, entries.length + 1)), 'DDC_NODE_BAD_RESPONSE');
    }),
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 1, max: 64 }), (bytes, n) => {
      const c = codeOf(() => decodeBatchResponse(bytes, n));
      assert.ok(c === 'DDC_NODE_BAD_RESPONSE' || c === 'none', c);
    }),
  );
});

test('magic, version and limits are checked', () => {
  const good = encodeBatchRequest([{ cid: 'bafkreiaaaaaaaa', index: 3 }]);
  const wrongMagic = Uint8Array.from(good);
  wrongMagic[0] = 0;
  assert.equal(codeOf(() => decodeBatchRequest(wrongMagic)), 'DDC_REQUEST_MALFORMED');
  const future = Uint8Array.from(good);
  future[4] = 2;
  assert.throws(() => decodeBatchRequest(future), /version 2 is not supported/);
  assert.equal(codeOf(() => encodeBatchRequest([])), 'DDC_INVALID_ARGUMENT');
  assert.equal(codeOf(() => encodeBatchRequest(Array.from({ length: MAX_BATCH_SHARDS + 1 }, () => ({ cid: 'bafy', index: 0 })))), 'DDC_INVALID_ARGUMENT');
  assert.equal(codeOf(() => encodeBatchRequest([{ cid: 'b a', index: 0 }])), 'DDC_INVALID_CID');
  assert.equal(codeOf(() => encodeBatchRequest([{ cid: 'bafy', index: 256 }])), 'DDC_INVALID_ARGUMENT');
  const answer = encodeBatchResponse([{ status: 'not-found', bytes: new Uint8Array(0) }]);
  answer[8] = 9; // unknown status
  assert.equal(codeOf(() => decodeBatchResponse(answer, 1)), 'DDC_NODE_BAD_RESPONSE');
});
