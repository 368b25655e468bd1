/** Small byte helpers shared by the binary formats. */

/** The parts joined, into `into` when given (it must hold `total` bytes), else into a new array. */
export function concatBytes(parts: readonly Uint8Array[], total?: number, into?: Uint8Array): Uint8Array {
  const size = total ?? parts.reduce((n, p) => n + p.length, 0);
  const out = into ?? new Uint8Array(size);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Char codes per String.fromCharCode call (its arguments live on the stack). */
const CHAR_CODES_PER_CALL = 8192;

/**
 * The string whose char codes are `codes` (bytes read as latin1, or UTF-16 units). `apply` reads
 * the array as an array-like: a spread (`...codes`) runs the iterator protocol, one result object
 * per element, and appending one character at a time builds a string per element.
 */
export function charCodesToString(codes: Uint8Array | Uint16Array): string {
  if (codes.length <= CHAR_CODES_PER_CALL) return String.fromCharCode.apply(null, codes as unknown as number[]);
  let s = '';
  for (let at = 0; at < codes.length; at += CHAR_CODES_PER_CALL) {
    s += String.fromCharCode.apply(null, codes.subarray(at, at + CHAR_CODES_PER_CALL) as unknown as number[]);
  }
  return s;
}

const HEX_DIGITS = '0123456789abcdef';
/** Bytes per chunk of hex: two char codes each. */
const HEX_CHUNK = CHAR_CODES_PER_CALL / 2;
const hexCodes = new Uint16Array(HEX_CHUNK * 2);

/** Lower-case hex. Char codes go into a scratch array and become one string per 4 KiB (see charCodesToString). */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let at = 0; at < bytes.length; at += HEX_CHUNK) {
    const n = Math.min(HEX_CHUNK, bytes.length - at);
    for (let i = 0; i < n; i++) {
      const b = bytes[at + i]!;
      hexCodes[2 * i] = HEX_DIGITS.charCodeAt(b >>> 4);
      hexCodes[2 * i + 1] = HEX_DIGITS.charCodeAt(b & 15);
    }
    s += charCodesToString(hexCodes.subarray(0, 2 * n));
  }
  return s;
}

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new TypeError('not a hex string');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export const textEncoder = new TextEncoder();
export const textDecoder = new TextDecoder('utf-8', { fatal: true });
