/**
 * Route parsing for the node API (docs/PROTOCOL.md), a pure function of method and URL so
 * it can be fuzzed. Hand-written instead of `new URL` because it runs on every request.
 */
import { DdcError, MAX_KEY_BYTES, checkObjectKey, isShardId, isVersionId, parseCid, textEncoder } from '@ddc/core';
import { invalidArgument } from '../errors.js';

/** An object key of 1024 UTF-8 bytes is up to 3072 characters percent-encoded; a listing carries two (prefix, after). */
export const MAX_URL_BYTES = 8192;
export const DEFAULT_LIST_LIMIT = 1000;
export const MAX_LIST_LIMIT = 10_000;
/** Records per listing page: 1000 like S3 (a record is up to 64 KiB). */
export const MAX_RECORD_LIST_LIMIT = 1000;
/** Longest delimiter taken. */
export const MAX_DELIMITER_BYTES = 64;
/** A digest cursor: base64url of (key, 0x00, version), so at most 1045 bytes. */
const DIGEST_CURSOR = /^[A-Za-z0-9_-]{1,1400}$/;
/** Largest stripe is 256 shards, so indexes are 0..255. */
const MAX_INDEX = 255;

export type Route =
  | { kind: 'shard'; method: 'GET' | 'HEAD' | 'PUT' | 'DELETE'; id: string; verify: boolean }
  | { kind: 'challenge'; id: string; leaf: number; nonce?: string }
  | { kind: 'header'; method: 'GET' | 'HEAD'; id: string }
  | { kind: 'pieceShard'; method: 'GET' | 'HEAD'; cid: string; index: number; verify: boolean }
  | { kind: 'piece'; cid: string }
  | { kind: 'pieceBatch' }
  | { kind: 'shardPutBatch' }
  | { kind: 'list'; after: string | undefined; limit: number }
  | { kind: 'health'; method: 'GET' | 'HEAD' }
  | { kind: 'info' }
  // Maintenance (http/maintenance.ts): which pieces a node holds, status, repair and scrub passes.
  | { kind: 'has' }
  | { kind: 'status' }
  | { kind: 'repairRun' }
  | { kind: 'scrubRun' }
  // Object records (http/records.ts).
  | RecordRoute;

export type RecordRoute =
  | { kind: 'recordBuckets' }
  | { kind: 'recordPut'; bucket: number }
  | { kind: 'recordGet'; bucket: number; key: string; version: string | undefined; versions: boolean }
  | { kind: 'recordList'; bucket: number; prefix: string; delimiter: string; after: string | null; limit: number }
  | { kind: 'recordDigest'; bucket: number; after: string | undefined; limit: number };

function notFound(path: string): DdcError {
  return new DdcError('DDC_NOT_FOUND', `no route ${path}`, { hint: 'See docs/PROTOCOL.md for the node API' });
}

function notAllowed(method: string, path: string, allow: readonly string[]): DdcError {
  return new DdcError('DDC_METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}`, { hint: `Use ${allow.join(', ')}`, details: { allow } });
}

function allow<M extends string>(method: string, path: string, allowed: readonly M[]): M {
  if ((allowed as readonly string[]).includes(method)) return method as M;
  throw notAllowed(method, path, allowed);
}

/** The query string as a map; the last of repeated keys wins. */
export function parseQuery(query: string): Map<string, string> {
  const out = new Map<string, string>();
  if (query.length === 0) return out;
  for (const part of query.split('&')) {
    if (part.length === 0) continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    out.set(decode(key), decode(value));
  }
  return out;
}

function decode(s: string): string {
  if (!s.includes('%') && !s.includes('+')) return s;
  try {
    return decodeURIComponent(s.replaceAll('+', ' '));
  } catch {
    throw invalidArgument(`"${s.slice(0, 64)}" is not valid percent-encoding`);
  }
}

function shardId(s: string): string {
  if (!isShardId(s)) throw invalidArgument(`"${s.slice(0, 80)}" is not a shard id`, 'A shard id is the 64 lowercase hex digits of its root');
  return s;
}

function uint(name: string, s: string | undefined, max: number): number {
  if (s === undefined || !/^\d{1,10}$/.test(s) || Number(s) > max) {
    throw invalidArgument(`${name} ${JSON.stringify(s ?? null)} is not an integer from 0 to ${max}`);
  }
  return Number(s);
}

/** An auditor's challenge nonce: 1-64 bytes as lowercase hex. */
function nonceHex(s: string): string {
  if (!/^(?:[0-9a-f]{2}){1,64}$/.test(s)) throw invalidArgument(`nonce ${JSON.stringify(s.slice(0, 80))} is not 1-64 bytes of lowercase hex`);
  return s;
}

function flag(q: Map<string, string>, key: string): boolean {
  const v = q.get(key);
  return v !== undefined && v !== '0' && v !== 'false';
}

const CANONICAL_CID = /^b[a-z2-7]{8,200}$/;

/** A piece CID in the canonical form shards are indexed under (CIDv1, base32). */
export function canonicalCid(s: string): string {
  if (CANONICAL_CID.test(s)) return s; // already the form CID.toString() gives: skip parsing on the read path
  const cid = parseCid(s);
  return (cid.version === 0 ? cid.toV1() : cid).toString();
}

/** A path segment: percent-decoded, '+' kept as itself (it means a space only in queries). */
function decodeSegment(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    throw invalidArgument(`"${s.slice(0, 64)}" is not valid percent-encoding`, 'Encode the key as one path segment with encodeURIComponent');
  }
}

const BUCKET_ID = /^(?:0|[1-9][0-9]{0,15})$/;

function bucketId(s: string): number {
  if (!BUCKET_ID.test(s) || !Number.isSafeInteger(Number(s))) throw invalidArgument(`bucket ${JSON.stringify(s.slice(0, 40))} is not a bucket id`, 'A bucket id is a decimal integer');
  return Number(s);
}

/** A key prefix or listing cursor: up to 1024 UTF-8 bytes, no NUL ('' allowed). */
function keyText(name: string, s: string | undefined, maxBytes = MAX_KEY_BYTES): string {
  if (s === undefined) return '';
  if (s.includes('\0') || textEncoder.encode(s).length > maxBytes) throw invalidArgument(`${name} must be at most ${maxBytes} UTF-8 bytes without NUL`);
  return s;
}

function listLimit(q: Map<string, string>, max: number): number {
  const limit = q.has('limit') ? Math.min(uint('limit', q.get('limit'), Number.MAX_SAFE_INTEGER), max) : Math.min(DEFAULT_LIST_LIMIT, max);
  if (limit < 1) throw invalidArgument('limit must be at least 1');
  return limit;
}

/** /v1/buckets, /v1/buckets/{bucket}/records[/{key}] and /v1/buckets/{bucket}/digest. */
function recordRoute(method: string, path: string, query: string, segments: readonly string[]): RecordRoute {
  const [b, sub, key, extra] = segments;
  if (b === undefined) {
    allow(method, path, ['GET'] as const);
    return { kind: 'recordBuckets' };
  }
  if (b === undefined || sub === undefined || extra !== undefined || (sub !== 'records' && sub !== 'digest')) throw notFound(path);
  if (sub === 'digest') {
    if (key !== undefined) throw notFound(path);
    allow(method, path, ['GET'] as const);
    const bucket = bucketId(b);
    const q = parseQuery(query);
    const after = q.get('after');
    if (after !== undefined && after !== '' && !DIGEST_CURSOR.test(after)) throw invalidArgument('after is not a digest cursor', 'Pass the "next" of the previous digest page');
    return { kind: 'recordDigest', bucket, after: after === undefined || after === '' ? undefined : after, limit: listLimit(q, MAX_LIST_LIMIT) };
  }
  if (key === undefined) {
    const m = allow(method, path, ['GET', 'POST'] as const);
    const bucket = bucketId(b);
    if (m === 'POST') return { kind: 'recordPut', bucket };
    const q = parseQuery(query);
    const delimiter = keyText('delimiter', q.get('delimiter'), MAX_DELIMITER_BYTES);
    const after = keyText('after', q.get('after'));
    return { kind: 'recordList', bucket, prefix: keyText('prefix', q.get('prefix')), delimiter, after: after === '' ? null : after, limit: listLimit(q, MAX_RECORD_LIST_LIMIT) };
  }
  allow(method, path, ['GET'] as const);
  const bucket = bucketId(b);
  const k = checkObjectKey(decodeSegment(key));
  const q = parseQuery(query);
  const version = q.get('version');
  if (version !== undefined && !isVersionId(version)) throw invalidArgument(`version ${JSON.stringify(String(version).slice(0, 40))} is not a version id`, 'A version id is 20 lowercase hex digits');
  return { kind: 'recordGet', bucket, key: k, version, versions: query.length > 0 && flag(q, 'versions') };
}

/** Parses a request line into a route, or throws a DdcError with the answer to send. */
export function parseRoute(method: string, url: string): Route {
  if (url.length > MAX_URL_BYTES) throw invalidArgument(`the URL is ${url.length} bytes, over the ${MAX_URL_BYTES}-byte limit`);
  const qAt = url.indexOf('?');
  const path = qAt < 0 ? url : url.slice(0, qAt);
  const query = qAt < 0 ? '' : url.slice(qAt + 1);
  if (path === '/health') return { kind: 'health', method: allow(method, path, ['GET', 'HEAD'] as const) };
  if (path === '/info') {
    allow(method, path, ['GET'] as const);
    return { kind: 'info' };
  }
  if (!path.startsWith('/v1/')) throw notFound(path);
  const parts = path.slice(4).split('/');
  const [collection, a, b, extra] = parts;
  if (collection === 'buckets') return recordRoute(method, path, query, parts.slice(1));
  if (collection === 'shards') {
    if (a === undefined) {
      allow(method, path, ['GET'] as const);
      const q = parseQuery(query);
      const after = q.get('after');
      const limit = q.has('limit') ? Math.min(uint('limit', q.get('limit'), Number.MAX_SAFE_INTEGER), MAX_LIST_LIMIT) : DEFAULT_LIST_LIMIT;
      if (limit < 1) throw invalidArgument('limit must be at least 1');
      return { kind: 'list', after: after === undefined || after === '' ? undefined : shardId(after), limit };
    }
    if (a === 'batch' && b === undefined) {
      allow(method, path, ['POST'] as const);
      return { kind: 'shardPutBatch' };
    }
    if (b === undefined) {
      const m = allow(method, path, ['GET', 'HEAD', 'PUT', 'DELETE'] as const);
      return { kind: 'shard', method: m, id: shardId(a), verify: query.length > 0 && flag(parseQuery(query), 'verify') };
    }
    if (b === 'challenge' && extra === undefined) {
      allow(method, path, ['GET'] as const);
      const id = shardId(a);
      const q = parseQuery(query);
      const route: Extract<Route, { kind: 'challenge' }> = { kind: 'challenge', id, leaf: uint('leaf', q.get('leaf'), 2 ** 32) };
      if (q.has('nonce')) route.nonce = nonceHex(q.get('nonce')!);
      return route;
    }
    if (b === 'header' && extra === undefined) {
      const m = allow(method, path, ['GET', 'HEAD'] as const);
      return { kind: 'header', method: m, id: shardId(a) };
    }
    throw notFound(path);
  }
  if (collection === 'pieces' && a === 'has' && b === undefined) {
    allow(method, path, ['POST'] as const);
    return { kind: 'has' };
  }
  if (collection === 'pieces' && a === 'batch' && b === undefined) {
    allow(method, path, ['POST'] as const);
    return { kind: 'pieceBatch' };
  }
  if (collection === 'status' && a === undefined) {
    allow(method, path, ['GET'] as const);
    return { kind: 'status' };
  }
  if ((collection === 'repair' || collection === 'scrub') && a === 'run' && b === undefined) {
    allow(method, path, ['POST'] as const);
    return { kind: collection === 'repair' ? 'repairRun' : 'scrubRun' };
  }
  if (collection === 'pieces' && a !== undefined && a.length > 0 && extra === undefined) {
    const cid = canonicalCid(decode(a));
    if (b === undefined) {
      allow(method, path, ['GET'] as const);
      return { kind: 'piece', cid };
    }
    const m = allow(method, path, ['GET', 'HEAD'] as const);
    return { kind: 'pieceShard', method: m, cid, index: uint('index', b, MAX_INDEX), verify: query.length > 0 && flag(parseQuery(query), 'verify') };
  }
  throw notFound(path);
}
