// The server processes' heap tuning leaves an operator's own choice alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heapGrowingChosen, tuneServerHeap } from '../src/runtime/server-heap.js';

test('an operator-chosen heap growing factor is recognised on the command line and in NODE_OPTIONS', () => {
  assert.equal(heapGrowingChosen(['--heap-growing-percent=50'], undefined), true);
  assert.equal(heapGrowingChosen(['--heap_growing_percent=50'], undefined), true);
  assert.equal(heapGrowingChosen([], '--max-old-space-size=512 --heap-growing-percent=20'), true);
  assert.equal(heapGrowingChosen(['--max-semi-space-size=32'], '--enable-source-maps'), false);
  assert.equal(heapGrowingChosen([], undefined), false);
  assert.equal(heapGrowingChosen(['--heap-growing-percentage=1'], undefined), false);
});

test('tuneServerHeap sets the factor only when the operator did not', () => {
  assert.equal(tuneServerHeap(['--heap-growing-percent=100'], undefined), false);
  assert.equal(tuneServerHeap([], '--heap-growing-percent=100'), false);
  assert.equal(tuneServerHeap([], undefined), true);
});
