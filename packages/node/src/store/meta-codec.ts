/**
 * Shard metadata as stored in the index: a small versioned binary record, cheaper to
 * decode on every GET than MessagePack or JSON.
 *
 *   0  u8   record version (1; 2 for a shard in a slot)
 *   1  u8   location: 0 inline (bytes in LMDB), 1 file (shards/ab/<id>), 2 slot (slots/, version 2)
 *   2  u8   k
 *   3  u8   m
 *   4  u8   index in the stripe
 *   5  u8   reserved (0)
 *   6  u32  header length
 *   10 u32  stored length (header + payload)
 *   14 ...  piece CID, its canonical string (ASCII)
 *
 * Version 2 (location 2) inserts the slot's address before the CID:
 *   14 u32  slot size, 18 u32 slot file, 22 u32 slot number, 26 ... piece CID
 */
import { DdcError } from '@ddc/core';

export type ShardLocation = 'inline' | 'file' | 'slot';

/** Where a shard lies in the slot files (slot-store.ts). */
export interface SlotAddress {
  /** Bytes per slot (a multiple of 4096): the slot files of one size are a class. */
  size: number;
  file: number;
  slot: number;
}

export interface ShardMeta {
  pieceCid: string;
  index: number;
  k: number;
  m: number;
  /** Bytes stored and served: header plus payload. */
  length: number;
  headerLength: number;
  location: ShardLocation;
  /** Set for location 'slot'. */
  slot?: SlotAddress;
}

const RECORD_VERSION = 1;
const SLOT_RECORD_VERSION = 2;
const FIXED = 14;
const SLOT_FIXED = 26;
const LOCATION_CODES = { inline: 0, file: 1, slot: 2 } as const;

export function encodeMeta(meta: ShardMeta): Buffer {
  const slot = meta.location === 'slot' ? meta.slot : undefined;
  if (meta.location === 'slot' && !slot) throw new Error('a slot record needs its address');
  const fixed = slot ? SLOT_FIXED : FIXED;
  const out = Buffer.allocUnsafe(fixed + meta.pieceCid.length);
  out[0] = slot ? SLOT_RECORD_VERSION : RECORD_VERSION;
  out[1] = LOCATION_CODES[meta.location];
  out[2] = meta.k;
  out[3] = meta.m;
  out[4] = meta.index;
  out[5] = 0;
  out.writeUInt32BE(meta.headerLength, 6);
  out.writeUInt32BE(meta.length, 10);
  if (slot) {
    out.writeUInt32BE(slot.size, 14);
    out.writeUInt32BE(slot.file, 18);
    out.writeUInt32BE(slot.slot, 22);
  }
  out.write(meta.pieceCid, fixed, 'latin1');
  return out;
}

export function decodeMeta(rec: Uint8Array): ShardMeta {
  const b = Buffer.isBuffer(rec) ? rec : Buffer.from(rec.buffer, rec.byteOffset, rec.length);
  const version = b[0];
  const slotted = version === SLOT_RECORD_VERSION && b[1] === LOCATION_CODES.slot && b.length >= SLOT_FIXED;
  if (b.length < FIXED || (version !== RECORD_VERSION && !slotted) || (version === RECORD_VERSION && b[1]! > 1)) {
    throw new DdcError('DDC_STORE_VERSION', `an index record has version ${version} (location ${b[1]}); this node reads ${RECORD_VERSION} and ${SLOT_RECORD_VERSION}`, {
      hint: 'The index was written by another node version; run that version or rebuild the store',
    });
  }
  if (slotted) {
    return {
      location: 'slot',
      k: b[2]!,
      m: b[3]!,
      index: b[4]!,
      headerLength: b.readUInt32BE(6),
      length: b.readUInt32BE(10),
      slot: { size: b.readUInt32BE(14), file: b.readUInt32BE(18), slot: b.readUInt32BE(22) },
      pieceCid: b.toString('latin1', SLOT_FIXED),
    };
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
