/**
 * Object records v1 (docs/ACCESS.md, docs/FORMATS.md): the signed statement "in bucket B,
 * key K, version V is CID C". Bytes: magic `DDCR` || 0x01 || DAG-CBOR map. Decoding is
 * strict: exact key set, canonical DAG-CBOR (re-encoding gives the same bytes), bounded
 * sizes and a valid Ed25519 signature by the writer, so one record has one byte form and
 * an edited byte is never silently accepted.
 */
import * as dagCbor from '@ipld/dag-cbor';
import { CID } from 'multiformats/cid';
import { concatBytes, equalBytes, textEncoder, toHex } from '../bytes.js';
import { DdcError } from '../errors.js';
import { signBytes, verifySignature, type Ed25519KeyPair } from '../identity/keys.js';

export const RECORD_MAGIC = textEncoder.encode('DDCR');
export const RECORD_VERSION = 1;
/** Largest record in bytes (the node refuses bigger POST bodies too). */
export const MAX_RECORD_BYTES = 64 * 1024;
export const MAX_KEY_BYTES = 1024;
/** User metadata: the UTF-8 of every name and value together, like S3's 2 KB. */
export const MAX_METADATA_BYTES = 2048;
/** A token chain is at most 8 KiB (docs/ACCESS.md). */
export const MAX_TOKEN_BYTES = 8192;
export const MAX_CONTENT_TYPE_LENGTH = 256;
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
const SIGNING_DOMAIN = textEncoder.encode('ddc-record-v1\0');
const MAX_EDEKS = 1024;
const MAX_TIME_MS = 2 ** 48 - 1;

/** An encrypted data-encryption key: HPKE to `to` (X25519), see core/crypto. */
export interface EdekInfo {
  to: Uint8Array;
  enc: Uint8Array;
  ct: Uint8Array;
  exp: number | null;
}

/** What a reader needs to decrypt (kept structural so this module does not import core/crypto). */
export interface EncryptionInfo {
  alg: string;
  chunk: number;
  oid: Uint8Array;
  size: number;
  edeks: EdekInfo[];
  group: { t: number; shares: EdekInfo[] } | null;
  /** JSON field grants (`flds`, only when there are any): the key of the subtree at `ptr`, sealed to one reader. */
  fields?: FieldGrantInfo[];
}

export interface FieldGrantInfo extends EdekInfo {
  /** The JSON pointer of the shared subtree (RFC 6901). */
  ptr: string;
}

export interface ObjectRecord {
  bucket: number;
  key: string;
  /** `<12 hex ms><8 hex random>`; its time part equals `time`. */
  version: string;
  /** Root CID of the content; null for a delete marker or a purge. */
  cid: string | null;
  size: number;
  contentType: string;
  metadata: Record<string, string>;
  encryption: EncryptionInfo | null;
  /** Unix ms when the writer made it. */
  time: number;
  /** The writer's Ed25519 key (32 bytes); it signs the record. */
  writer: Uint8Array;
  /** The writer's capability token bytes (its chain proves the right to put or delete). */
  token: Uint8Array;
  /** Set on a purge: the version of the same key this record removes for good (cid is then null). */
  purges: string | null;
  signature: Uint8Array;
  /** The encoded record. */
  bytes: Uint8Array;
}

/** What a writer gives to signRecord; version and time default to now, the rest to an empty plain object. */
export interface RecordInput {
  bucket: number;
  key: string;
  cid: string | null;
  size?: number;
  token: Uint8Array;
  version?: string;
  time?: number;
  contentType?: string;
  metadata?: Record<string, string>;
  encryption?: EncryptionInfo | null;
  purges?: string | null;
}

type Fail = (message: string, hint?: string) => DdcError;

const invalidRecord: Fail = (message, hint) => new DdcError('DDC_RECORD_INVALID', `invalid object record: ${message}`, { hint: hint ?? 'The record is damaged or was not made by a DDC v1 writer; fetch it again from another replica' });
const invalidArg: Fail = (message, hint) => new DdcError('DDC_INVALID_ARGUMENT', message, hint === undefined ? {} : { hint });

const VERSION_ID = /^[0-9a-f]{20}$/;
const META_NAME = /^[a-z0-9][a-z0-9._-]{0,127}$/;
const CONTENT_TYPE = /^[\x20-\x7e]+$/;

/** A fresh version id: 12 hex digits of Unix ms, then 8 random hex digits. Sorts by time. */
export function newVersionId(timeMs: number = Date.now()): string {
  if (!Number.isInteger(timeMs) || timeMs < 0 || timeMs > MAX_TIME_MS) throw invalidArg(`time ${timeMs} is not an integer number of ms from 0 to 2^48 - 1`);
  const rnd = crypto.getRandomValues(new Uint8Array(4));
  return timeMs.toString(16).padStart(12, '0') + toHex(rnd);
}

export function isVersionId(s: unknown): s is string {
  return typeof s === 'string' && VERSION_ID.test(s);
}

/** The Unix ms a version id was made at. */
export function versionTime(version: string): number {
  return parseInt(version.slice(0, 12), 16);
}

/** Orders version ids (fixed-length lowercase hex, so by string). */
export function compareVersions(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function hasLoneSurrogate(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const n = s.charCodeAt(i + 1);
      if (n >= 0xdc00 && n <= 0xdfff) i++;
      else return true;
    } else if (c >= 0xdc00 && c <= 0xdfff) return true;
  }
  return false;
}

function checkKeyWith(key: unknown, fail: Fail): string {
  if (typeof key !== 'string') throw fail('an object key must be a string');
  if (hasLoneSurrogate(key)) throw fail('the object key is not valid Unicode (a lone surrogate)', 'Use well-formed UTF-16 strings for keys');
  const n = textEncoder.encode(key).length;
  if (n < 1 || n > MAX_KEY_BYTES) throw fail(`an object key is 1 to ${MAX_KEY_BYTES} UTF-8 bytes, this one is ${n}`, 'Use a shorter key');
  if (key.includes('\0')) throw fail('an object key may not contain NUL (U+0000)', 'Remove the NUL character from the key');
  return key;
}

/** Throws DDC_INVALID_ARGUMENT unless `key` is a valid object key: 1..1024 UTF-8 bytes, no NUL. */
export function checkObjectKey(key: unknown): string {
  return checkKeyWith(key, invalidArg);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof CID);
}

function exactKeys(o: Record<string, unknown>, keys: readonly string[], where: string, fail: Fail): void {
  const have = Object.keys(o);
  for (const k of have) if (!keys.includes(k)) throw fail(`unknown field ${JSON.stringify(k)} in ${where}`);
  for (const k of keys) if (!(k in o)) throw fail(`${where} lacks the field ${JSON.stringify(k)}`);
}

function uint(v: unknown, name: string, max: number, fail: Fail): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw fail(`${name} must be an integer from 0 to ${max}`);
  return v;
}

function bytes(v: unknown, name: string, min: number, max: number, fail: Fail): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length < min || v.length > max) throw fail(min === max ? `${name} must be ${min} bytes` : `${name} must be ${min} to ${max} bytes`);
  return v;
}

/** Throws unless `metadata` is a map of lowercase names to strings within 2 KiB. */
function checkMetadataWith(metadata: unknown, fail: Fail): Record<string, string> {
  if (!isPlainObject(metadata)) throw fail('metadata must be an object of string values');
  let total = 0;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata)) {
    if (!META_NAME.test(name)) throw fail(`metadata name ${JSON.stringify(name.slice(0, 64))} is not 1-128 lowercase letters, digits, '.', '_' or '-'`, 'Lower-case the name and drop other characters (names travel as x-amz-meta-* headers)');
    if (typeof value !== 'string' || hasLoneSurrogate(value) || value.includes('\0')) throw fail(`metadata ${JSON.stringify(name)} must be a well-formed string without NUL`);
    total += textEncoder.encode(name).length + textEncoder.encode(value).length;
    out[name] = value;
  }
  if (total > MAX_METADATA_BYTES) throw fail(`metadata is ${total} bytes (names and values), over the ${MAX_METADATA_BYTES}-byte limit`, 'Keep user metadata under 2 KiB, as S3 does; store more in the object');
  return out;
}

export function checkMetadata(metadata: unknown): Record<string, string> {
  return checkMetadataWith(metadata, invalidArg);
}

function checkEdek(v: unknown, where: string, fail: Fail): EdekInfo {
  if (!isPlainObject(v)) throw fail(`${where} must be a map`);
  exactKeys(v, ['to', 'enc', 'ct', 'exp'], where, fail);
  return {
    to: bytes(v.to, `${where}.to`, 32, 32, fail),
    enc: bytes(v.enc, `${where}.enc`, 1, 256, fail),
    ct: bytes(v.ct, `${where}.ct`, 1, 1024, fail),
    exp: v.exp === null ? null : uint(v.exp, `${where}.exp`, Number.MAX_SAFE_INTEGER, fail),
  };
}

function checkEncryptionWith(v: unknown, fail: Fail): EncryptionInfo | null {
  if (v === null) return null;
  if (!isPlainObject(v)) throw fail('enc must be a map or null');
  exactKeys(v, 'flds' in v ? ['alg', 'chunk', 'oid', 'size', 'edeks', 'group', 'flds'] : ['alg', 'chunk', 'oid', 'size', 'edeks', 'group'], 'enc', fail);
  if (typeof v.alg !== 'string' || v.alg.length < 1 || v.alg.length > 64 || !CONTENT_TYPE.test(v.alg)) throw fail('enc.alg must be 1-64 printable ASCII characters');
  const chunk = uint(v.chunk, 'enc.chunk', 2 ** 32, fail);
  if (chunk < 1) throw fail('enc.chunk must be at least 1');
  if (!Array.isArray(v.edeks) || v.edeks.length > MAX_EDEKS) throw fail(`enc.edeks must be a list of at most ${MAX_EDEKS}`);
  let group: EncryptionInfo['group'] = null;
  if (v.group !== null) {
    if (!isPlainObject(v.group)) throw fail('enc.group must be a map or null');
    exactKeys(v.group, ['t', 'shares'], 'enc.group', fail);
    const shares = v.group.shares;
    if (!Array.isArray(shares) || shares.length < 1 || shares.length > 255) throw fail('enc.group.shares must list 1 to 255 shares');
    const t = uint(v.group.t, 'enc.group.t', 255, fail);
    if (t < 1 || t > shares.length) throw fail(`enc.group.t must be from 1 to the number of shares (${shares.length})`);
    group = { t, shares: shares.map((s, i) => checkEdek(s, `enc.group.shares[${i}]`, fail)) };
  }
  let fields: FieldGrantInfo[] | undefined;
  if ('flds' in v) {
    // Present only when non-empty, so that a record has one encoding.
    if (!Array.isArray(v.flds) || v.flds.length < 1 || v.flds.length > MAX_EDEKS) throw fail(`enc.flds must list 1 to ${MAX_EDEKS} field grants (leave it out when there are none)`);
    fields = v.flds.map((g, i) => {
      const where = `enc.flds[${i}]`;
      if (!isPlainObject(g)) throw fail(`${where} must be a map`);
      const { ptr, ...edek } = g;
      if (typeof ptr !== 'string' || ptr.length > MAX_POINTER_LENGTH || (ptr !== '' && !ptr.startsWith('/'))) {
        throw fail(`${where}.ptr must be a JSON pointer ("" or starting with "/") of at most ${MAX_POINTER_LENGTH} characters`);
      }
      return { ptr, ...checkEdek(edek, where, fail) };
    });
  }
  return {
    alg: v.alg,
    chunk,
    oid: bytes(v.oid, 'enc.oid', 16, 16, fail),
    size: uint(v.size, 'enc.size', Number.MAX_SAFE_INTEGER, fail),
    edeks: v.edeks.map((e, i) => checkEdek(e, `enc.edeks[${i}]`, fail)),
    group,
    ...(fields ? { fields } : {}),
  };
}

const MAX_POINTER_LENGTH = 1024;

function parseCidText(text: unknown): CID {
  if (typeof text !== 'string') throw invalidArg('cid must be a CID string or null');
  try {
    return CID.parse(text.trim());
  } catch (cause) {
    throw new DdcError('DDC_INVALID_CID', `"${text.slice(0, 80)}" is not a valid CID`, { cause, hint: 'Pass the root CID of the stored content' });
  }
}

type CborMap = Record<string, unknown>;
const FIELDS = ['bkt', 'key', 'ver', 'cid', 'size', 'type', 'meta', 'enc', 'time', 'wkey', 'tok', 'prg', 'sig'] as const;

/** Validates the record map (everything but the signature) and returns the record's fields. */
function fieldsOf(m: CborMap, fail: Fail): Omit<ObjectRecord, 'signature' | 'bytes'> {
  const bucket = uint(m.bkt, 'bkt (bucket id)', Number.MAX_SAFE_INTEGER, fail);
  const key = checkKeyWith(m.key, fail);
  if (!isVersionId(m.ver)) throw fail('ver must be a version id: 20 lowercase hex digits');
  const time = uint(m.time, 'time', MAX_TIME_MS, fail);
  if (versionTime(m.ver) !== time) throw fail(`the version ${m.ver} was not made at the record's time ${time}`, 'Make the version with newVersionId(time)');
  if (m.cid !== null && !(m.cid instanceof CID)) throw fail('cid must be a CID or null');
  const cid = m.cid === null ? null : m.cid.toString();
  const size = uint(m.size, 'size', Number.MAX_SAFE_INTEGER, fail);
  if (typeof m.type !== 'string' || m.type.length < 1 || m.type.length > MAX_CONTENT_TYPE_LENGTH || !CONTENT_TYPE.test(m.type)) {
    throw fail(`the content type must be 1-${MAX_CONTENT_TYPE_LENGTH} printable ASCII characters`);
  }
  const metadata = checkMetadataWith(m.meta, fail);
  const encryption = checkEncryptionWith(m.enc, fail);
  const writer = bytes(m.wkey, 'wkey (writer key)', 32, 32, fail);
  const token = bytes(m.tok, 'tok (token)', 1, MAX_TOKEN_BYTES, fail);
  let purges: string | null = null;
  if (m.prg !== null) {
    if (!isVersionId(m.prg)) throw fail('prg must be a version id or null');
    if (m.prg === m.ver) throw fail('a record cannot purge its own version');
    purges = m.prg;
  }
  if (cid === null && (size !== 0 || encryption !== null || Object.keys(metadata).length > 0)) {
    throw fail('a delete marker or purge (cid null) has size 0, no enc and no metadata');
  }
  if (purges !== null && cid !== null) throw fail('a purge record has no cid');
  return { bucket, key, version: m.ver, cid, size, contentType: m.type, metadata, encryption, time, writer, token, purges };
}

function encMap(e: EncryptionInfo | null): CborMap | null {
  if (e === null) return null;
  const edek = (d: EdekInfo) => ({ to: d.to, enc: d.enc, ct: d.ct, exp: d.exp });
  const map: CborMap = { alg: e.alg, chunk: e.chunk, oid: e.oid, size: e.size, edeks: e.edeks.map(edek), group: e.group === null ? null : { t: e.group.t, shares: e.group.shares.map(edek) } };
  if (e.fields && e.fields.length > 0) map.flds = e.fields.map((g) => ({ ptr: g.ptr, ...edek(g) }));
  return map;
}

/** The bytes the writer signs: the domain, then DAG-CBOR of the map without `sig`. */
function signingBytes(unsigned: CborMap): Uint8Array {
  return concatBytes([SIGNING_DOMAIN, dagCbor.encode(unsigned)]);
}

function frame(body: Uint8Array): Uint8Array {
  return concatBytes([RECORD_MAGIC, new Uint8Array([RECORD_VERSION]), body]);
}

/** Builds, checks and signs a record with the writer's Ed25519 key. Throws DDC_INVALID_ARGUMENT for bad fields. */
export function signRecord(input: RecordInput, signing: Ed25519KeyPair): ObjectRecord {
  const time = input.time ?? (input.version !== undefined && isVersionId(input.version) ? versionTime(input.version) : Date.now());
  const unsigned: CborMap = {
    bkt: input.bucket,
    key: input.key,
    ver: input.version ?? newVersionId(time),
    cid: input.cid === null ? null : parseCidText(input.cid),
    size: input.size ?? 0,
    type: input.contentType ?? DEFAULT_CONTENT_TYPE,
    meta: input.metadata ?? {},
    enc: encMap(input.encryption ?? null),
    time,
    wkey: signing.publicKey,
    tok: input.token,
    prg: input.purges ?? null,
  };
  const fields = fieldsOf(unsigned, invalidArg);
  const signature = signBytes(signingBytes(unsigned), signing.secretKey);
  const recordBytes = frame(dagCbor.encode({ ...unsigned, sig: signature }));
  if (recordBytes.length > MAX_RECORD_BYTES) throw invalidArg(`the record is ${recordBytes.length} bytes, over the ${MAX_RECORD_BYTES}-byte limit`, 'Share with fewer readers or keep less metadata');
  return { ...fields, signature, bytes: recordBytes };
}

/** The record's bytes (as signed). */
export function encodeRecord(record: ObjectRecord): Uint8Array {
  return record.bytes;
}

export interface DecodeRecordOptions {
  /**
   * Skip the canonical-form and signature checks: only for bytes this process verified
   * before and stored itself (the node's record store reads).
   */
  trusted?: boolean;
}

/** Parses and verifies record bytes; throws DDC_RECORD_INVALID for anything malformed or a bad signature. */
export function decodeRecord(input: Uint8Array, options: DecodeRecordOptions = {}): ObjectRecord {
  if (!(input instanceof Uint8Array)) throw invalidRecord('not bytes');
  if (input.length > MAX_RECORD_BYTES) throw invalidRecord(`${input.length} bytes, over the ${MAX_RECORD_BYTES}-byte limit`);
  if (input.length < 6 || !equalBytes(input.subarray(0, 4), RECORD_MAGIC)) throw invalidRecord('no DDCR magic');
  if (input[4] !== RECORD_VERSION) throw invalidRecord(`version ${input[4]}, this code reads version ${RECORD_VERSION}`, 'Upgrade DDC to read newer records');
  const body = input.subarray(5);
  let m: unknown;
  try {
    m = dagCbor.decode(body);
  } catch (cause) {
    throw new DdcError('DDC_RECORD_INVALID', 'invalid object record: the body is not DAG-CBOR', { cause });
  }
  if (!isPlainObject(m)) throw invalidRecord('the body is not a map');
  exactKeys(m, FIELDS, 'the record', invalidRecord);
  const fields = fieldsOf(m, invalidRecord);
  const signature = bytes(m.sig, 'sig', 64, 64, invalidRecord);
  const recordBytes = Uint8Array.from(input);
  if (options.trusted) return { ...fields, signature, bytes: recordBytes };
  if (!equalBytes(dagCbor.encode(m), body)) throw invalidRecord('the DAG-CBOR is not in canonical form');
  const { sig: _sig, ...unsigned } = m;
  if (!verifySignature(signature, signingBytes(unsigned), fields.writer)) {
    throw new DdcError('DDC_RECORD_INVALID', 'invalid object record: the signature does not verify under the writer key', { hint: 'The record was altered; fetch it again from another replica' });
  }
  return { ...fields, signature, bytes: recordBytes };
}

export function isDeleteMarker(r: Pick<ObjectRecord, 'cid' | 'purges'>): boolean {
  return r.cid === null && r.purges === null;
}

export function isPurge(r: Pick<ObjectRecord, 'purges'>): boolean {
  return r.purges !== null;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Orders records of one key: by version, then (two writers, one version id) by bytes, so every reader picks the same. */
export function compareRecords(a: Pick<ObjectRecord, 'version' | 'bytes'>, b: Pick<ObjectRecord, 'version' | 'bytes'>): number {
  return compareVersions(a.version, b.version) || Math.sign(compareBytes(a.bytes, b.bytes));
}

/**
 * The current record of one key among `records` (e.g. the versions several replicas sent):
 * the newest that is not a purge and not purged by one of them. A delete marker can be
 * the answer (the key is deleted); null when nothing is left.
 */
export function newestRecord<R extends Pick<ObjectRecord, 'version' | 'bytes' | 'purges'>>(records: Iterable<R>): R | null {
  const all = [...records];
  const purged = new Set<string>();
  for (const r of all) if (r.purges !== null) purged.add(r.purges);
  let best: R | null = null;
  for (const r of all) {
    if (r.purges !== null || purged.has(r.version)) continue;
    if (best === null || compareRecords(r, best) > 0) best = r;
  }
  return best;
}
