/**
 * Shard metadata as stored in the index: a small versioned binary record, cheaper to
 * decode on every GET than MessagePack or JSON.
 *
 *   0  u8   record version (1)
 *   1  u8   location: 0 inline (bytes in LMDB), 1 file (shards/ab/<id>)
 *   2  u8   k
 *   3  u8   m
 *   4  u8   index in the stripe
 *   5  u8   reserved (0)
 *   6  u32  header length
 *   10 u32  stored length (header + payload)
 *   14 ...  piece CID, its canonical string (ASCII)
 */
import { DdcError } from '@ddc/core';

export type ShardLocation = 'inline' | 'file';

export interface ShardMeta {
  pieceCid: string;
  index: number;
  k: number;
  m: number;
  /** Bytes stored and served: header plus payload. */
  length: number;
  headerLength: number;
  location: ShardLocation;
}

const RECORD_VERSION = 1;
const FIXED = 14;

export function encodeMeta(meta: ShardMeta): Buffer {
  const out = Buffer.allocUnsafe(FIXED + meta.pieceCid.length);
  out[0] = RECORD_VERSION;
  out[1] = meta.location === 'file' ? 1 : 0;
  out[2] = meta.k;
  out[3] = meta.m;
  out[4] = meta.index;
  out[5] = 0;
  out.writeUInt32BE(meta.headerLength, 6);
  out.writeUInt32BE(meta.length, 10);
  out.write(meta.pieceCid, FIXED, 'latin1');
  return out;
}

export function decodeMeta(rec: Uint8Array): ShardMeta {
  const b = Buffer.isBuffer(rec) ? rec : Buffer.from(rec.buffer, rec.byteOffset, rec.length);
  if (b.length < FIXED || b[0] !== RECORD_VERSION) {
    throw new DdcError('DDC_STORE_VERSION', `an index record has version ${b[0]}; this node reads ${RECORD_VERSION}`, {
      hint: 'The index was written by another node version; run that version or rebuild the store',
    });
  }
  return {
    location: b[1] === 1 ? 'file' : 'inline',
    k: b[2]!,
    m: b[3]!,
    index: b[4]!,
    headerLength: b.readUInt32BE(6),
    length: b.readUInt32BE(10),
    pieceCid: b.toString('latin1', FIXED),
  };
}
