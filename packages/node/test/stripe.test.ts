import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DdcError, buildStripe, cidOf, createErasureCoder, splitData, type EncodedShard } from '@ddc/core';
import { checkAgainst, gatherShards, rebuildShards, type SourceCandidate } from '../src/workers/stripe.js';
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
