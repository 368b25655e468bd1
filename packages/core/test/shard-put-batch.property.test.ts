/** The batch write format: round trips in any chunking, and every malformed body refused with its stable code. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { codeOf } from './error-code.js';
import {
  MAX_PUT_BATCH_SHARDS, PUT_BATCH_ENTRY_HEADER, PUT_BATCH_HEADER, PutBatchReader, concatBytes, encodePutBatch, putBatchSize, toHex,
  type PutBatchEntry,
} from '../src/index.js';

const MAX_SHARD = 2048;
const entry: fc.Arbitrary<PutBatchEntry> = fc
  .tuple(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 1, maxLength: 700 }))
  .map(([id, bytes]) => ({ id: toHex(id), bytes }));
const entries = fc.array(entry, { minLength: 1, maxLength: 12 });


/** Cuts `bytes` at the given fractions. */
function chunked(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((c) => Math.floor(c * bytes.length)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of [...at, bytes.length]) {
    out.push(bytes.subarray(prev, c));
    prev = c;
  }
  return out;
}

/** Reads a body pushed in the given chunks; the entries it reported. */
function read(chunks: Uint8Array[], maxShardBytes = MAX_SHARD): PutBatchEntry[] {
  const got: { id: string; length: number; parts: Uint8Array[] }[] = [];
  let open = false;
  const reader = new PutBatchReader({
    entry(id, length, ordinal) {
      assert.equal(open, false, 'an entry started inside another');
      assert.equal(ordinal, got.length);
      got.push({ id, length, parts: [] });
      open = true;
    },
    // The view is valid only during the call: keep a copy.
    data: (c) => got.at(-1)!.parts.push(c.slice()),
    entryEnd() {
      assert.equal(open, true);
      open = false;
    },
  }, maxShardBytes);
  for (const c of chunks) reader.push(c);
  reader.end();
  assert.equal(open, false);
  return got.map((g) => {
    const bytes = concatBytes(g.parts);
    assert.equal(bytes.length, g.length);
    return { id: g.id, bytes };
  });
}


test('batches round-trip whatever the chunking, and the size is announced exactly', () => {
  fc.assert(
    fc.property(entries, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 20 }), (es, cuts) => {
      const body = concatBytes(encodePutBatch(es));
      assert.equal(body.length, putBatchSize(es));
      assert.equal(body.length, PUT_BATCH_HEADER + es.reduce((n, e) => n + PUT_BATCH_ENTRY_HEADER + e.bytes.length, 0));
      assert.deepEqual(read(chunked(body, cuts)), es);
    }),
  );
});

test('a body cut short anywhere is refused at its end, never taken as a smaller batch', () => {
  fc.assert(
    fc.property(entries, fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), (es, at) => {
      const body = concatBytes(encodePutBatch(es));
      const cut = body.subarray(0, Math.floor(at * body.length));
      assert.equal(codeOf(() => read([cut])), 'DDC_REQUEST_MALFORMED');
    }),
  );
});

test('bytes after the last entry are refused', () => {
  fc.assert(
    fc.property(entries, fc.uint8Array({ minLength: 1, maxLength: 50 }), (es, extra) => {
      assert.equal(codeOf(() => read([concatBytes([...encodePutBatch(es), extra])])), 'DDC_REQUEST_MALFORMED');
    }),
  );
});

test('random and mutated bodies give a DdcError or a well-formed batch, never a plain exception', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 400 }),
        fc.tuple(entries, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([es, i, v]) => {
          const b = concatBytes(encodePutBatch(es));
          b[i % b.length] = v;
          return b;
        }),
      ),
      (body) => {
        const code = codeOf(() => read([body]));
        assert.ok(['none', 'DDC_REQUEST_MALFORMED', 'DDC_TOO_LARGE'].includes(code), code);
      },
    ),
  );
});

test('the header is checked: magic, version, flags, count', () => {
  const good = concatBytes(encodePutBatch([{ id: 'ab'.repeat(32), bytes: new Uint8Array([1, 2, 3]) }]));
  const mutate = (i: number, v: number) => {
    const b = good.slice();
    b[i] = v;
    return b;
  };
  assert.equal(codeOf(() => read([mutate(0, 0x58)])), 'DDC_REQUEST_MALFORMED');
  assert.equal(codeOf(() => read([mutate(4, 2)])), 'DDC_REQUEST_MALFORMED');
  assert.equal(codeOf(() => read([mutate(5, 1)])), 'DDC_REQUEST_MALFORMED');
  assert.equal(codeOf(() => read([mutate(7, 0)])), 'DDC_REQUEST_MALFORMED');
  const tooMany = good.slice();
  tooMany[6] = (MAX_PUT_BATCH_SHARDS + 1) >>> 8;
  tooMany[7] = (MAX_PUT_BATCH_SHARDS + 1) & 0xff;
  assert.equal(codeOf(() => read([tooMany])), 'DDC_REQUEST_MALFORMED');
  assert.equal(codeOf(() => read([new Uint8Array(0)])), 'DDC_REQUEST_MALFORMED');
});

test('an entry over maxShardBytes is refused before its bytes, and an empty one is malformed', () => {
  const big = concatBytes(encodePutBatch([{ id: 'cd'.repeat(32), bytes: new Uint8Array(100) }]));
  assert.equal(codeOf(() => read([big.subarray(0, PUT_BATCH_HEADER + PUT_BATCH_ENTRY_HEADER)], 99)), 'DDC_TOO_LARGE');
  const empty = big.slice(0, PUT_BATCH_HEADER + PUT_BATCH_ENTRY_HEADER);
  empty.fill(0, PUT_BATCH_HEADER + 32);
  assert.equal(codeOf(() => read([empty])), 'DDC_REQUEST_MALFORMED');
});

test('the encoder refuses what the format cannot carry', () => {
  const one = { id: 'ef'.repeat(32), bytes: new Uint8Array(1) };
  assert.equal(codeOf(() => encodePutBatch([])), 'DDC_INVALID_ARGUMENT');
  assert.equal(codeOf(() => encodePutBatch(Array.from({ length: MAX_PUT_BATCH_SHARDS + 1 }, () => one))), 'DDC_INVALID_ARGUMENT');
  assert.equal(codeOf(() => encodePutBatch([{ id: 'EF'.repeat(32), bytes: one.bytes }])), 'DDC_INVALID_ARGUMENT');
  assert.equal(codeOf(() => encodePutBatch([{ id: one.id, bytes: new Uint8Array(0) }])), 'DDC_INVALID_ARGUMENT');
});
