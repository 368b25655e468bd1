import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DdcError, buildStripe, cidOf, createErasureCoder, splitData, type EncodedShard } from '@ddc/core';
import { checkAgainst, gatherAndRebuild, gatherShards, rebuildShards, sameStripe, type SourceCandidate } from '../src/workers/stripe.js';
import { randomBytes } from './helpers.js';

function stripe(length: number, k: number, m: number): EncodedShard[] {
  const piece = randomBytes(length);
  const data = splitData(piece, k);
  return buildStripe(cidOf(0x55, piece), length, k, m, [...data, ...createErasureCoder(k, m).encode(data)]);
}

test('gatherShards loads exactly k shards, tries another holder when one fails, and rejects wrong bytes', async () => {
  const s = stripe(100_000, 4, 2);
  const loads: string[] = [];
  const src = (index: number, from: string, bytes: Uint8Array | Error): SourceCandidate => ({
    index, from,
    load: async () => {
      loads.push(`${from}#${index}`);
      await new Promise((r) => setTimeout(r, 5));
      if (bytes instanceof Error) throw bytes;
      return bytes;
    },
  });
  const tampered = Uint8Array.from(s[2]!.bytes);
  tampered[tampered.length - 1]! ^= 1;
  const candidates = [
    src(1, 'a', new DdcError('DDC_NODE_UNAVAILABLE', 'down')),
    src(1, 'b', s[1]!.bytes),
    src(2, 'liar', tampered),
    src(3, 'c', s[3]!.bytes),
    src(4, 'd', s[4]!.bytes),
    src(5, 'e', s[5]!.bytes),
  ];
  const own = new Map([[0, checkAgainst(s[0]!.header)(s[0]!.bytes, 0)]]);
  const { shards, failures } = await gatherShards(candidates, 4, checkAgainst(s[0]!.header), undefined, own);
  assert.equal(shards.size, 4);
  assert.deepEqual(failures.map((f) => [f.from, f.error.code]).sort(), [['a', 'DDC_NODE_UNAVAILABLE'], ['liar', 'DDC_SHARD_ROOT_MISMATCH']]);
  assert.equal(loads.length - failures.length, 3, 'three good loads besides our own copy');
  const rebuilt = rebuildShards(s[0]!.header, shards, [1, 2]);
  assert.deepEqual(rebuilt.map((r) => r.id), [s[1]!.id, s[2]!.id]);
  assert.deepEqual(rebuilt[1]!.bytes, s[2]!.bytes);
});

test('rebuildShards refuses with fewer than k, and copies for k = 1', () => {
  const s = stripe(50_000, 4, 2);
  const check = checkAgainst(s[0]!.header);
  const two = new Map([0, 5].map((i) => [i, check(s[i]!.bytes, i)] as const));
  assert.throws(() => rebuildShards(s[0]!.header, two, [1]), (e: unknown) => (e as DdcError).code === 'DDC_PIECE_UNRECOVERABLE');
  const piece = randomBytes(3000);
  const copies = buildStripe(cidOf(0x55, piece), piece.length, 1, 2, [piece, piece, piece]);
  const one = new Map([[2, checkAgainst(copies[0]!.header)(copies[2]!.bytes, 2)]]);
  assert.deepEqual(rebuildShards(copies[0]!.header, one, [0, 1]).map((r) => r.bytes), [copies[0]!.bytes, copies[1]!.bytes]);
});

function source(index: number, from: string, bytes: Uint8Array | Error, loads: string[]): SourceCandidate {
  return {
    index, from,
    load: async () => {
      loads.push(`${from}#${index}`);
      if (bytes instanceof Error) throw bytes;
      return bytes;
    },
  };
}

test('gatherAndRebuild: honest sources are fetched once each and never hashed on their own', async () => {
  const s = stripe(100_000, 4, 2);
  const loads: string[] = [];
  const own = new Map([[0, checkAgainst(s[0]!.header)(s[0]!.bytes, 0)]]);
  const got = await gatherAndRebuild(s[0]!.header, [1, 2, 3, 4].map((i) => source(i, `n${i}`, s[i]!.bytes, loads)), own, [5]);
  assert.equal(got.error, undefined);
  assert.deepEqual(got.failures, []);
  assert.equal(loads.length, 3, 'k - 1 loads besides our own copy');
  assert.deepEqual(got.rebuilt!.map((r) => [r.index, r.id]), [[5, s[5]!.id]]);
  assert.deepEqual(got.rebuilt![0]!.bytes, s[5]!.bytes);
});

test('gatherAndRebuild: a source with a damaged payload is found, reported and replaced; the rebuilt shard is right', async () => {
  const s = stripe(100_000, 4, 2);
  const payloadAt = s[2]!.bytes.length - s[2]!.header.shardLength;
  for (const at of [0, 12_345, s[2]!.header.shardLength - 1]) {
    const loads: string[] = [];
    const tampered = Uint8Array.from(s[2]!.bytes);
    tampered[payloadAt + at]! ^= 0x10;
    const own = new Map([[0, checkAgainst(s[0]!.header)(s[0]!.bytes, 0)]]);
    const candidates = [source(2, 'liar', tampered, loads), source(3, 'c', s[3]!.bytes, loads), source(4, 'd', s[4]!.bytes, loads), source(2, 'honest', s[2]!.bytes, loads), source(5, 'e', s[5]!.bytes, loads)];
    const got = await gatherAndRebuild(s[0]!.header, candidates, own, [1]);
    assert.equal(got.error, undefined);
    assert.deepEqual(got.failures.map((f) => [f.from, f.index, f.error.code]), [['liar', 2, 'DDC_SHARD_ROOT_MISMATCH']]);
    assert.deepEqual(loads.filter((l) => l === 'liar#2'), ['liar#2'], 'the liar is asked once');
    assert.ok(loads.includes('honest#2'), 'its index is fetched again from another holder');
    assert.deepEqual(got.rebuilt![0]!.bytes, s[1]!.bytes);
  }
});

test('gatherAndRebuild: with no honest replacement for a liar nothing is rebuilt, and the liar is reported', async () => {
  const s = stripe(60_000, 4, 2);
  const loads: string[] = [];
  const tampered = Uint8Array.from(s[3]!.bytes);
  tampered[tampered.length - 5]! ^= 1;
  const own = new Map([[0, checkAgainst(s[0]!.header)(s[0]!.bytes, 0)]]);
  const got = await gatherAndRebuild(s[0]!.header, [source(1, 'a', s[1]!.bytes, loads), source(2, 'b', s[2]!.bytes, loads), source(3, 'liar', tampered, loads)], own, [4, 5]);
  assert.equal(got.rebuilt, undefined);
  assert.equal(got.error?.code, 'DDC_PIECE_UNRECOVERABLE');
  assert.equal(got.enough, false);
  assert.deepEqual(got.failures.map((f) => [f.from, f.error.code]), [['liar', 'DDC_SHARD_ROOT_MISMATCH']]);
});

test('sameStripe refuses a shard of another index, another stripe or a wrong length, without hashing the payload', () => {
  const s = stripe(50_000, 4, 2);
  const other = stripe(50_000, 4, 2);
  const check = sameStripe(s[0]!.header);
  assert.equal(check(s[3]!.bytes, 3).payload.length, s[3]!.header.shardLength);
  const code = (f: () => unknown) => { try { f(); return 'none'; } catch (e) { return (e as DdcError).code; } };
  assert.equal(code(() => check(s[3]!.bytes, 2)), 'DDC_SHARD_MALFORMED');
  assert.equal(code(() => check(other[3]!.bytes, 3)), 'DDC_SHARD_MALFORMED');
  assert.equal(code(() => check(s[3]!.bytes.subarray(0, s[3]!.bytes.length - 1), 3)), 'DDC_SHARD_MALFORMED');
  const flipped = Uint8Array.from(s[3]!.bytes);
  flipped[flipped.length - 1]! ^= 1;
  assert.equal(code(() => check(flipped, 3)), 'none', 'payload damage is left to the rebuilt shard\'s check');
});
