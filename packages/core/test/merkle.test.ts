import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { MerkleBuilder, merkleProof, merkleRoot, rootFromProof, verifyMerkleProof, leafCount, hashLeaf, hashNode } from '../src/index.js';

const SMALL_LEAF = 16;

test('root of one leaf is the domain-separated leaf hash', () => {
  const data = new Uint8Array([1, 2, 3]);
  const expected = createHash('sha256').update(Buffer.from([0])).update(data).digest();
  assert.deepEqual(Buffer.from(merkleRoot(data)), expected);
  assert.deepEqual(merkleRoot(new Uint8Array(0)), hashLeaf(new Uint8Array(0)));
});

test('three leaves follow the RFC 6962 split (4 -> 2 + 1)', () => {
  const data = new Uint8Array(40).map((_, i) => i);
  const l = [0, 1, 2].map((i) => hashLeaf(data.subarray(i * 16, Math.min(40, (i + 1) * 16))));
  assert.deepEqual(merkleRoot(data, SMALL_LEAF), hashNode(hashNode(l[0]!, l[1]!), l[2]!));
});

test('streaming builder equals one-shot root for any split of the input', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 70_000 }), fc.array(fc.nat(40_000), { maxLength: 6 }), (data, cuts) => {
      const b = new MerkleBuilder();
      let off = 0;
      for (const c of cuts) {
        const end = Math.min(data.length, off + c);
        b.update(data.subarray(off, end));
        off = end;
      }
      b.update(data.subarray(off));
      assert.deepEqual(b.digest(), merkleRoot(data));
    }),
    { numRuns: 60 },
  );
});

test('builders open at once and one after another (reusing finished ones\' buffers) each get their own root', () => {
  fc.assert(
    fc.property(
      fc.array(fc.uint8Array({ maxLength: 40_000 }), { minLength: 1, maxLength: 8 }),
      fc.array(fc.tuple(fc.nat(), fc.nat(20_000)), { maxLength: 40 }),
      fc.nat(),
      (inputs, steps, abandon) => {
        // One builder per input, fed in random interleaved steps; then every builder finishes,
        // except one that is given up halfway (its buffer goes back while the others run).
        const open = inputs.map((data) => ({ data, b: new MerkleBuilder(), off: 0 }));
        const quitter = new MerkleBuilder();
        quitter.update(new Uint8Array(5000).fill(0xee));
        for (const [who, n] of steps) {
          const o = open[who % open.length]!;
          const end = Math.min(o.data.length, o.off + n);
          o.b.update(o.data.subarray(o.off, end));
          o.off = end;
          if (who % 7 === abandon % 7) quitter.release();
        }
        quitter.release();
        for (const o of open) {
          o.b.update(o.data.subarray(o.off));
          assert.deepEqual(o.b.digest(), merkleRoot(o.data));
          // The next builder may take the buffer this one gave back: its bytes must not leak in.
          const next = new MerkleBuilder();
          next.update(o.data.subarray(0, 3));
          assert.deepEqual(next.digest(), merkleRoot(o.data.subarray(0, 3)));
        }
      },
    ),
    { numRuns: 60 },
  );
});

test('a builder that gave its digest refuses more input and a second digest', () => {
  const b = new MerkleBuilder();
  b.update(new Uint8Array([1, 2, 3]));
  assert.deepEqual(b.digest(), merkleRoot(new Uint8Array([1, 2, 3])));
  for (const again of [() => b.update(new Uint8Array([4])), () => b.digest()]) {
    assert.throws(again, (e: unknown) => (e as { code?: string }).code === 'DDC_INVALID_ARGUMENT');
  }
  b.release(); // already ended: nothing happens
  const released = new MerkleBuilder();
  released.release();
  assert.throws(() => released.update(new Uint8Array([1])), (e: unknown) => (e as { code?: string }).code === 'DDC_INVALID_ARGUMENT');
});

test('every leaf proof verifies; any flipped bit or wrong index fails', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 400 }), fc.nat(), fc.nat(), (data, pick, bit) => {
      const root = merkleRoot(data, SMALL_LEAF);
      const n = leafCount(data.length, SMALL_LEAF);
      const j = pick % n;
      const leaf = data.subarray(j * SMALL_LEAF, Math.min(data.length, (j + 1) * SMALL_LEAF));
      const proof = merkleProof(data, j, SMALL_LEAF);
      assert.equal(verifyMerkleProof(root, leaf, proof), true);
      assert.deepEqual(rootFromProof(leaf, proof), root);
      if (leaf.length > 0) {
        const bad = leaf.slice();
        bad[bit % bad.length]! ^= 1 << (bit % 8);
        assert.equal(verifyMerkleProof(root, bad, proof), false);
      }
      if (n > 1) assert.equal(verifyMerkleProof(root, leaf, { ...proof, leafIndex: (j + 1) % n }), false);
      if (proof.siblings.length > 0) {
        assert.equal(verifyMerkleProof(root, leaf, { ...proof, siblings: proof.siblings.slice(1) }), false);
        const s = proof.siblings.map((x) => x.slice());
        s[0]![0]! ^= 1;
        assert.equal(verifyMerkleProof(root, leaf, { ...proof, siblings: s }), false);
      }
    }),
    { numRuns: 300 },
  );
});

test('malformed proofs are rejected, not crashed on', () => {
  const root = merkleRoot(new Uint8Array(100), SMALL_LEAF);
  assert.equal(verifyMerkleProof(root, new Uint8Array(16), { leafIndex: 9, leafCount: 7, siblings: [] }), false);
  assert.equal(verifyMerkleProof(root, new Uint8Array(16), { leafIndex: 0, leafCount: 0, siblings: [] }), false);
  assert.equal(verifyMerkleProof(root, new Uint8Array(16), { leafIndex: 0, leafCount: 7, siblings: [new Uint8Array(3)] }), false);
});
