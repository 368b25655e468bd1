// toHex against Node's own hex encoding, across the 4 KiB chunk boundary, and back through fromHex.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { charCodesToString, fromHex, toHex } from '../src/index.js';

test('toHex equals Buffer hex for any bytes, and fromHex reverses it', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 10_000 }), (bytes) => {
      const hex = toHex(bytes);
      assert.equal(hex, Buffer.from(bytes).toString('hex'));
      assert.deepEqual(fromHex(hex), bytes);
    }),
    { numRuns: 200 },
  );
  for (const n of [0, 1, 4095, 4096, 4097, 8192, 12_289]) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 131 + 7) & 0xff);
    assert.equal(toHex(bytes), Buffer.from(bytes).toString('hex'));
  }
});

test('charCodesToString reads bytes as latin1 and 16-bit units as UTF-16, across its call chunks', () => {
  // Lengths up to 20,000 drawn directly (arrays that large are rare among fast-check's own sizes);
  // the codes come from a seeded generator so that a failure shrinks quickly.
  fc.assert(
    fc.property(fc.nat(20_000), fc.nat(), (length, seed) => {
      let x = seed | 1;
      const units = Uint16Array.from({ length }, () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 16);
      const bytes = Uint8Array.from(units, (u) => u & 0xff);
      assert.equal(charCodesToString(bytes), Buffer.from(bytes).toString('latin1'));
      assert.equal(charCodesToString(units), Buffer.from(units.buffer).toString('utf16le'));
    }),
    { numRuns: 60 },
  );
});
