/**
 * GF(2^8) with polynomial x^8+x^4+x^3+x^2+1 (0x11D) and generator 2: the field of
 * klauspost/reedsolomon, reed-solomon-erasure and Backblaze JavaReedSolomon.
 */

/** EXP[i] = 2^i, doubled to 510 entries so EXP[LOG[a] + LOG[b]] needs no modulo. */
export const EXP = new Uint8Array(510);
/** LOG[a] for a != 0; LOG[0] is unused. */
export const LOG = new Uint8Array(256);
/** MUL[a * 256 + b] = a * b: 64 KiB, so a row for a fixed coefficient is MUL.subarray(a*256, a*256+256). */
export const MUL = new Uint8Array(65536);

{
  let x = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = x;
    EXP[i + 255] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 0x100) x ^= 0x11d;
  }
  for (let a = 1; a < 256; a++) {
    const la = LOG[a]!;
    for (let b = 1; b < 256; b++) MUL[a * 256 + b] = EXP[la + LOG[b]!]!;
  }
}

export function gfMul(a: number, b: number): number {
  return MUL[(a << 8) | b]!;
}

export function gfInv(a: number): number {
  if (a === 0) throw new RangeError('0 has no inverse in GF(2^8)');
  return EXP[255 - LOG[a]!]!;
}

/** a^n, with 0^0 = 1 as in klauspost's galExp (the Vandermonde matrix relies on it). */
export function gfPow(a: number, n: number): number {
  if (n === 0) return 1;
  if (a === 0) return 0;
  return EXP[(LOG[a]! * n) % 255]!;
}
