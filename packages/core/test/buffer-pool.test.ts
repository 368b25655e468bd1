import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferPool } from '../src/buffer-pool.js';

test('lends: true exactly for whole buffers taken and not yet given back', () => {
  const pool = new BufferPool(4);
  const a = pool.take(16);
  assert.equal(pool.lends(a), true);
  assert.equal(pool.lends(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)), true, 'a view of all of it');
  assert.equal(pool.lends(a.subarray(1)), false, 'part of one');
  assert.equal(pool.lends(a.slice()), false, 'a copy');
  assert.equal(pool.lends(new Uint8Array(16)), false, 'a stranger');
  pool.give(a);
  assert.equal(pool.lends(a), false, 'given back already');
  const b = pool.take(16);
  assert.equal(b, a, 'the pool lends it again');
  assert.equal(pool.lends(b), true);
});
