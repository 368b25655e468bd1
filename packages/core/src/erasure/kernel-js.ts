/** Pure-JS kernel: 64 KiB product table, 4 bytes per step through Uint32 views. */
import { MUL } from './gf256.js';
import type { GfKernel } from './kernel.js';

// Work in blocks so the k inputs and the output stay in cache across the m rows.
const BLOCK = 16 * 1024;
let scratch = new Uint8Array(0);

function aligned(a: Uint8Array): boolean {
  return (a.byteOffset & 3) === 0;
}

/** Words view of a[from, from+words*4) when a is 4-aligned. */
function words(a: Uint8Array, from: number, count: number): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset + from, count);
}

function mulWords(g: number, src: Uint32Array, dst: Uint32Array, first: boolean): void {
  const n = src.length;
  if (g === 1) {
    if (first) dst.set(src);
    else for (let i = 0; i < n; i++) dst[i] = dst[i]! ^ src[i]!;
    return;
  }
  const t = MUL.subarray(g << 8, (g << 8) + 256);
  if (first) {
    for (let i = 0; i < n; i++) {
      const w = src[i]!;
      dst[i] = t[w & 255]! | (t[(w >>> 8) & 255]! << 8) | (t[(w >>> 16) & 255]! << 16) | (t[w >>> 24]! << 24);
    }
  } else {
    for (let i = 0; i < n; i++) {
      const w = src[i]!;
      dst[i] = dst[i]! ^ (t[w & 255]! | (t[(w >>> 8) & 255]! << 8) | (t[(w >>> 16) & 255]! << 16) | (t[w >>> 24]! << 24));
    }
  }
}

function mulBytes(g: number, src: Uint8Array, dst: Uint8Array, first: boolean): void {
  const t = MUL.subarray(g << 8, (g << 8) + 256);
  for (let i = 0; i < src.length; i++) dst[i] = (first ? 0 : dst[i]!) ^ t[src[i]!]!;
}

export const jsKernel: GfKernel = {
  name: 'js',
  apply(coefs, inputs, outputs) {
    const k = inputs.length;
    const len = outputs[0]?.length ?? 0;
    const body = len & ~3;
    // Unaligned inputs (views from splitData) are copied once per block into aligned scratch.
    const copyIn = inputs.some((a) => !aligned(a));
    if (copyIn && scratch.length < k * BLOCK) scratch = new Uint8Array(k * BLOCK);
    for (let start = 0; start < body; start += BLOCK) {
      const n = Math.min(BLOCK, body - start);
      const ins = inputs.map((a, c) => {
        if (!copyIn) return words(a, start, n >> 2);
        scratch.set(a.subarray(start, start + n), c * BLOCK);
        return words(scratch, c * BLOCK, n >> 2);
      });
      outputs.forEach((out, r) => {
        const dst = aligned(out) ? words(out, start, n >> 2) : undefined;
        if (!dst) {
          for (let c = 0; c < k; c++) mulBytes(coefs[r * k + c]!, inputs[c]!.subarray(start, start + n), out.subarray(start, start + n), c === 0);
          return;
        }
        for (let c = 0; c < k; c++) {
          const g = coefs[r * k + c]!;
          if (g === 0 && c > 0) continue;
          if (g === 0) dst.fill(0);
          else mulWords(g, ins[c]!, dst, c === 0);
        }
      });
    }
    if (body < len) {
      outputs.forEach((out, r) => {
        for (let c = 0; c < k; c++) mulBytes(coefs[r * k + c]!, inputs[c]!.subarray(body), out.subarray(body), c === 0);
      });
    }
  },
};
