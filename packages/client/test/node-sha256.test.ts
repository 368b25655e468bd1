/**
 * node:crypto's SHA-256 as installed into core by the Node entry, against a plain incremental
 * Hash: the same digest for any split of any input into parts, on both sides of the size up to
 * which parts are joined in a scratch buffer and hashed one-shot (a Merkle leaf and its prefix),
 * and the same through its incremental hasher. A digest is the caller's own: the next one leaves it be.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { nodeSha256 } from '../src/platform/node-crypto.js';
import { MERKLE_LEAF_SIZE, hashLeaf, merkleRoot, sha256Impl, useSha256 } from '@ddc/core';

const reference = (parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};

test('node:crypto SHA-256 equals a plain Hash for any parts, below and above the one-shot size', () => {
  const sizes = fc.oneof(fc.nat({ max: 100 }), fc.integer({ min: MERKLE_LEAF_SIZE - 8, max: MERKLE_LEAF_SIZE + 80 }), fc.nat({ max: 3 * MERKLE_LEAF_SIZE }));
  fc.assert(
    fc.property(fc.array(sizes, { minLength: 1, maxLength: 4 }), fc.nat(), (lengths, seed) => {
      const parts = lengths.map((n, i) => Uint8Array.from({ length: n }, (_, j) => (seed + i * 31 + j * 7) & 0xff));
      const want = reference(parts);
      const got = nodeSha256.digest(...parts);
      assert.deepEqual(got, want);
      const h = nodeSha256.create();
      for (const p of parts) h.update(p);
      assert.deepEqual(h.digest(), want);
      // The next digest must not write over this one (the scratch buffer is reused, results are not).
      nodeSha256.digest(new Uint8Array(5), new Uint8Array(7));
      assert.deepEqual(got, want);
    }),
    { numRuns: 300 },
  );
});

test('Merkle leaves and roots are the same through the one-shot joins and a plain Hash', () => {
  const before = sha256Impl();
  const data = Uint8Array.from({ length: 5 * MERKLE_LEAF_SIZE + 123 }, (_, i) => (i * 13) & 0xff);
  try {
    useSha256(nodeSha256);
    const fast = { leaf: hashLeaf(data.subarray(0, MERKLE_LEAF_SIZE)), root: merkleRoot(data) };
    assert.deepEqual(fast.leaf, reference([new Uint8Array([0]), data.subarray(0, MERKLE_LEAF_SIZE)]));
    useSha256({ name: 'reference', digest: (...p) => reference(p), create: () => nodeSha256.create() });
    assert.deepEqual(merkleRoot(data), fast.root);
  } finally {
    useSha256(before);
  }
});
