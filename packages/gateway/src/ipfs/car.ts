/**
 * CARv1 framing (https://ipld.io/specs/transport/car/carv1/): a varint-prefixed DAG-CBOR
 * header {roots: [CID], version: 1}, then per block varint(len(cid) + len(bytes)) || cid ||
 * bytes. The header is one fixed shape, so it is encoded here by hand (canonical DAG-CBOR:
 * map keys by length, "roots" before "version"; a CID is tag 42 over 0x00 || its bytes);
 * the tests read it back with @ipld/car.
 */
import type { CID } from '@ddc/core';

export function varint(n: number): Uint8Array {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return Uint8Array.from(out);
}

/** A CBOR major-type head with its argument (lengths here stay below 2^32). */
function cborHead(major: number, n: number): Uint8Array {
  const m = major << 5;
  if (n < 24) return Uint8Array.of(m | n);
  if (n < 0x100) return Uint8Array.of(m | 24, n);
  if (n < 0x10000) return Uint8Array.of(m | 25, n >> 8, n & 0xff);
  return Uint8Array.of(m | 26, (n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

const text = (s: string) => new TextEncoder().encode(s);

/** The CAR header with its length prefix. */
export function carHeader(roots: CID[]): Uint8Array {
  const cbor = concat([
    cborHead(5, 2),
    cborHead(3, 5), text('roots'),
    cborHead(4, roots.length),
    ...roots.flatMap((r) => [Uint8Array.of(0xd8, 42), cborHead(2, r.bytes.length + 1), Uint8Array.of(0), r.bytes]),
    cborHead(3, 7), text('version'),
    cborHead(0, 1),
  ]);
  return concat([varint(cbor.length), cbor]);
}

/** One block's section: its length prefix and CID (the block's bytes follow, written separately to avoid a copy). */
export function carBlockPrefix(cid: CID, blockLength: number): Uint8Array {
  return concat([varint(cid.bytes.length + blockLength), cid.bytes]);
}
