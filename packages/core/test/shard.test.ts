import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { create as digestOf } from 'multiformats/hashes/digest';
import {
  buildStripe, decodeShardHeader, encodeShardHeader, verifyShard, ShardVerifier, DdcError, sha256, shardLengthFor, SHARD_FIXED_HEADER,
} from '../src/index.js';

function cidOf(bytes: Uint8Array): CID {
  return CID.createV1(raw.code, digestOf(0x12, sha256(bytes)));
}

function stripeOf(piece: Uint8Array, k: number, m: number) {
  const len = shardLengthFor(piece.length, k);
  // Payloads need not be real parity for format tests: any bytes of the right length.
  const payloads = Array.from({ length: k + m }, (_, i) => {
    const p = new Uint8Array(len);
    p.set(piece.subarray(i * len, (i + 1) * len));
    if (i >= k) p.fill(i);
    return p;
  });
  return buildStripe(cidOf(piece), piece.length, k, m, payloads);
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DdcError, `expected DdcError, got ${String(e)}`);
    return e.code;
  }
  return 'no error';
}

test('header round-trips and every shard verifies against its own id', () => {
  const piece = new Uint8Array(100_003).map((_, i) => (i * 31) & 0xff);
  const shards = stripeOf(piece, 4, 2);
  assert.equal(shards.length, 6);
  for (const s of shards) {
    const { header, headerLength } = decodeShardHeader(s.bytes);
    assert.deepEqual(encodeShardHeader(header), s.bytes.subarray(0, headerLength));
    assert.equal(header.pieceCid.toString(), s.header.pieceCid.toString());
    assert.equal(verifyShard(s.bytes, s.id).id, s.id);
  }
  assert.equal(new Set(shards.map((s) => s.id)).size, 6);
});

test('the same bytes in two pieces get different shard ids', () => {
  const a = new Uint8Array(4096);
  const b = new Uint8Array(4097);
  const sa = stripeOf(a, 1, 2);
  const sb = stripeOf(b, 1, 2);
  assert.notEqual(sa[0]!.id, sb[0]!.id);
});

test('a flipped bit anywhere is caught with a stable code', () => {
  const shards = stripeOf(new Uint8Array(70_000).fill(9), 4, 2);
  const s = shards[1]!;
  fc.assert(
    // Half the flips aim at the header, where a miss would be easy to overlook.
    fc.property(fc.nat(s.bytes.length - 1), fc.nat(300), fc.boolean(), fc.integer({ min: 0, max: 7 }), (anywhere, inHeader, aimHeader, bit) => {
      const pos = aimHeader ? inHeader % decodeShardHeader(s.bytes).headerLength : anywhere;
      const bad = s.bytes.slice();
      bad[pos]! ^= 1 << bit;
      const c = code(() => verifyShard(bad, s.id));
      assert.ok(['DDC_SHARD_MALFORMED', 'DDC_SHARD_ROOT_MISMATCH', 'DDC_SHARD_UNSUPPORTED_VERSION'].includes(c), c);
    }),
    { numRuns: 300 },
  );
});

test('wrong requested id, truncation and extra bytes are refused', () => {
  const s = stripeOf(new Uint8Array(5000).fill(1), 1, 2)[0]!;
  assert.equal(code(() => verifyShard(s.bytes, '00'.repeat(32))), 'DDC_SHARD_ROOT_MISMATCH');
  assert.equal(code(() => verifyShard(s.bytes.subarray(0, s.bytes.length - 1))), 'DDC_SHARD_MALFORMED');
  const longer = new Uint8Array(s.bytes.length + 1);
  longer.set(s.bytes);
  assert.equal(code(() => verifyShard(longer)), 'DDC_SHARD_MALFORMED');
  assert.equal(code(() => verifyShard(new Uint8Array(3))), 'DDC_SHARD_MALFORMED');
  const v2 = s.bytes.slice();
  v2[4] = 2;
  assert.equal(code(() => verifyShard(v2)), 'DDC_SHARD_UNSUPPORTED_VERSION');
});

test('header parser never throws anything but a typed error on random input (fuzz)', () => {
  const good = stripeOf(new Uint8Array(300).fill(3), 2, 1)[0]!.bytes;
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(), (noise, cut) => {
      // Random bytes, and a valid prefix spliced with noise, which reaches deeper checks.
      for (const input of [noise, Uint8Array.from([...good.subarray(0, cut % good.length), ...noise])]) {
        const c = code(() => verifyShard(input));
        assert.ok(c.startsWith('DDC_SHARD_') || c === 'no error', c);
      }
    }),
    { numRuns: 2000 },
  );
});

test('streaming verifier keeps no part: the caller may overwrite each part once update returns (Buffer and Uint8Array)', () => {
  const shards = stripeOf(new Uint8Array(50_000).map((_, i) => (i * 7) & 0xff), 2, 2);
  for (const s of shards) {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 20_000 }), { minLength: 1, maxLength: 8 }), fc.boolean(), (sizes, asBuffer) => {
        const reused = asBuffer ? Buffer.alloc(20_000) : new Uint8Array(20_000);
        const v = new ShardVerifier(1 << 20);
        for (let off = 0, i = 0; off < s.bytes.length; i++) {
          const n = Math.min(sizes[i % sizes.length]!, s.bytes.length - off);
          reused.set(s.bytes.subarray(off, off + n));
          v.update(reused.subarray(0, n));
          reused.fill(0xa5); // what a reader does next: read into the same memory
          off += n;
        }
        assert.equal(v.finish(s.id).id, s.id);
      }),
      { numRuns: 50 },
    );
  }
});

test('streaming verifier agrees with verifyShard for any split, and enforces limits', () => {
  const shards = stripeOf(new Uint8Array(50_000).map((_, i) => i & 0xff), 2, 2);
  const s = shards[3]!;
  fc.assert(
    fc.property(fc.array(fc.nat(s.bytes.length), { maxLength: 5 }), (cuts) => {
      const v = new ShardVerifier(1 << 20);
      const points = [...new Set(cuts)].sort((a, b) => a - b);
      let off = 0;
      for (const p of [...points, s.bytes.length]) {
        v.update(s.bytes.subarray(off, p));
        off = p;
      }
      assert.equal(v.finish(s.id).id, s.id);
    }),
    { numRuns: 100 },
  );
  const small = new ShardVerifier(100);
  assert.equal(code(() => small.update(s.bytes)), 'DDC_TOO_LARGE');
  const early = new ShardVerifier(1 << 20);
  early.update(s.bytes.subarray(0, SHARD_FIXED_HEADER + 5));
  assert.equal(code(() => early.finish()), 'DDC_SHARD_MALFORMED');
  const short = new ShardVerifier(1 << 20);
  short.update(s.bytes.subarray(0, s.bytes.length - 10));
  assert.equal(code(() => short.finish()), 'DDC_SHARD_MALFORMED');
});
