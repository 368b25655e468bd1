import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TokenBucket, type TokenBucketClock } from '../src/index.js';

/** A clock that only moves when a sleeper sleeps: time is exact, tests take no real time. */
function fakeClock(): TokenBucketClock & { t: number; sleeps: number[] } {
  const c = {
    t: 0,
    sleeps: [] as number[],
    now: () => c.t,
    sleep: async (ms: number, signal?: AbortSignal) => {
      signal?.throwIfAborted();
      c.sleeps.push(ms);
      c.t += ms;
    },
  };
  return c;
}

test('token bucket: a burst passes at once, then bytes pass at the rate', async () => {
  const clock = fakeClock();
  const b = new TokenBucket(1000, 1000, clock);
  await b.take(600);
  await b.take(400);
  assert.deepEqual(clock.sleeps, [], 'the burst is free');
  await b.take(500);
  assert.deepEqual(clock.sleeps, [500], '500 bytes at 1000 B/s wait 500 ms');
  await b.take(3000);
  assert.equal(clock.sleeps[1], 3000, 'a take larger than the burst waits for its debt');
  assert.equal(b.taken, 4500);
});

test('token bucket: over any run, bytes admitted <= burst + rate x elapsed', async () => {
  const clock = fakeClock();
  const rate = 64 * 1024;
  const burst = 16 * 1024;
  const b = new TokenBucket(rate, burst, clock);
  let admitted = 0;
  let seed = 7;
  for (let i = 0; i < 500; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const n = seed % 40_000;
    if (seed % 5 === 0) clock.t += seed % 300; // idle time: refills, but never past the burst
    await b.take(n);
    admitted += n;
    assert.ok(admitted <= burst + (rate * clock.t) / 1000 + 1e-6, `after ${i} takes: ${admitted} bytes in ${clock.t} ms`);
  }
  // And it is not stingy: the whole run took no longer than the bytes need at the rate.
  assert.ok(clock.t <= (admitted / rate) * 1000 + 500 * 300);
});

test('token bucket: concurrent takers are admitted in order, each waiting for the debt ahead of it', async () => {
  const clock = fakeClock();
  const b = new TokenBucket(1000, 1000, clock);
  await b.take(1000);
  const waits: number[] = [];
  const realSleep = clock.sleep;
  clock.sleep = async (ms, signal) => {
    waits.push(ms);
    return realSleep(0, signal); // do not advance: all three are queued at the same instant
  };
  await Promise.all([b.take(100), b.take(100), b.take(100)]);
  assert.deepEqual(waits.map((w) => Math.round(w)), [100, 200, 300]);
});

test('token bucket: rate 0 is no limit; an aborted wait rejects', async () => {
  const clock = fakeClock();
  const free = new TokenBucket(0, 1, clock);
  await free.take(1e12);
  assert.deepEqual(clock.sleeps, []);
  const b = new TokenBucket(10, 10, clock);
  const ac = new AbortController();
  ac.abort(new Error('stop'));
  await assert.rejects(b.take(100, ac.signal), /stop/);
});

test('token bucket: setRate changes the pace', async () => {
  const clock = fakeClock();
  const b = new TokenBucket(1000, 1000, clock);
  await b.take(1000);
  b.setRate(2000, 2000);
  await b.take(1000);
  assert.deepEqual(clock.sleeps, [500]);
});
