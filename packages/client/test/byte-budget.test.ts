/** ByteBudget: takers wait in order, gifts wake them, an abort frees a waiter's place, oversize takes wait for the whole budget. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDdcError } from '@ddc/core';
import { ByteBudget } from '../src/put/byte-budget.js';

const tick = () => new Promise((r) => setImmediate(r));

test('takes within the budget pass at once; later ones wait in arrival order until bytes come back', async () => {
  const b = new ByteBudget(10);
  assert.ok(b.tryTake(6));
  const order: string[] = [];
  const big = b.take(8).then(() => order.push('big'));
  const small = b.take(1).then(() => order.push('small'));
  await tick();
  assert.deepEqual(order, [], 'the small take waits behind the big one although 4 bytes are free');
  assert.equal(b.tryTake(1), false, 'nobody jumps the queue');
  b.give(6);
  await Promise.all([big, small]);
  assert.deepEqual(order, ['big', 'small']);
  assert.equal(b.tryTake(2), false, '9 of 10 are taken');
  b.give(8);
  b.give(1);
  assert.ok(b.tryTake(10));
});

test('an abort rejects the waiter with DDC_ABORTED and lets the ones behind it through', async () => {
  const b = new ByteBudget(4);
  assert.ok(b.tryTake(3));
  const ac = new AbortController();
  const blocked = b.take(4, ac.signal);
  const behind = b.take(1);
  ac.abort(new Error('stop'));
  await assert.rejects(blocked, (e: unknown) => isDdcError(e) && e.code === 'DDC_ABORTED');
  await behind;
  await assert.rejects(b.take(4, ac.signal), (e: unknown) => isDdcError(e) && e.code === 'DDC_ABORTED');
});

test('a take larger than the budget waits for all of it, then holds all of it', async () => {
  const b = new ByteBudget(4);
  assert.ok(b.tryTake(1));
  let done = false;
  const huge = b.take(100).then(() => void (done = true));
  await tick();
  assert.equal(done, false);
  b.give(1);
  await huge;
  assert.equal(b.tryTake(1), false);
  b.give(100);
  assert.ok(b.tryTake(4));
});
