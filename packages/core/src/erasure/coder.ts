/** Systematic Reed-Solomon RS(k, m) over GF(2^8), byte-compatible with klauspost/reedsolomon. */
import { DdcError } from '../errors.js';
import { gfMul } from './gf256.js';
import type { GfKernel } from './kernel.js';
import { jsKernel } from './kernel-js.js';
import { createWasmKernel } from './kernel-wasm.js';
import { encodingMatrix, invert, selectRows, type Matrix } from './matrix.js';

export interface ErasureCoder {
  readonly k: number;
  readonly m: number;
  /** Which inner loop this coder runs: 'wasm-simd' or 'js'. */
  readonly backend: GfKernel['name'];
  /** data: k shards of equal length. Returns the m parity shards (new arrays). */
  encode(data: readonly Uint8Array[]): Uint8Array[];
  /** Like encode, into the m given arrays of the data shards' length (views into pooled shard buffers). */
  encodeInto(data: readonly Uint8Array[], parity: readonly Uint8Array[]): void;
  /** shards: length k+m, undefined where missing. Returns all k+m (present ones as-is, missing ones rebuilt). */
  reconstruct(shards: readonly (Uint8Array | undefined)[]): Uint8Array[];
  /** Like reconstruct, but rebuilds and returns only the k data shards (cheaper when parity is missing too). */
  reconstructData(shards: readonly (Uint8Array | undefined)[]): Uint8Array[];
  /**
   * Rebuilds only the shards at `indexes` (each absent from `shards`) into `outputs`, arrays of
   * the shards' length: what a repair needs, without rebuilding the slots it did not fetch.
   */
  reconstructInto(shards: readonly (Uint8Array | undefined)[], indexes: readonly number[], outputs: readonly Uint8Array[]): void;
}

export type ErasureBackend = 'auto' | 'wasm' | 'js';

export interface ErasureCoderOptions {
  /** 'auto' (default) picks WebAssembly SIMD when the runtime has it, else pure JS. */
  backend?: ErasureBackend;
}

let wasmKernel: GfKernel | null | undefined;
function getWasmKernel(): GfKernel | undefined {
  if (wasmKernel === undefined) wasmKernel = createWasmKernel() ?? null;
  return wasmKernel ?? undefined;
}

/** The kernel 'auto' resolves to in this runtime. */
export function erasureBackend(): GfKernel['name'] {
  return getWasmKernel()?.name ?? 'js';
}

function pickKernel(backend: ErasureBackend): GfKernel {
  if (backend === 'js') return jsKernel;
  const w = getWasmKernel();
  if (w) return w;
  if (backend === 'auto') return jsKernel;
  throw new DdcError('DDC_INVALID_ARGUMENT', 'WebAssembly SIMD is not available in this runtime', {
    hint: "Use backend 'auto' or 'js', or a runtime with WebAssembly SIMD (Node >= 16.4, current browsers)",
  });
}

// Decode matrices per erasure pattern; bounded because a stripe has at most C(256, k) patterns.
const MAX_CACHED_PATTERNS = 1024;

class ReedSolomon implements ErasureCoder {
  readonly backend: GfKernel['name'];
  private readonly matrix: Matrix;
  private readonly parity: Uint8Array;
  private readonly patterns = new Map<string, Uint8Array>();

  constructor(
    readonly k: number,
    readonly m: number,
    private readonly kernel: GfKernel,
  ) {
    this.backend = kernel.name;
    this.matrix = encodingMatrix(k, m);
    this.parity = this.matrix.data.slice(k * k);
  }

  encode(data: readonly Uint8Array[]): Uint8Array[] {
    if (data.length !== this.k) {
      throw new DdcError('DDC_INVALID_ARGUMENT', `encode got ${data.length} data shards, expected k=${this.k}`, {
        hint: 'Pass exactly k data shards, e.g. from splitData(piece, k)',
      });
    }
    const len = sameLength(data);
    const parity = Array.from({ length: this.m }, () => new Uint8Array(len));
    this.encodeInto(data, parity);
    return parity;
  }

  encodeInto(data: readonly Uint8Array[], parity: readonly Uint8Array[]): void {
    if (data.length !== this.k || parity.length !== this.m) {
      throw new DdcError('DDC_INVALID_ARGUMENT', `encodeInto got ${data.length} data and ${parity.length} parity shards, expected k=${this.k} and m=${this.m}`, {
        hint: 'Pass exactly k data shards and m parity arrays',
      });
    }
    const len = sameLength([...data, ...parity]);
    if (this.m > 0 && len > 0) this.kernel.apply(this.parity, data, parity);
  }

  reconstruct(shards: readonly (Uint8Array | undefined)[]): Uint8Array[] {
    return this.rebuild(shards, this.k + this.m);
  }

  reconstructData(shards: readonly (Uint8Array | undefined)[]): Uint8Array[] {
    return this.rebuild(shards, this.k);
  }

  reconstructInto(shards: readonly (Uint8Array | undefined)[], indexes: readonly number[], outputs: readonly Uint8Array[]): void {
    const { valid } = this.present(shards);
    if (indexes.length !== outputs.length || indexes.some((i, j) => !Number.isInteger(i) || i < 0 || i >= this.k + this.m || shards[i] !== undefined || indexes.indexOf(i) !== j)) {
      throw new DdcError('DDC_INVALID_ARGUMENT', `reconstructInto needs distinct absent shard indexes below k+m=${this.k + this.m}, one output each (got indexes ${indexes.join(',')} and ${outputs.length} outputs)`, {
        hint: 'Name each shard to rebuild once, leave its slot undefined, and pass one output array per index',
      });
    }
    if (indexes.length === 0) return;
    sameLength([shards[valid[0]!]!, ...outputs]);
    this.kernel.apply(this.coefficients(valid, indexes), valid.map((i) => shards[i]!), outputs);
  }

  /** The first k present shards (klauspost's choice of rows) and their common length. */
  private present(shards: readonly (Uint8Array | undefined)[]): { valid: number[]; len: number } {
    const { k, m } = this;
    if (shards.length !== k + m) {
      throw new DdcError('DDC_INVALID_ARGUMENT', `reconstruct got ${shards.length} shard slots, expected k+m=${k + m}`, {
        hint: 'Pass an array of length k+m with undefined where a shard is missing',
      });
    }
    const present: number[] = [];
    shards.forEach((s, i) => s !== undefined && present.push(i));
    if (present.length < k) {
      throw new DdcError('DDC_PIECE_UNRECOVERABLE', `only ${present.length} of ${k + m} shards are present, at least k=${k} are needed`, {
        hint: 'Fetch more shards of this stripe from other nodes before reconstructing',
        details: { k, m, present },
      });
    }
    // Any k rows of the encoding matrix are invertible; the first k present ones are klauspost's choice.
    return { valid: present.slice(0, k), len: sameLength(present.map((i) => shards[i]!)) };
  }

  /** Rebuilds missing shards among the first `want` and returns those `want` shards. */
  private rebuild(shards: readonly (Uint8Array | undefined)[], want: number): Uint8Array[] {
    const { valid, len } = this.present(shards);
    const missing: number[] = [];
    for (let i = 0; i < want; i++) if (shards[i] === undefined) missing.push(i);
    const out = shards.slice(0, want) as Uint8Array[];
    if (missing.length === 0) return out;
    const coefs = this.coefficients(valid, missing);
    const rebuilt = missing.map(() => new Uint8Array(len));
    this.kernel.apply(coefs, valid.map((i) => shards[i]!), rebuilt);
    missing.forEach((i, j) => (out[i] = rebuilt[j]!));
    return out;
  }

  /** Rows that map the `valid` shards straight to each `missing` shard (data and parity in one pass). */
  private coefficients(valid: readonly number[], missing: readonly number[]): Uint8Array {
    const key = `${valid.join(',')}/${missing.join(',')}`;
    let coefs = this.patterns.get(key);
    if (coefs) return coefs;
    const { k } = this;
    const decode = invert(selectRows(this.matrix, valid));
    coefs = new Uint8Array(missing.length * k);
    missing.forEach((i, j) => {
      if (i < k) {
        coefs!.set(decode.data.subarray(i * k, (i + 1) * k), j * k);
        return;
      }
      // parity row i times the decode matrix: parity straight from the valid shards.
      for (let c = 0; c < k; c++) {
        let v = 0;
        for (let t = 0; t < k; t++) v ^= gfMul(this.matrix.data[i * k + t]!, decode.data[t * k + c]!);
        coefs![j * k + c] = v;
      }
    });
    if (this.patterns.size >= MAX_CACHED_PATTERNS) this.patterns.delete(this.patterns.keys().next().value!);
    this.patterns.set(key, coefs);
    return coefs;
  }
}

function sameLength(shards: readonly Uint8Array[]): number {
  const len = shards[0]?.length ?? 0;
  for (const s of shards) {
    if (s.length !== len) {
      throw new DdcError('DDC_INVALID_ARGUMENT', `shards have unequal lengths (${len} and ${s.length})`, {
        hint: 'All shards of a stripe must have the same length; use splitData to cut a piece',
      });
    }
  }
  return len;
}

const coders = new Map<string, ErasureCoder>();

/** A cached RS(k, m) coder; 1 <= k, 0 <= m, k + m <= 256. RS(1, m) is plain replication. */
export function createErasureCoder(k: number, m: number, options: ErasureCoderOptions = {}): ErasureCoder {
  if (!Number.isInteger(k) || !Number.isInteger(m) || k < 1 || m < 0 || k + m > 256) {
    throw new DdcError('DDC_ERASURE_PARAMS', `RS(k=${k}, m=${m}) is not a valid erasure code`, {
      hint: 'Use integers with k >= 1, m >= 0 and k + m <= 256 (e.g. k=4, m=2)',
      details: { k, m },
    });
  }
  const kernel = pickKernel(options.backend ?? 'auto');
  const key = `${k},${m},${kernel.name}`;
  let coder = coders.get(key);
  if (!coder) coders.set(key, (coder = new ReedSolomon(k, m, kernel)));
  return coder;
}
