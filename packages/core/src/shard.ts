/**
 * Shard format v1: a self-describing header, then the shard's bytes.
 *
 *   off  size  field
 *   0    4     magic "DDCS"
 *   4    1     version (1)
 *   5    1     flags (0; reserved)
 *   6    1     k (data shards, 1..255; k = 1 means plain replication)
 *   7    1     m (parity shards; k + m <= 256)
 *   8    1     index of this shard in the stripe (0..k+m-1)
 *   9    1     log2 of the Merkle leaf size (14 = 16 KiB)
 *   10   2     length of the piece CID in bytes (u16, big-endian)
 *   12   4     piece length in bytes (u32)
 *   16   4     shard length in bytes (u32) = ceil(piece length / k)
 *   20   c     piece CID (binary CIDv1)
 *   20+c 32*(k+m) the root of every shard of the stripe, in index order
 *   ...  8     header checksum: the first 8 bytes of SHA-256 of all header bytes before it
 *   then the shard's bytes
 *
 * A shard's root (its id) is SHA-256(0x02 || header fields above minus the roots list ||
 * Merkle root of its bytes). Binding the fields means two pieces that happen to share a
 * slice of bytes never share a shard id, and a header cannot be re-labelled without
 * changing the id it is stored under. The checksum catches rot in the roots of the
 * siblings, which the id does not cover; a forged sibling root is caught by comparing
 * headers across nodes.
 */
import { CID } from 'multiformats/cid';
import { DdcError } from './errors.js';
import { sha256 } from './hash.js';
import { equalBytes, toHex } from './bytes.js';
import { MERKLE_LEAF_SIZE, MerkleBuilder, merkleRoot } from './merkle.js';

export const SHARD_MAGIC = new Uint8Array([0x44, 0x44, 0x43, 0x53]); // "DDCS"
export const SHARD_VERSION = 1;
export const SHARD_FIXED_HEADER = 20;
export const ROOT_SIZE = 32;
export const HEADER_CHECKSUM_SIZE = 8;
/** The largest piece the format accepts (a 1 MiB leaf or a dag-pb node is far smaller). */
export const MAX_PIECE_SIZE = 16 * 1024 * 1024;
const LEAF_LOG2 = Math.log2(MERKLE_LEAF_SIZE);
const ID_PREFIX = new Uint8Array([2]);

export interface ShardHeader {
  version: number;
  pieceCid: CID;
  k: number;
  m: number;
  index: number;
  pieceLength: number;
  shardLength: number;
  roots: Uint8Array[];
}

export interface EncodedShard {
  /** Hex of the shard's root. */
  id: string;
  header: ShardHeader;
  /** The shard as stored and sent: header then payload. */
  bytes: Uint8Array;
}

function malformed(what: string, hint = 'The shard was not produced by a DDC v1 encoder or was damaged; re-upload it from the client'): DdcError {
  return new DdcError('DDC_SHARD_MALFORMED', `malformed shard header: ${what}`, { hint });
}

export function shardLengthFor(pieceLength: number, k: number): number {
  return Math.ceil(pieceLength / k);
}

export function headerLength(cidLength: number, k: number, m: number): number {
  return SHARD_FIXED_HEADER + cidLength + ROOT_SIZE * (k + m) + HEADER_CHECKSUM_SIZE;
}

/** Header length from the first 20 bytes, or undefined if fewer are given. */
export function peekHeaderLength(prefix: Uint8Array): number | undefined {
  if (prefix.length < SHARD_FIXED_HEADER) return undefined;
  checkFixedFields(prefix);
  const view = new DataView(prefix.buffer, prefix.byteOffset, SHARD_FIXED_HEADER);
  return headerLength(view.getUint16(10), prefix[6]!, prefix[7]!);
}

function checkFixedFields(b: Uint8Array): void {
  for (let i = 0; i < 4; i++) if (b[i] !== SHARD_MAGIC[i]) throw malformed('bad magic (expected "DDCS")');
  if (b[4] !== SHARD_VERSION) {
    throw new DdcError('DDC_SHARD_UNSUPPORTED_VERSION', `shard format version ${b[4]} is not supported (this build reads ${SHARD_VERSION})`, {
      hint: 'Upgrade the node or client to a DDC release that knows this format',
    });
  }
  if (b[5] !== 0) throw malformed(`unknown flags 0x${b[5]!.toString(16)}`);
  const k = b[6]!;
  const m = b[7]!;
  if (k < 1 || k + m > 256) throw malformed(`k=${k}, m=${m} is outside 1 <= k, k + m <= 256`);
  if (b[8]! >= k + m) throw malformed(`index ${b[8]} is outside the stripe of ${k + m}`);
  if (b[9] !== LEAF_LOG2) throw malformed(`Merkle leaf size 2^${b[9]} is not the v1 leaf size 2^${LEAF_LOG2}`);
}

function encodeFixed(h: Omit<ShardHeader, 'roots'>, cidBytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(SHARD_FIXED_HEADER + cidBytes.length);
  const view = new DataView(out.buffer);
  out.set(SHARD_MAGIC, 0);
  out[4] = h.version;
  out[5] = 0;
  out[6] = h.k;
  out[7] = h.m;
  out[8] = h.index;
  out[9] = LEAF_LOG2;
  view.setUint16(10, cidBytes.length);
  view.setUint32(12, h.pieceLength);
  view.setUint32(16, h.shardLength);
  out.set(cidBytes, SHARD_FIXED_HEADER);
  return out;
}

export function validateStripeParams(k: number, m: number): void {
  if (!Number.isInteger(k) || !Number.isInteger(m) || k < 1 || m < 0 || k + m > 256 || k > 255) {
    throw new DdcError('DDC_ERASURE_PARAMS', `k=${k}, m=${m} is not a valid stripe`, { hint: 'Use integers with k >= 1, m >= 0 and k + m <= 256' });
  }
}

export function encodeShardHeader(h: ShardHeader): Uint8Array {
  validateStripeParams(h.k, h.m);
  if (h.roots.length !== h.k + h.m || h.roots.some((r) => r.length !== ROOT_SIZE)) throw malformed('roots must be k + m hashes of 32 bytes');
  const cidBytes = h.pieceCid.bytes;
  const fixed = encodeFixed(h, cidBytes);
  const out = new Uint8Array(fixed.length + ROOT_SIZE * h.roots.length + HEADER_CHECKSUM_SIZE);
  out.set(fixed, 0);
  h.roots.forEach((r, i) => out.set(r, fixed.length + i * ROOT_SIZE));
  const sumAt = out.length - HEADER_CHECKSUM_SIZE;
  out.set(sha256(out.subarray(0, sumAt)).subarray(0, HEADER_CHECKSUM_SIZE), sumAt);
  return out;
}

/** Parses and checks a header; `bytes` may hold more than the header. */
export function decodeShardHeader(bytes: Uint8Array): { header: ShardHeader; headerLength: number } {
  const len = peekHeaderLength(bytes);
  if (len === undefined) throw malformed(`only ${bytes.length} bytes, the fixed header needs ${SHARD_FIXED_HEADER}`);
  if (bytes.length < len) throw malformed(`only ${bytes.length} bytes, the header needs ${len}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, len);
  const k = bytes[6]!;
  const m = bytes[7]!;
  const cidLength = view.getUint16(10);
  const pieceLength = view.getUint32(12);
  const shardLength = view.getUint32(16);
  const sumAt = len - HEADER_CHECKSUM_SIZE;
  if (!equalBytes(sha256(bytes.subarray(0, sumAt)).subarray(0, HEADER_CHECKSUM_SIZE), bytes.subarray(sumAt, len))) {
    throw malformed('the header checksum does not match (the header is damaged)');
  }
  if (pieceLength > MAX_PIECE_SIZE) throw malformed(`piece length ${pieceLength} exceeds ${MAX_PIECE_SIZE}`);
  if (shardLength !== shardLengthFor(pieceLength, k)) throw malformed(`shard length ${shardLength} does not match ceil(${pieceLength} / ${k})`);
  let pieceCid: CID;
  try {
    const cidBytes = bytes.slice(SHARD_FIXED_HEADER, SHARD_FIXED_HEADER + cidLength);
    pieceCid = CID.decode(cidBytes);
  } catch (cause) {
    throw new DdcError('DDC_SHARD_MALFORMED', 'malformed shard header: the piece CID does not parse', { cause, hint: 'The shard was damaged; re-upload it from the client' });
  }
  if (pieceCid.version !== 1) throw malformed('the piece CID must be CIDv1');
  const roots: Uint8Array[] = [];
  const rootsAt = SHARD_FIXED_HEADER + cidLength;
  for (let i = 0; i < k + m; i++) roots.push(bytes.slice(rootsAt + i * ROOT_SIZE, rootsAt + (i + 1) * ROOT_SIZE));
  return { header: { version: SHARD_VERSION, pieceCid, k, m, index: bytes[8]!, pieceLength, shardLength, roots }, headerLength: len };
}

/** The shard's root: its Merkle root bound to its header fields. */
export function shardRoot(h: Omit<ShardHeader, 'roots'>, payloadRoot: Uint8Array): Uint8Array {
  return sha256(ID_PREFIX, encodeFixed(h, h.pieceCid.bytes), payloadRoot);
}

export function shardIdHex(root: Uint8Array): string {
  return toHex(root);
}

export function isShardId(id: string): boolean {
  return /^[0-9a-f]{64}$/.test(id);
}

/** Splits already-coded shard payloads into v1 shards (roots computed here), copying each into a new array. */
export function buildStripe(pieceCid: CID, pieceLength: number, k: number, m: number, payloads: readonly Uint8Array[]): EncodedShard[] {
  validateStripeParams(k, m);
  const shardLength = shardLengthFor(pieceLength, k);
  if (payloads.length !== k + m || payloads.some((p) => p.length !== shardLength)) {
    throw new DdcError('DDC_INVALID_ARGUMENT', `a stripe needs ${k + m} payloads of ${shardLength} bytes`);
  }
  const head = headerLength(pieceCid.bytes.length, k, m);
  const buffers = payloads.map((p) => {
    const bytes = new Uint8Array(head + shardLength);
    bytes.set(p, head);
    return bytes;
  });
  // Replicas share one payload object: hash it once.
  const payloadRoots = new Map<Uint8Array, Uint8Array>();
  const rootOf = (i: number) => {
    const p = payloads[i]!;
    return payloadRoots.get(p) ?? payloadRoots.set(p, merkleRoot(p)).get(p)!;
  };
  return seal(pieceCid, pieceLength, k, m, buffers, rootOf);
}

/**
 * Seals a stripe coded in place: each buffer is `headerLength(cid, k, m) + shardLength(pieceLength, k)`
 * bytes with its payload already after the header space. The roots are computed and every header is
 * written into its buffer, which becomes the shard's `bytes` (no copy: callers may pool the buffers).
 */
export function sealStripe(pieceCid: CID, pieceLength: number, k: number, m: number, buffers: readonly Uint8Array[]): EncodedShard[] {
  validateStripeParams(k, m);
  const head = headerLength(pieceCid.bytes.length, k, m);
  const size = head + shardLengthFor(pieceLength, k);
  if (buffers.length !== k + m || buffers.some((b) => b.length !== size)) {
    throw new DdcError('DDC_INVALID_ARGUMENT', `a stripe needs ${k + m} buffers of ${size} bytes (header space, then the payload)`);
  }
  return seal(pieceCid, pieceLength, k, m, buffers, (i) => merkleRoot(buffers[i]!.subarray(head)));
}

function seal(pieceCid: CID, pieceLength: number, k: number, m: number, buffers: readonly Uint8Array[], payloadRoot: (index: number) => Uint8Array): EncodedShard[] {
  const base = { version: SHARD_VERSION, pieceCid, k, m, pieceLength, shardLength: shardLengthFor(pieceLength, k) };
  const roots = buffers.map((_, index) => shardRoot({ ...base, index }, payloadRoot(index)));
  return buffers.map((bytes, index) => {
    const header: ShardHeader = { ...base, index, roots };
    bytes.set(encodeShardHeader(header), 0);
    return { id: toHex(roots[index]!), header, bytes };
  });
}

export interface VerifiedShard {
  id: string;
  header: ShardHeader;
  headerLength: number;
  payload: Uint8Array;
}

/**
 * Checks a whole shard: well-formed header, exact length, and a root that equals both the
 * header's entry for its index and (if given) the id it was asked for or stored under.
 */
export function verifyShard(bytes: Uint8Array, expectedId?: string): VerifiedShard {
  const { header, headerLength: hl } = decodeShardHeader(bytes);
  if (bytes.length !== hl + header.shardLength) {
    throw malformed(`the shard holds ${bytes.length - hl} bytes after its header but declares ${header.shardLength}`);
  }
  const payload = bytes.subarray(hl);
  const root = shardRoot(header, merkleRoot(payload));
  const id = toHex(root);
  if (!equalBytes(root, header.roots[header.index]!)) {
    throw new DdcError('DDC_SHARD_ROOT_MISMATCH', `shard bytes hash to ${id}, but the header lists ${toHex(header.roots[header.index]!)} for index ${header.index}`, {
      hint: 'The shard was damaged in transit or on disk; fetch it from another node or re-upload it',
      details: { id },
    });
  }
  if (expectedId !== undefined && id !== expectedId) {
    throw new DdcError('DDC_SHARD_ROOT_MISMATCH', `shard bytes hash to ${id}, not to the requested id ${expectedId}`, {
      hint: 'Store a shard under the id its bytes hash to',
      details: { id, expectedId },
    });
  }
  return { id, header, headerLength: hl, payload };
}

/**
 * Incremental verifier for shards that arrive as a stream (the node's PUT path):
 * feed parts with `update`, then `finish()` checks exactly as verifyShard does. It keeps no
 * part: the caller may reuse a part's memory once `update` returns.
 */
export class ShardVerifier {
  private headerBuf: Uint8Array = new Uint8Array(0);
  private parsed: { header: ShardHeader; headerLength: number } | undefined;
  private readonly merkle = new MerkleBuilder();
  private received = 0;

  constructor(private readonly maxBytes: number) {}

  get header(): ShardHeader | undefined {
    return this.parsed?.header;
  }

  get bytesReceived(): number {
    return this.received;
  }

  update(part: Uint8Array): void {
    this.received += part.length;
    if (this.received > this.maxBytes) {
      throw new DdcError('DDC_TOO_LARGE', `the shard exceeds the ${this.maxBytes}-byte limit`, { hint: 'Send pieces no larger than the cluster allows' });
    }
    if (this.parsed) {
      this.feedPayload(part);
      return;
    }
    // Usually the first part holds the whole header: parse it in place rather than copy the part.
    let joined = part;
    if (this.headerBuf.length > 0) {
      joined = new Uint8Array(this.headerBuf.length + part.length);
      joined.set(this.headerBuf, 0);
      joined.set(part, this.headerBuf.length);
    }
    const len = peekHeaderLength(joined);
    if (len === undefined || joined.length < len) {
      // Keep a copy: the caller may reuse the part's memory (a Buffer's slice() would be a view).
      this.headerBuf = joined === part ? new Uint8Array(part) : joined;
      return;
    }
    // The header outlives this call: parse a copy, so the caller may reuse the part's memory.
    this.parsed = decodeShardHeader(new Uint8Array(joined.subarray(0, len)));
    this.headerBuf = new Uint8Array(0);
    this.feedPayload(joined.subarray(len));
  }

  private feedPayload(part: Uint8Array): void {
    const total = this.merkle.length + part.length;
    if (total > this.parsed!.header.shardLength) {
      throw malformed(`more bytes than the ${this.parsed!.header.shardLength} the header declares`);
    }
    if (part.length) this.merkle.update(part);
  }

  /** Gives up without finishing (an aborted upload): the builder's buffer goes back for the next verifier. */
  release(): void {
    this.merkle.release();
  }

  finish(expectedId?: string): { id: string; header: ShardHeader; headerLength: number; length: number } {
    try {
      return this.check(expectedId);
    } finally {
      this.merkle.release();
    }
  }

  private check(expectedId: string | undefined): { id: string; header: ShardHeader; headerLength: number; length: number } {
    if (!this.parsed) throw malformed('the body ended inside the header');
    const { header, headerLength: hl } = this.parsed;
    if (this.merkle.length !== header.shardLength) throw malformed(`the body ended after ${this.merkle.length} of ${header.shardLength} shard bytes`);
    const root = shardRoot(header, this.merkle.digest());
    const id = toHex(root);
    if (!equalBytes(root, header.roots[header.index]!)) {
      throw new DdcError('DDC_SHARD_ROOT_MISMATCH', `shard bytes hash to ${id}, but the header lists another root for index ${header.index}`, {
        hint: 'The shard was damaged in transit; re-upload it',
        details: { id },
      });
    }
    if (expectedId !== undefined && id !== expectedId) {
      throw new DdcError('DDC_SHARD_ROOT_MISMATCH', `shard bytes hash to ${id}, not to the id ${expectedId} in the request`, {
        hint: 'Store a shard under the id its bytes hash to',
        details: { id, expectedId },
      });
    }
    return { id, header, headerLength: hl, length: hl + header.shardLength };
  }
}
