/** Small dense matrices over GF(2^8), stored row-major in one Uint8Array. */
import { gfInv, gfMul, gfPow } from './gf256.js';

export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Uint8Array;
}

export function matrix(rows: number, cols: number, data = new Uint8Array(rows * cols)): Matrix {
  return { rows, cols, data };
}

export function vandermonde(rows: number, cols: number): Matrix {
  const m = matrix(rows, cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) m.data[r * cols + c] = gfPow(r, c);
  return m;
}

export function multiply(a: Matrix, b: Matrix): Matrix {
  const out = matrix(a.rows, b.cols);
  for (let r = 0; r < a.rows; r++) {
    for (let c = 0; c < b.cols; c++) {
      let v = 0;
      for (let i = 0; i < a.cols; i++) v ^= gfMul(a.data[r * a.cols + i]!, b.data[i * b.cols + c]!);
      out.data[r * b.cols + c] = v;
    }
  }
  return out;
}

/** The listed rows of m, in that order. */
export function selectRows(m: Matrix, rows: readonly number[]): Matrix {
  const out = matrix(rows.length, m.cols);
  rows.forEach((r, i) => out.data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols));
  return out;
}

/** Gauss-Jordan inverse; throws if singular (never for square subsets of the encoding matrix). */
export function invert(m: Matrix): Matrix {
  const n = m.rows;
  const a = Uint8Array.from(m.data);
  const inv = matrix(n, n);
  for (let i = 0; i < n; i++) inv.data[i * n + i] = 1;
  const swap = (buf: Uint8Array, r1: number, r2: number): void => {
    const t = buf.slice(r1 * n, (r1 + 1) * n);
    buf.copyWithin(r1 * n, r2 * n, (r2 + 1) * n);
    buf.set(t, r2 * n);
  };
  for (let col = 0; col < n; col++) {
    let pivot = col;
    while (pivot < n && a[pivot * n + col] === 0) pivot++;
    if (pivot === n) throw new RangeError('matrix is singular');
    if (pivot !== col) {
      swap(a, pivot, col);
      swap(inv.data, pivot, col);
    }
    const scale = gfInv(a[col * n + col]!);
    for (let j = 0; j < n; j++) {
      a[col * n + j] = gfMul(a[col * n + j]!, scale);
      inv.data[col * n + j] = gfMul(inv.data[col * n + j]!, scale);
    }
    for (let r = 0; r < n; r++) {
      const f = r === col ? 0 : a[r * n + col]!;
      if (f === 0) continue;
      for (let j = 0; j < n; j++) {
        a[r * n + j] = a[r * n + j]! ^ gfMul(f, a[col * n + j]!);
        inv.data[r * n + j] = inv.data[r * n + j]! ^ gfMul(f, inv.data[col * n + j]!);
      }
    }
  }
  return inv;
}

/** klauspost's default: Vandermonde (k+m) x k times the inverse of its top k x k, so the top is the identity. */
export function encodingMatrix(k: number, m: number): Matrix {
  const vm = vandermonde(k + m, k);
  const top = matrix(k, k, vm.data.slice(0, k * k));
  return multiply(vm, invert(top));
}
