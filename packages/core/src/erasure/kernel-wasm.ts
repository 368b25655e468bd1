/** WebAssembly SIMD kernel: shards are staged through wasm memory a chunk at a time. */
import { MUL } from './gf256.js';
import type { GfKernel } from './kernel.js';
import { STEP, emitGfModule } from './wasm-module.js';

type MulFn = (tbl: number, inp: number, out: number, k: number, rows: number, len: number, stride: number) => void;

// Small enough that k inputs + m outputs of one chunk stay in L1/L2, big enough to amortise calls.
const CHUNK = 16 * 1024;
const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to;

/** Nibble tables per coefficient matrix: 32 bytes per coefficient, row-major (see wasm-module.ts). */
const tableCache = new WeakMap<Uint8Array, Uint8Array>();
function nibbleTables(coefs: Uint8Array): Uint8Array {
  let t = tableCache.get(coefs);
  if (t) return t;
  t = new Uint8Array(coefs.length * 32);
  for (let i = 0; i < coefs.length; i++) {
    const row = coefs[i]! << 8;
    for (let x = 0; x < 16; x++) {
      t[i * 32 + x] = MUL[row | x]!;
      t[i * 32 + 16 + x] = MUL[row | (x << 4)]!;
    }
  }
  tableCache.set(coefs, t);
  return t;
}

function makeKernel(mul: MulFn, memory: WebAssembly.Memory, name: 'wasm-simd'): GfKernel {
  let heap = new Uint8Array(memory.buffer);
  const reserve = (bytes: number): void => {
    if (bytes > memory.buffer.byteLength) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
    if (heap.buffer !== memory.buffer) heap = new Uint8Array(memory.buffer);
  };
  let loaded: Uint8Array | undefined; // tables already in memory: repeated encodes skip the copy
  return {
    name,
    apply(coefs, inputs, outputs) {
      const k = inputs.length;
      const rows = outputs.length;
      const len = outputs[0]?.length ?? 0;
      if (len === 0 || rows === 0) return;
      const tables = nibbleTables(coefs);
      const stride = Math.min(CHUNK, roundUp(len, STEP));
      const inp = roundUp(tables.length, 64);
      const out = inp + k * stride;
      reserve(out + rows * stride);
      if (loaded !== tables) {
        heap.set(tables, 0);
        loaded = tables;
      }
      for (let start = 0; start < len; start += stride) {
        const n = Math.min(stride, len - start);
        for (let c = 0; c < k; c++) heap.set(inputs[c]!.subarray(start, start + n), inp + c * stride);
        // Bytes past n in the last chunk are stale; their products land past n and are never copied out.
        mul(0, inp, out, k, rows, roundUp(n, STEP), stride);
        for (let r = 0; r < rows; r++) outputs[r]!.set(heap.subarray(out + r * stride, out + r * stride + n), start);
      }
    },
  };
}

/** Compiles the kernel, or returns undefined where WebAssembly SIMD is missing. `relaxed` tries relaxed-SIMD swizzle first. */
export function createWasmKernel(relaxed = true): GfKernel | undefined {
  if (typeof WebAssembly !== 'object') return undefined;
  for (const r of relaxed ? [true, false] : [false]) {
    const bytes = emitGfModule(r);
    try {
      if (!WebAssembly.validate(bytes)) continue;
      // Synchronous compile is allowed everywhere for modules this small (< 4 KB).
      const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes));
      return makeKernel(exports['f'] as MulFn, exports['m'] as WebAssembly.Memory, 'wasm-simd');
    } catch {
      // A runtime that validates but refuses to compile (e.g. a CSP without wasm-unsafe-eval): try the next.
    }
  }
  return undefined;
}
