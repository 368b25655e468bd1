// toHex against Node's own hex encoding, across the 4 KiB chunk boundary, and back through fromHex.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, toHex } from '../src/index.js';

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
