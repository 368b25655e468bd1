/** Byte ranges (RFC 9110 §14) and entity tags as the /ddc/ and /ipfs/ handlers read them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { etagMatches, parseRange } from '../src/http/respond.js';

test('ranges', () => {
  assert.equal(parseRange(undefined, 10), undefined);
  assert.deepEqual(parseRange('bytes=0-0', 10), { start: 0, end: 0 });
  assert.deepEqual(parseRange('bytes=2-', 10), { start: 2, end: 9 });
  assert.deepEqual(parseRange('bytes=2-100', 10), { start: 2, end: 9 });
  assert.deepEqual(parseRange('bytes=-3', 10), { start: 7, end: 9 });
  assert.deepEqual(parseRange('bytes=-30', 10), { start: 0, end: 9 });
  assert.equal(parseRange('bytes=10-', 10), 'unsatisfiable');
  assert.equal(parseRange('bytes=-0', 10), 'unsatisfiable');
  assert.equal(parseRange('bytes=0-', 0), 'unsatisfiable');
  assert.equal(parseRange('bytes=5-2', 10), undefined, 'invalid: ignored (whole body)');
  assert.equal(parseRange('bytes=0-1,3-4', 10), undefined, 'several ranges: whole body');
  assert.equal(parseRange('items=0-1', 10), undefined);
});

test('any range answer lies inside the body', () => {
  fc.assert(
    fc.property(fc.nat(1e6), fc.option(fc.nat(2e6)), fc.option(fc.nat(2e6)), (size, a, b) => {
      const header = `bytes=${a ?? ''}-${b ?? ''}`;
      const r = parseRange(header, size);
      if (r && r !== 'unsatisfiable') {
        assert.ok(r.start >= 0 && r.start <= r.end && r.end < size, header);
      }
    }),
  );
});

test('If-None-Match lists, weak tags and *', () => {
  assert.ok(etagMatches('"a"', '"a"'));
  assert.ok(etagMatches('"x", W/"a"', '"a"'));
  assert.ok(etagMatches('*', '"a"'));
  assert.ok(!etagMatches('"b"', '"a"'));
  assert.ok(!etagMatches(undefined, '"a"'));
});
