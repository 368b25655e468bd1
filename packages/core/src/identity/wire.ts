/**
 * Helpers for the signed statements: a big-endian byte writer for the canonical messages,
 * and strict decoders for their JSON form (canonical base64 and lowercase hex only, so one
 * statement has exactly one text form and an edited byte is never silently normalized).
 */
import { base64pad } from 'multiformats/bases/base64';
import { fromHex, textEncoder } from '../bytes.js';

export class ByteWriter {
  private readonly parts: Uint8Array[] = [];
  private size = 0;

  bytes(b: Uint8Array): this {
    this.parts.push(b);
    this.size += b.length;
    return this;
  }

  u8(n: number): this {
    return this.bytes(new Uint8Array([n & 0xff]));
  }

  u32(n: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n);
    return this.bytes(b);
  }

  u64(n: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(n));
    return this.bytes(b);
  }

  /** u8 length, then the bytes (at most 255). */
  short(b: Uint8Array): this {
    if (b.length > 255) throw new RangeError('a short field holds at most 255 bytes');
    return this.u8(b.length).bytes(b);
  }

  ascii(s: string): this {
    return this.bytes(textEncoder.encode(s));
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let off = 0;
    for (const p of this.parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }
}

export function encodeBase64(bytes: Uint8Array): string {
  return base64pad.baseEncode(bytes);
}

/** Canonical padded base64 (RFC 4648 §4), or undefined. */
export function decodeBase64Strict(s: unknown, maxBytes: number): Uint8Array | undefined {
  if (typeof s !== 'string' || s.length > Math.ceil(maxBytes / 3) * 4 || s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
  let bytes: Uint8Array;
  try {
    bytes = base64pad.baseDecode(s);
  } catch {
    return undefined;
  }
  // Re-encoding catches non-zero padding bits: one byte string, one text.
  return bytes.length <= maxBytes && base64pad.baseEncode(bytes) === s ? bytes : undefined;
}

/** Lowercase hex of exactly `size` bytes (or any length up to `size` when `upTo`), or undefined. */
export function decodeHexStrict(s: unknown, size: number, upTo = false): Uint8Array | undefined {
  if (typeof s !== 'string' || s.length % 2 !== 0 || !/^[0-9a-f]*$/.test(s)) return undefined;
  if (upTo ? s.length > size * 2 : s.length !== size * 2) return undefined;
  return fromHex(s);
}

export const NODE_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An integer in [min, max] (both safe integers), or undefined. */
export function intIn(v: unknown, min: number, max: number): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max ? v : undefined;
}
