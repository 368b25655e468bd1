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

const HEX_DIGITS = '0123456789abcdef';
/** Bytes per String.fromCharCode call (its arguments live on the stack). */
const HEX_CHUNK = 4096;
const hexCodes = new Uint16Array(HEX_CHUNK * 2);

/**
 * Lower-case hex. Char codes go into a scratch array and become one string per 4 KiB: appending
 * two characters at a time built a chain of intermediate strings, one per byte (a small read's
 * header roots made ~200 of them).
 */
export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let at = 0; at < bytes.length; at += HEX_CHUNK) {
    const n = Math.min(HEX_CHUNK, bytes.length - at);
    for (let i = 0; i < n; i++) {
      const b = bytes[at + i]!;
      hexCodes[2 * i] = HEX_DIGITS.charCodeAt(b >>> 4);
      hexCodes[2 * i + 1] = HEX_DIGITS.charCodeAt(b & 15);
    }
    s += String.fromCharCode.apply(null, hexCodes.subarray(0, 2 * n) as unknown as number[]);
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
