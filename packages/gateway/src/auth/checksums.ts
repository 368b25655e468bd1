/**
 * The additional checksums S3 clients send (x-amz-checksum-crc32, -crc32c, -crc64nvme,
 * -sha1, -sha256, as a header or an aws-chunked trailer): base64 of the big-endian digest
 * of the payload. The AWS SDK v3 sends CRC32 by default ("flexible checksums").
 */
import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const CHECKSUM_ALGORITHMS = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export interface Checksum {
  update(data: Uint8Array): void;
  /** base64 of the digest. */
  digest(): string;
}

function table32(poly: number): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

let crc32cTable: Uint32Array | undefined;

function crc32c(): Checksum {
  const t = (crc32cTable ??= table32(0x82f63b78));
  let c = 0xffffffff;
  return {
    update(data) {
      for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
    },
    digest: () => be32((c ^ 0xffffffff) >>> 0),
  };
}

function be32(n: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b.toString('base64');
}

function zlibCrc32(): Checksum {
  let c = 0;
  return { update: (data) => void (c = crc32(data, c)), digest: () => be32(c) };
}

let crc64Tables: [Uint32Array, Uint32Array] | undefined;

/** CRC-64/NVME: reflected polynomial 0x9a6c9329ac4bc9b5, init and xorout all ones; 64 bits as two 32-bit halves. */
function crc64nvme(): Checksum {
  if (!crc64Tables) {
    const lo = new Uint32Array(256);
    const hi = new Uint32Array(256);
    const pLo = 0xac4bc9b5;
    const pHi = 0x9a6c9329;
    for (let n = 0; n < 256; n++) {
      let l = n;
      let h = 0;
      for (let k = 0; k < 8; k++) {
        const odd = l & 1;
        l = ((l >>> 1) | ((h & 1) << 31)) >>> 0;
        h = h >>> 1;
        if (odd) {
          l = (l ^ pLo) >>> 0;
          h = (h ^ pHi) >>> 0;
        }
      }
      lo[n] = l;
      hi[n] = h;
    }
    crc64Tables = [lo, hi];
  }
  const [tLo, tHi] = crc64Tables;
  let l = 0xffffffff;
  let h = 0xffffffff;
  return {
    update(data) {
      for (let i = 0; i < data.length; i++) {
        const idx = (l ^ data[i]!) & 0xff;
        l = (((l >>> 8) | (h << 24)) ^ tLo[idx]!) >>> 0;
        h = ((h >>> 8) ^ tHi[idx]!) >>> 0;
      }
    },
    digest() {
      const b = Buffer.alloc(8);
      b.writeUInt32BE((h ^ 0xffffffff) >>> 0, 0);
      b.writeUInt32BE((l ^ 0xffffffff) >>> 0, 4);
      return b.toString('base64');
    },
  };
}

function hashOf(name: string): Checksum {
  const h: Hash = createHash(name);
  return { update: (data) => void h.update(data), digest: () => h.digest('base64') };
}

export function isChecksumAlgorithm(s: string): s is ChecksumAlgorithm {
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(s);
}

export function createChecksum(algorithm: ChecksumAlgorithm): Checksum {
  switch (algorithm) {
    case 'crc32':
      return zlibCrc32();
    case 'crc32c':
      return crc32c();
    case 'crc64nvme':
      return crc64nvme();
    case 'sha1':
      return hashOf('sha1');
    case 'sha256':
      return hashOf('sha256');
  }
}

/** The algorithm named by a header like x-amz-checksum-crc32, or undefined. */
export function checksumHeaderAlgorithm(name: string): ChecksumAlgorithm | undefined {
  const a = /^x-amz-checksum-([a-z0-9]+)$/.exec(name)?.[1];
  return a !== undefined && isChecksumAlgorithm(a) ? a : undefined;
}
