// Golden vectors from klauspost/reedsolomon (see test/vectors/rs/gen) and API edge cases, on every backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createErasureCoder, erasureBackend, joinData, shardSize, splitData, type ErasureBackend } from '../src/erasure/index.js';
import { isDdcError, toHex, fromHex } from '../src/index.js';

interface Vector { k: number; m: number; length: number; data: string; shards: string[] }
const golden = JSON.parse(readFileSync(new URL('../../test/vectors/rs/klauspost.json', import.meta.url), 'utf8')) as { vectors: Vector[] };
const BACKENDS: ErasureBackend[] = ['js', 'wasm'];

test('auto backend is WebAssembly SIMD on this Node', () => {
  assert.equal(erasureBackend(), 'wasm-simd');
  assert.equal(createErasureCoder(4, 2).backend, 'wasm-simd');
  assert.equal(createErasureCoder(4, 2, { backend: 'js' }).backend, 'js');
});

test('golden vectors cover the planned parameter sets', () => {
  assert.ok(golden.vectors.length >= 50);
  for (const km of ['1+2', '2+1', '4+2', '6+3', '10+4', '17+3']) assert.ok(golden.vectors.some((v) => `${v.k}+${v.m}` === km), km);
});

for (const backend of BACKENDS) {
  test(`[${backend}] split + encode match klauspost byte for byte`, () => {
    for (const v of golden.vectors) {
      const coder = createErasureCoder(v.k, v.m, { backend });
      const data = fromHex(v.data);
      const shards = splitData(data, v.k);
      assert.equal(shards.length, v.k);
      assert.equal(shardSize(v.length, v.k), shards[0]!.length);
      const all = [...shards, ...coder.encode(shards)];
      assert.deepEqual(all.map(toHex), v.shards, `k=${v.k} m=${v.m} length=${v.length}`);
      assert.deepEqual(joinData(shards, v.length), data);
    }
  });

  test(`[${backend}] golden stripes rebuild from any k shards`, () => {
    for (const v of golden.vectors) {
      const coder = createErasureCoder(v.k, v.m, { backend });
      const n = v.k + v.m;
      const expected = v.shards.map(fromHex);
      // Drop the first m, the last m, and every other shard up to m: data-only, parity-only and mixed losses.
      const patterns = [
        Array.from({ length: v.m }, (_, i) => i),
        Array.from({ length: v.m }, (_, i) => n - 1 - i),
        Array.from({ length: Math.min(v.m, Math.ceil(n / 2)) }, (_, i) => (2 * i) % n),
      ];
      for (const lost of patterns) {
        const partial = expected.map((s, i) => (lost.includes(i) ? undefined : s));
        assert.deepEqual(coder.reconstruct(partial).map(toHex), v.shards, `k=${v.k} m=${v.m} lost=${lost}`);
        assert.deepEqual(coder.reconstructData(partial).map(toHex), v.shards.slice(0, v.k));
        // Only the lost ones asked for, each alone and all together, into arrays given (with stale bytes in them).
        const stale = () => expected[0]!.map((b) => b ^ 0x5a);
        for (const want of [...lost.map((i) => [i]), lost]) {
          const outputs = want.map(stale);
          coder.reconstructInto(partial, want, outputs);
          assert.deepEqual(outputs.map(toHex), want.map((i) => v.shards[i]), `into: k=${v.k} m=${v.m} want=${want}`);
        }
      }
    }
  });
}

test('RS(1, m) is replication', () => {
  for (const backend of BACKENDS) {
    const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) & 255);
    const parity = createErasureCoder(1, 3, { backend }).encode([data]);
    for (const p of parity) assert.deepEqual(p, data);
  }
});

test('reconstruct returns present shards as-is and allocates the missing ones', () => {
  const coder = createErasureCoder(4, 2);
  const data = splitData(Uint8Array.from({ length: 4000 }, (_, i) => i & 255), 4);
  const all = [...data, ...coder.encode(data)];
  const out = coder.reconstruct([all[0], undefined, all[2], all[3], undefined, all[5]]);
  assert.equal(out.length, 6);
  assert.equal(out[0], all[0]);
  assert.equal(out[5], all[5]);
  assert.deepEqual(out[1], all[1]);
  assert.deepEqual(out[4], all[4]);
  assert.equal(coder.reconstructData([all[0], undefined, all[2], all[3], undefined, all[5]]).length, 4);
  assert.deepEqual(coder.reconstruct(all), all);
});

test('reconstructInto refuses what it cannot do, with a typed error', () => {
  const coder = createErasureCoder(4, 2);
  const data = splitData(Uint8Array.from({ length: 4000 }, (_, i) => i & 255), 4);
  const all = [...data, ...coder.encode(data)];
  const slots = [all[0], undefined, all[2], all[3], all[4], undefined];
  const out = () => new Uint8Array(all[0]!.length);
  const code = (f: () => void) => {
    try {
      f();
    } catch (e) {
      return isDdcError(e) ? e.code : 'not a DdcError';
    }
    return 'no error';
  };
  assert.equal(code(() => coder.reconstructInto(slots, [0], [out()])), 'DDC_INVALID_ARGUMENT'); // present, not missing
  assert.equal(code(() => coder.reconstructInto(slots, [1, 1], [out(), out()])), 'DDC_INVALID_ARGUMENT');
  assert.equal(code(() => coder.reconstructInto(slots, [6], [out()])), 'DDC_INVALID_ARGUMENT');
  assert.equal(code(() => coder.reconstructInto(slots, [1], [])), 'DDC_INVALID_ARGUMENT');
  assert.equal(code(() => coder.reconstructInto(slots, [1], [new Uint8Array(3)])), 'DDC_INVALID_ARGUMENT');
  assert.equal(code(() => coder.reconstructInto([all[0], undefined, undefined, all[3], undefined, all[5]], [1], [out()])), 'DDC_PIECE_UNRECOVERABLE');
  const one = out();
  coder.reconstructInto(slots, [1], [one]);
  assert.deepEqual(one, all[1]);
});

test('splitData: views, padding, empty input', () => {
  const data = Uint8Array.from([1, 2, 3, 4, 5, 6, 7]);
  const shards = splitData(data, 3);
  assert.deepEqual(shards.map((s) => [...s]), [[1, 2, 3], [4, 5, 6], [7, 0, 0]]);
  assert.equal(shards[0]!.buffer, data.buffer, 'whole shards are views');
  assert.deepEqual(splitData(Uint8Array.of(9), 4).map((s) => [...s]), [[9], [0], [0], [0]]);
  const empty = splitData(new Uint8Array(0), 4);
  assert.deepEqual(empty.map((s) => s.length), [0, 0, 0, 0]);
  assert.equal(shardSize(0, 4), 0);
  const coder = createErasureCoder(4, 2);
  assert.deepEqual(coder.encode(empty).map((s) => s.length), [0, 0]);
  assert.deepEqual(coder.reconstruct([undefined, undefined, ...empty.slice(2), new Uint8Array(0), new Uint8Array(0)]).map((s) => s.length), [0, 0, 0, 0, 0, 0]);
  assert.deepEqual(joinData(empty, 0), new Uint8Array(0));
  assert.throws(() => joinData(shards, 10), (e) => isDdcError(e, 'DDC_INVALID_ARGUMENT'));
  assert.throws(() => shardSize(-1, 2), (e) => isDdcError(e, 'DDC_INVALID_ARGUMENT'));
});

test('bad parameters throw DDC_ERASURE_PARAMS', () => {
  for (const [k, m] of [[0, 2], [-1, 1], [4, -1], [200, 57], [1.5, 1], [4, NaN], [257, 0]] as const) {
    assert.throws(() => createErasureCoder(k, m), (e) => isDdcError(e, 'DDC_ERASURE_PARAMS') && /k >= 1/.test((e as Error).message), `${k},${m}`);
  }
  assert.throws(() => splitData(new Uint8Array(4), 0), (e) => isDdcError(e, 'DDC_ERASURE_PARAMS'));
  assert.equal(createErasureCoder(255, 1).k, 255);
  assert.equal(createErasureCoder(256, 0).m, 0);
  assert.equal(createErasureCoder(4, 2), createErasureCoder(4, 2), 'coders are cached');
});

test('misuse throws typed errors with a fix', () => {
  const coder = createErasureCoder(3, 2);
  const s = [new Uint8Array(4), new Uint8Array(4), new Uint8Array(4)];
  assert.throws(() => coder.encode(s.slice(0, 2)), (e) => isDdcError(e, 'DDC_INVALID_ARGUMENT'));
  assert.throws(() => coder.encode([s[0]!, s[1]!, new Uint8Array(5)]), (e) => isDdcError(e, 'DDC_INVALID_ARGUMENT') && /same length/.test((e as Error).message));
  assert.throws(() => coder.reconstruct(s), (e) => isDdcError(e, 'DDC_INVALID_ARGUMENT'));
  assert.throws(() => coder.reconstruct([s[0], undefined, s[2], new Uint8Array(3), undefined]), (e) => isDdcError(e, 'DDC_INVALID_ARGUMENT'));
  assert.throws(
    () => coder.reconstruct([s[0], undefined, undefined, s[1], undefined]),
    (e) => isDdcError(e, 'DDC_PIECE_UNRECOVERABLE') && e.status === 503 && /Fetch more shards/.test(e.message),
  );
  assert.throws(() => coder.reconstructData([undefined, undefined, undefined, s[0], s[1]]), (e) => isDdcError(e, 'DDC_PIECE_UNRECOVERABLE'));
});

test('the relaxed-SIMD swizzle variant gives the same bytes (child Node with the feature on)', () => {
  // Node 20 keeps relaxed SIMD behind a flag; later runtimes pick it by default, so check it here.
  const script = `
    import { emitGfModule } from ${JSON.stringify(new URL('../src/erasure/wasm-module.js', import.meta.url).href)};
    import { createWasmKernel } from ${JSON.stringify(new URL('../src/erasure/kernel-wasm.js', import.meta.url).href)};
    import { jsKernel } from ${JSON.stringify(new URL('../src/erasure/kernel-js.js', import.meta.url).href)};
    if (!WebAssembly.validate(emitGfModule(true))) throw new Error('relaxed module does not validate');
    const coefs = Uint8Array.from({ length: 15 }, (_, i) => (i * 37 + 1) & 255);
    const ins = Array.from({ length: 5 }, (_, c) => Uint8Array.from({ length: 40001 }, (_, i) => (i * 31 + c * 101) & 255));
    const a = [0, 1, 2].map(() => new Uint8Array(40001)), b = [0, 1, 2].map(() => new Uint8Array(40001));
    createWasmKernel(true).apply(coefs, ins, a);
    jsKernel.apply(coefs, ins, b);
    if (a.some((x, r) => x.some((v, i) => v !== b[r][i]))) throw new Error('relaxed kernel differs');
    console.log('ok');`;
  const r = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--input-type=module', '-e', script], { encoding: 'utf8' });
  const res = /bad option/.test(r.stderr) ? spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }) : r;
  assert.equal(res.stdout.trim(), 'ok', res.stderr);
});
