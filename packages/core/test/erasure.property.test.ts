// Property tests: every pattern of up to m lost shards rebuilds byte-identical, on every backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createErasureCoder, joinData, splitData, type ErasureBackend } from '../src/erasure/index.js';
import { isDdcError } from '../src/index.js';

const BACKENDS: ErasureBackend[] = ['js', 'wasm'];
const MAX_PATTERNS = 400;

function binomial(n: number, r: number): number {
  let v = 1;
  for (let i = 0; i < r; i++) v = (v * (n - i)) / (i + 1);
  return v;
}

/** All index sets of size 1..maxLost out of n, or `MAX_PATTERNS` random ones when there are too many. */
function lossPatterns(n: number, maxLost: number, seed: number): number[][] {
  let total = 0;
  for (let r = 1; r <= maxLost; r++) total += binomial(n, r);
  if (total <= MAX_PATTERNS) {
    const out: number[][] = [];
    const walk = (from: number, chosen: number[]): void => {
      if (chosen.length > 0) out.push(chosen);
      if (chosen.length === maxLost) return;
      for (let i = from; i < n; i++) walk(i + 1, [...chosen, i]);
    };
    walk(0, []);
    return out;
  }
  let s = seed | 1;
  const rand = (below: number): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % below;
  };
  return Array.from({ length: MAX_PATTERNS }, (_, i) => {
    const size = i < 50 ? maxLost : 1 + rand(maxLost); // always include many worst cases
    const set = new Set<number>();
    while (set.size < size) set.add(rand(n));
    return [...set].sort((a, b) => a - b);
  });
}

const params = fc
  .record({ k: fc.integer({ min: 1, max: 17 }), m: fc.integer({ min: 0, max: 10 }) })
  .filter(({ k, m }) => k + m <= 20);

for (const backend of BACKENDS) {
  test(`[${backend}] any m losses rebuild byte-identical; m+1 losses are unrecoverable`, () => {
    fc.assert(
      fc.property(params, fc.uint8Array({ minLength: 0, maxLength: 3000 }), fc.integer(), ({ k, m }, piece, seed) => {
        const coder = createErasureCoder(k, m, { backend });
        const data = splitData(piece, k);
        const all = [...data, ...coder.encode(data)];
        assert.deepEqual(joinData(data, piece.length), piece);
        for (const lost of lossPatterns(k + m, m, seed)) {
          const partial = all.map((s, i) => (lost.includes(i) ? undefined : s));
          assert.deepEqual(coder.reconstruct(partial), all, `k=${k} m=${m} lost=${lost}`);
          assert.deepEqual(joinData(coder.reconstructData(partial), piece.length), piece);
        }
        const tooMany = all.map((s, i) => (i <= m ? undefined : s));
        assert.throws(() => coder.reconstruct(tooMany), (e) => isDdcError(e, 'DDC_PIECE_UNRECOVERABLE'));
      }),
      { numRuns: 100 },
    );
  });
}

test('wasm and js agree on long, odd-length and unaligned shards', () => {
  fc.assert(
    fc.property(params, fc.integer({ min: 1, max: 70_000 }), fc.integer({ min: 0, max: 7 }), ({ k, m }, len, offset) => {
      // An offset view makes every shard unaligned; lengths cross the 16 KiB staging chunks.
      const buf = new Uint8Array(len * k + offset);
      for (let i = 0; i < buf.length; i++) buf[i] = (i * 2654435761) >>> 23;
      const data = splitData(buf.subarray(offset), k);
      const wasm = createErasureCoder(k, m, { backend: 'wasm' }).encode(data);
      assert.deepEqual(createErasureCoder(k, m, { backend: 'js' }).encode(data), wasm);
      const partial = [...data, ...wasm].map((s, i) => (i < Math.min(m, k) ? undefined : s));
      assert.deepEqual(createErasureCoder(k, m, { backend: 'js' }).reconstructData(partial), data);
      assert.deepEqual(createErasureCoder(k, m, { backend: 'wasm' }).reconstructData(partial), data);
    }),
    { numRuns: 25 },
  );
});

test('bad parameters always throw DDC_ERASURE_PARAMS', () => {
  const bad = fc.oneof(
    fc.record({ k: fc.integer({ max: 0 }), m: fc.integer({ min: 0, max: 10 }) }),
    fc.record({ k: fc.integer({ min: 1, max: 10 }), m: fc.integer({ max: -1 }) }),
    fc.record({ k: fc.integer({ min: 1, max: 300 }), m: fc.integer({ min: 0, max: 300 }) }).filter(({ k, m }) => k + m > 256),
    fc.record({ k: fc.double({ noInteger: true }), m: fc.integer({ min: 0, max: 4 }) }),
  );
  fc.assert(
    fc.property(bad, ({ k, m }) => {
      assert.throws(() => createErasureCoder(k, m), (e) => isDdcError(e, 'DDC_ERASURE_PARAMS'));
    }),
  );
});
