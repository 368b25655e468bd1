/**
 * Coding a piece in place into pooled buffers must give the very shards buildStripe gives
 * (ids, headers, bytes), whatever the buffers held before: pooled buffers come back dirty.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RAW_CODEC, buildStripe, cidOf, createErasureCoder, splitData, stripeLayout, verifyShard } from '@ddc/core';
import { BufferPool } from '@ddc/core';
import { encodePiece } from '../src/put/encode-piece.js';

test('pooled in-place coding equals buildStripe byte for byte, with dirty reused buffers', () => {
  const pool = new BufferPool(64);
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 0, max: 4 }),
      fc.integer({ min: 0, max: 70_000 }),
      fc.integer({ min: 0, max: 255 }),
      (k, m, length, seed) => {
        const piece = new Uint8Array(length).map((_, i) => (i * 31 + seed) & 0xff);
        const cid = cidOf(RAW_CODEC, piece);
        const layout = stripeLayout(length, { k, m, replicationThreshold: 0 });
        const data = splitData(piece, layout.k);
        const fresh = layout.replicated
          ? buildStripe(cid, length, 1, layout.m, new Array<Uint8Array>(layout.count).fill(piece))
          : buildStripe(cid, length, layout.k, layout.m, [...data, ...createErasureCoder(layout.k, layout.m).encode(data)]);
        const pooled = encodePiece(cid, piece, layout, pool);
        assert.equal(pooled.length, fresh.length);
        pooled.forEach((s, i) => {
          assert.equal(s.id, fresh[i]!.id);
          assert.deepEqual(s.bytes, fresh[i]!.bytes);
          assert.equal(verifyShard(s.bytes, s.id).id, s.id);
        });
        // Back to the pool scribbled over, as if another piece had used them.
        for (const s of pooled) {
          s.bytes.fill(0xa5);
          pool.give(s.bytes);
        }
      },
    ),
    { numRuns: 150 },
  );
});

test('the pool takes back only its own buffers, once each', () => {
  const pool = new BufferPool(4);
  const a = pool.take(100);
  pool.give(new Uint8Array(a.buffer)); // a view of all of it counts (readers get subarrays)
  pool.give(a); // twice: must not be handed out twice
  assert.equal(pool.take(100), a);
  assert.notEqual(pool.take(100), a);
  const stranger = new Uint8Array(100);
  pool.give(stranger);
  pool.give(a.subarray(0, 50));
  const next = [pool.take(100), pool.take(50)];
  assert.ok(!next.includes(stranger) && next.every((b) => b.buffer !== a.buffer));
});
