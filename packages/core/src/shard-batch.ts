/**
 * Batched shard reads (POST /v1/pieces/batch): many (piece CID, index) pairs in one request,
 * their shards in one answer. A client with many small reads in flight to one node sends them
 * together instead of paying an HTTP exchange per 4 KiB shard.
 *
 * Request, format v1:
 *   0  4  magic "DDCQ"
 *   4  1  version (1)
 *   5  1  flags (0; reserved)
 *   6  2  count (u16, big-endian, 1..MAX_BATCH_SHARDS)
 *   then per entry: index (u8), length of the CID text (u8), the CID as text (ASCII)
 *
 * Response, format v1:
 *   0  4  magic "DDCR"
 *   4  1  version (1)
 *   5  1  flags (0; reserved)
 *   6  2  count (equal to the request's)
 *   then per entry, in request order: status (u8), length (u32, big-endian), that many bytes
 *
 * A node answers at most MAX_BATCH_RESPONSE_BYTES of shards; entries past that budget come
 * back `skipped` and are asked for again on their own. Shards are verified by the client as
 * any other shard read is: the framing carries no trust.
 */
import { DdcError } from './errors.js';
import { charCodesToString } from './bytes.js';

export const BATCH_REQUEST_MAGIC = new Uint8Array([0x44, 0x44, 0x43, 0x51]); // "DDCQ"
export const BATCH_RESPONSE_MAGIC = new Uint8Array([0x44, 0x44, 0x43, 0x52]); // "DDCR"
export const BATCH_VERSION = 1;
const BATCH_HEADER = 8;
const ENTRY_HEADER = 5;
/** Shards per batch request. */
export const MAX_BATCH_SHARDS = 64;
/** Longest CID text taken (a CIDv1 with a SHA-256 multihash in base32 is 59 characters). */
export const MAX_BATCH_CID_CHARS = 200;
/** Shard bytes a node puts in one answer; the rest are skipped. */
export const MAX_BATCH_RESPONSE_BYTES = 4 * 1024 * 1024;
/** The largest request body: every entry at its longest. */
export const MAX_BATCH_REQUEST_BYTES = BATCH_HEADER + MAX_BATCH_SHARDS * (2 + MAX_BATCH_CID_CHARS);

export interface BatchWant {
  cid: string;
  index: number;
}

export type BatchStatus = 'found' | 'not-found' | 'skipped';
const STATUS_CODES: Record<BatchStatus, number> = { found: 0, 'not-found': 1, skipped: 2 };
const STATUS_NAMES: readonly BatchStatus[] = ['found', 'not-found', 'skipped'];

export interface BatchEntry {
  status: BatchStatus;
  /** The shard as stored (header then payload) when found; empty otherwise. */
  bytes: Uint8Array;
}

function malformed(what: string, hint: string): DdcError {
  return new DdcError('DDC_REQUEST_MALFORMED', `batch shard read: ${what}`, { hint });
}

function badResponse(what: string): DdcError {
  return new DdcError('DDC_NODE_BAD_RESPONSE', `batch shard answer: ${what}`, { hint: 'The node sent a malformed batch answer; the client reads those shards one by one instead' });
}

function writeHeader(out: Uint8Array, magic: Uint8Array, count: number): void {
  out.set(magic, 0);
  out[4] = BATCH_VERSION;
  out[5] = 0;
  out[6] = count >>> 8;
  out[7] = count & 0xff;
}

/** Checks magic and version; returns the count. `fail` builds the error for the side that reads. */
function readHeader(bytes: Uint8Array, magic: Uint8Array, fail: (what: string) => DdcError): number {
  if (bytes.length < BATCH_HEADER) throw fail(`${bytes.length} bytes is shorter than the ${BATCH_HEADER}-byte header`);
  for (let i = 0; i < 4; i++) if (bytes[i] !== magic[i]) throw fail('wrong magic');
  if (bytes[4] !== BATCH_VERSION) throw fail(`version ${bytes[4]} is not supported (this side reads version ${BATCH_VERSION})`);
  if (bytes[5] !== 0) throw fail(`unknown flags ${bytes[5]}`);
  return (bytes[6]! << 8) | bytes[7]!;
}

export function encodeBatchRequest(wants: readonly BatchWant[]): Uint8Array {
  if (wants.length < 1 || wants.length > MAX_BATCH_SHARDS) throw new DdcError('DDC_INVALID_ARGUMENT', `a batch holds 1 to ${MAX_BATCH_SHARDS} shards, not ${wants.length}`, { hint: 'Split the reads into several batches' });
  let size = BATCH_HEADER;
  for (const w of wants) size += 2 + w.cid.length;
  const out = new Uint8Array(size);
  writeHeader(out, BATCH_REQUEST_MAGIC, wants.length);
  let off = BATCH_HEADER;
  for (const { cid, index } of wants) {
    if (!Number.isInteger(index) || index < 0 || index > 255) throw new DdcError('DDC_INVALID_ARGUMENT', `shard index ${index} is outside 0..255`);
    if (cid.length < 1 || cid.length > MAX_BATCH_CID_CHARS) throw new DdcError('DDC_INVALID_ARGUMENT', `a CID of ${cid.length} characters does not fit a batch (1..${MAX_BATCH_CID_CHARS})`);
    out[off++] = index;
    out[off++] = cid.length;
    for (let i = 0; i < cid.length; i++) {
      const c = cid.charCodeAt(i);
      if (c > 0x7e || c < 0x21) throw new DdcError('DDC_INVALID_CID', `"${cid}" is not a CID in text form`);
      out[off++] = c;
    }
  }
  return out;
}

export function decodeBatchRequest(bytes: Uint8Array): BatchWant[] {
  const hint = 'Send the batch format of docs/PROTOCOL.md (magic "DDCQ", version 1)';
  const count = readHeader(bytes, BATCH_REQUEST_MAGIC, (what) => malformed(what, hint));
  if (count < 1 || count > MAX_BATCH_SHARDS) throw malformed(`count ${count} is outside 1..${MAX_BATCH_SHARDS}`, 'Split the reads into several batches');
  const wants: BatchWant[] = [];
  let off = BATCH_HEADER;
  for (let n = 0; n < count; n++) {
    if (off + 2 > bytes.length) throw malformed(`entry ${n} is cut short`, hint);
    const index = bytes[off]!;
    const length = bytes[off + 1]!;
    off += 2;
    if (length < 1 || off + length > bytes.length) throw malformed(`entry ${n} declares a CID of ${length} characters, which the body does not hold`, hint);
    const text = bytes.subarray(off, off + length);
    for (let i = 0; i < length; i++) {
      const c = text[i]!;
      if (c > 0x7e || c < 0x21) throw malformed(`entry ${n}'s CID holds byte ${c}, which is not printable ASCII`, hint);
    }
    const cid = charCodesToString(text);
    off += length;
    wants.push({ cid, index });
  }
  if (off !== bytes.length) throw malformed(`${bytes.length - off} bytes follow the last entry`, hint);
  return wants;
}

/** The size of the answer carrying these entries. */
export function batchResponseSize(entries: readonly BatchEntry[]): number {
  let size = BATCH_HEADER;
  for (const e of entries) size += ENTRY_HEADER + (e.status === 'found' ? e.bytes.length : 0);
  return size;
}

/** Writes the answer into `out` (of batchResponseSize bytes). */
export function encodeBatchResponse(entries: readonly BatchEntry[], out = new Uint8Array(batchResponseSize(entries))): Uint8Array {
  writeHeader(out, BATCH_RESPONSE_MAGIC, entries.length);
  let off = BATCH_HEADER;
  for (const { status, bytes } of entries) {
    const length = status === 'found' ? bytes.length : 0;
    out[off] = STATUS_CODES[status];
    out[off + 1] = length >>> 24;
    out[off + 2] = (length >>> 16) & 0xff;
    out[off + 3] = (length >>> 8) & 0xff;
    out[off + 4] = length & 0xff;
    off += ENTRY_HEADER;
    if (length > 0) out.set(bytes, off);
    off += length;
  }
  if (off !== out.length) throw new DdcError('DDC_INTERNAL', `batch answer of ${out.length} bytes holds ${off}`);
  return out;
}

/** Entries of an answer to a request of `expected` shards; their bytes are views into `bytes`. */
export function decodeBatchResponse(bytes: Uint8Array, expected: number): BatchEntry[] {
  const count = readHeader(bytes, BATCH_RESPONSE_MAGIC, badResponse);
  if (count !== expected) throw badResponse(`${count} entries for a request of ${expected}`);
  const entries: BatchEntry[] = [];
  let off = BATCH_HEADER;
  for (let n = 0; n < count; n++) {
    if (off + ENTRY_HEADER > bytes.length) throw badResponse(`entry ${n} is cut short`);
    const status = STATUS_NAMES[bytes[off]!];
    if (!status) throw badResponse(`entry ${n} has unknown status ${bytes[off]}`);
    const length = ((bytes[off + 1]! << 24) >>> 0) + (bytes[off + 2]! << 16) + (bytes[off + 3]! << 8) + bytes[off + 4]!;
    off += ENTRY_HEADER;
    if (status !== 'found' && length !== 0) throw badResponse(`entry ${n} is ${status} yet carries ${length} bytes`);
    if (off + length > bytes.length) throw badResponse(`entry ${n} declares ${length} bytes, which the answer does not hold`);
    entries.push({ status, bytes: bytes.subarray(off, off + length) });
    off += length;
  }
  if (off !== bytes.length) throw badResponse(`${bytes.length - off} bytes follow the last entry`);
  return entries;
}
