/**
 * Emits, at run time, a tiny WebAssembly SIMD module (no committed binary, no build step).
 * Export "f"(tbl, inp, out, k, rows, len, stride) computes, for r < rows and p < len:
 *   out[r*stride + p] = XOR over c < k of tbl-product(r, c, inp[c*stride + p])
 * where the 32 bytes at tbl + (r*k + c)*32 are the nibble tables of coefficient g:
 * low[x] = g*x and high[x] = g*(x<<4) for x < 16, the PSHUFB trick klauspost uses.
 * len must be a positive multiple of 16*UNROLL; k and rows positive. Export "m" is the memory.
 */

export const UNROLL = 4;
export const STEP = 16 * UNROLL;

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
};
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const str = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (ch) => ch.charCodeAt(0))];

// Opcodes used below (core and SIMD proposals).
const I32 = 0x7f, V128 = 0x7b, EMPTY = 0x40;
const LOOP = 0x03, END = 0x0b, BR_IF = 0x0d;
const GET = 0x20, SET = 0x21, TEE = 0x22;
const I32_CONST = 0x41, I32_ADD = 0x6a, I32_SUB = 0x6b, I32_LT_U = 0x49;
const simd = (op: number): number[] => [0xfd, ...uleb(op)];
const V_LOAD = 0x00, V_STORE = 0x0b, V_CONST = 0x0c, SWIZZLE = 0x0e, RELAXED_SWIZZLE = 0x100, SPLAT8 = 0x0f;
const V_AND = 0x4e, V_XOR = 0x51, SHR_U16 = 0x8d;
const mem = (offset: number): number[] => [4, ...uleb(offset)]; // align 2^4 (hint only)

/** relaxed: use i8x16.relaxed_swizzle (one instruction less on x64; same bytes, as indices are < 16). */
export function emitGfModule(relaxed: boolean): Uint8Array<ArrayBuffer> {
  // params 0..6; i32 locals 7..12; v128 locals from 13
  const [TBL, INP, OUT, K, ROWS, LEN, STRIDE] = [0, 1, 2, 3, 4, 5, 6];
  const [P, R, C, TP, IP, OP] = [7, 8, 9, 10, 11, 12];
  const MASK = 13, XL = 14, XH = 15, LO = 16, HI = 17, ACC = 18; // ACC..ACC+UNROLL-1
  const swz = simd(relaxed ? RELAXED_SWIZZLE : SWIZZLE);
  const get = (l: number): number[] => [GET, l];
  const set = (l: number): number[] => [SET, l];
  const addTo = (l: number, by: number[]): number[] => [...get(l), ...by, I32_ADD, ...set(l)];

  // Measured on V8: one output row per pass with UNROLL accumulators beats sharing the nibble
  // split across 2 or 4 rows, which runs out of vector registers and spills.
  const inner = [...get(TP), ...simd(V_LOAD), ...mem(0), ...set(LO), ...get(TP), ...simd(V_LOAD), ...mem(16), ...set(HI)];
  for (let u = 0; u < UNROLL; u++) {
    // x & 15 and (x >> 4) & 15; a 16-bit shift is one instruction where an 8-bit one is several.
    inner.push(...get(IP), ...simd(V_LOAD), ...mem(16 * u), TEE, XL, I32_CONST, 4, ...simd(SHR_U16), ...get(MASK), ...simd(V_AND), ...set(XH));
    inner.push(...get(XL), ...get(MASK), ...simd(V_AND), ...set(XL));
    inner.push(...get(ACC + u), ...get(LO), ...get(XL), ...swz, ...simd(V_XOR));
    inner.push(...get(HI), ...get(XH), ...swz, ...simd(V_XOR), ...set(ACC + u));
  }
  const zeroAcc: number[] = [];
  const storeAcc: number[] = [];
  for (let u = 0; u < UNROLL; u++) {
    zeroAcc.push(...simd(V_CONST), ...new Array<number>(16).fill(0), ...set(ACC + u));
    storeAcc.push(...get(OP), ...get(ACC + u), ...simd(V_STORE), ...mem(16 * u));
  }
  const body = [
    I32_CONST, 15, ...simd(SPLAT8), ...set(MASK),
    LOOP, EMPTY, // for p in [0, len) step STEP: all rows of one step while its inputs are in L1
    ...get(TBL), ...set(TP),
    ...get(OUT), ...get(P), I32_ADD, ...set(OP),
    ...get(ROWS), ...set(R),
    LOOP, EMPTY, // for each output row
    ...zeroAcc,
    ...get(INP), ...get(P), I32_ADD, ...set(IP),
    ...get(K), ...set(C),
    LOOP, EMPTY, // for each input
    ...inner,
    ...addTo(IP, get(STRIDE)),
    ...addTo(TP, [I32_CONST, 32]),
    ...get(C), I32_CONST, 1, I32_SUB, TEE, C, BR_IF, 0,
    END,
    ...storeAcc,
    ...addTo(OP, get(STRIDE)),
    ...get(R), I32_CONST, 1, I32_SUB, TEE, R, BR_IF, 0,
    END,
    ...get(P), I32_CONST, ...sleb(STEP), I32_ADD, TEE, P, ...get(LEN), I32_LT_U, BR_IF, 0,
    END,
    END,
  ];
  const func = [...vec([[6, I32], [5 + UNROLL, V128]]), ...body];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec(new Array(7).fill([I32])), 0]])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0x00, 1]])),
    ...section(7, vec([[...str('f'), 0x00, 0], [...str('m'), 0x02, 0]])),
    ...section(10, vec([[...uleb(func.length), ...func]])),
  ]);
}
