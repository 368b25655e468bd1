/**
 * AWS Signature Version 4 for S3, the receiving side: header auth (`Authorization:
 * AWS4-HMAC-SHA256 …`) and presigned URLs (`X-Amz-Signature` in the query). The canonical
 * request follows the AWS documentation ("Create a canonical request for Signature Version 4"),
 * with S3's rules: the path is URI-encoded once and not normalized, and the payload hash is
 * the x-amz-content-sha256 header (a hex SHA-256, UNSIGNED-PAYLOAD, or a STREAMING-* mode).
 * Streaming bodies are checked chunk by chunk in chunked.ts with the signing key found here.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { S3Error } from '../s3/errors.js';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** How far x-amz-date may be from our clock (S3's 15 minutes). */
export const MAX_SKEW_MS = 15 * 60 * 1000;
/** The longest a presigned URL may be valid (S3's 7 days). */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/** What the verifier needs of an HTTP request. */
export interface SigV4Request {
  method: string;
  /** The path as sent, still percent-encoded, without the query. */
  rawPath: string;
  /** The query string as sent, without `?` ('' when none). */
  rawQuery: string;
  /** Lower-case header name → its values in arrival order. */
  headers: Map<string, string[]>;
}

/** How the body must be checked after the signature of the request itself is good. */
export type PayloadCheck =
  | { kind: 'unsigned' }
  | { kind: 'sha256'; hex: string }
  | { kind: 'streaming'; signed: StreamingSigner | null; trailer: boolean };

/** What chunk signatures chain from: the request's signature and its signing key. */
export interface StreamingSigner {
  signingKey: Buffer;
  timestamp: string;
  scope: string;
  seedSignature: string;
}

export interface Authenticated {
  accessKeyId: string;
  presigned: boolean;
  payload: PayloadCheck;
}

/** The secret of an access key id, or undefined when the id is unknown. */
export type SecretLookup = (accessKeyId: string) => string | undefined;

/** Headers of a Node request (rawHeaders: name, value, name, value…) as SigV4Request.headers. */
export function headerMap(rawHeaders: readonly string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const list = map.get(name);
    if (list) list.push(rawHeaders[i + 1]!);
    else map.set(name, [rawHeaders[i + 1]!]);
  }
  return map;
}

export function header(req: { headers: Map<string, string[]> }, name: string): string | undefined {
  return req.headers.get(name)?.join(',');
}

/** AWS UriEncode: every byte but A–Z a–z 0–9 - _ . ~ as %XX (upper case); '/' kept when `path`. */
export function uriEncode(s: string, path: boolean): string {
  const out = encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return path ? out.replace(/%2F/g, '/') : out;
}

function decodeComponent(s: string, plusIsSpace: boolean): string {
  try {
    return decodeURIComponent(plusIsSpace ? s.replace(/\+/g, ' ') : s);
  } catch {
    throw new S3Error('InvalidURI', `Couldn't parse the specified URI: ${JSON.stringify(s.slice(0, 200))} has a broken percent-encoding`);
  }
}

/** The decoded path (S3 keys are the path after the bucket, decoded once). */
export function decodePath(rawPath: string): string {
  return decodeComponent(rawPath, false);
}

/** The query as decoded (name, value) pairs in order; '+' is a space, as in form encoding. */
export function parseQuery(rawQuery: string): [string, string][] {
  const out: [string, string][] = [];
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq);
    const value = eq < 0 ? '' : part.slice(eq + 1);
    out.push([decodeComponent(name, true), decodeComponent(value, true)]);
  }
  return out;
}

export function canonicalUri(rawPath: string): string {
  return uriEncode(decodePath(rawPath), true);
}

/** Sorted by encoded name, then encoded value; `skip` drops X-Amz-Signature for presigned URLs. */
export function canonicalQuery(pairs: readonly [string, string][], skip?: string): string {
  const enc = pairs.filter(([n]) => n !== skip).map(([n, v]) => [uriEncode(n, false), uriEncode(v, false)] as const);
  enc.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return enc.map(([n, v]) => `${n}=${v}`).join('&');
}

/** Values trimmed, runs of spaces collapsed, repeated headers joined with ','. */
export function canonicalHeaders(headers: Map<string, string[]>, signed: readonly string[]): string {
  return signed.map((name) => `${name}:${(headers.get(name) ?? []).map((v) => v.trim().replace(/\s+/g, ' ')).join(',')}\n`).join('');
}

export function canonicalRequest(req: SigV4Request, signedHeaders: readonly string[], payloadHash: string, query: readonly [string, string][], skipParam?: string): string {
  return [
    req.method,
    canonicalUri(req.rawPath),
    canonicalQuery(query, skipParam),
    canonicalHeaders(req.headers, signedHeaders),
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function hmac(key: Uint8Array | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

const keyCache = new Map<string, Buffer>();

/** kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"); cached per day. */
export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  const id = `${sha256Hex(secret)}/${date}/${region}/${service}`;
  let key = keyCache.get(id);
  if (!key) {
    key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
    if (keyCache.size > 1000) keyCache.clear();
    keyCache.set(id, key);
  }
  return key;
}

/**
 * Node decodes header bytes as latin1, so a header value sent as UTF-8 arrives as one
 * character per byte; hashing the canonical request as latin1 gives back the bytes the
 * client signed (everything else in it is ASCII).
 */
export function stringToSign(timestamp: string, scope: string, canonical: string): string {
  return `${ALGORITHM}\n${timestamp}\n${scope}\n${sha256Hex(Buffer.from(canonical, 'latin1'))}`;
}

/** Constant-time comparison of two lower-case hex signatures. */
export function sameSignature(expected: string, given: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(given)) return false;
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(given, 'hex'));
}

interface Credential {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  scope: string;
}

function parseCredential(text: string, err: (why: string) => S3Error): Credential {
  const parts = text.split('/');
  if (parts.length !== 5) throw err(`the Credential ${JSON.stringify(text.slice(0, 200))} must be AKID/YYYYMMDD/region/s3/aws4_request`);
  const [accessKeyId, date, region, service, terminator] = parts as [string, string, string, string, string];
  if (!accessKeyId) throw err('the Credential has no access key id');
  if (!/^\d{8}$/.test(date)) throw err(`the Credential's date ${JSON.stringify(date)} is not YYYYMMDD`);
  if (!region) throw err('the Credential has no region');
  if (service !== 's3') throw err(`the Credential's service is ${JSON.stringify(service)}; this endpoint is s3`);
  if (terminator !== 'aws4_request') throw err(`the Credential must end with aws4_request, not ${JSON.stringify(terminator)}`);
  return { accessKeyId, date, region, service, scope: `${date}/${region}/${service}/aws4_request` };
}

/** Unix ms of an ISO 8601 basic timestamp (20130524T000000Z), or NaN. */
export function parseAmzDate(s: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return NaN;
  const [, y, mo, d, h, mi, se] = m.map(Number) as [number, number, number, number, number, number, number];
  const t = Date.UTC(y, mo - 1, d, h, mi, se);
  const back = new Date(t);
  return back.getUTCDate() === d && back.getUTCMonth() === mo - 1 ? t : NaN;
}

export function formatAmzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function parseSignedHeaders(text: string, err: (why: string) => S3Error): string[] {
  const list = text.split(';');
  for (const h of list) if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(h)) throw err(`SignedHeaders holds ${JSON.stringify(h.slice(0, 100))}, not a lower-case header name`);
  const sorted = [...list].sort();
  if (sorted.some((h, i) => h !== list[i] || (i > 0 && h === sorted[i - 1]))) throw err('SignedHeaders must be sorted and without repeats');
  if (!list.includes('host')) throw err('SignedHeaders must include host');
  return list;
}

function payloadCheck(hash: string | undefined, signer: StreamingSigner): PayloadCheck {
  switch (hash) {
    case undefined:
      throw new S3Error('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
    case UNSIGNED_PAYLOAD:
      return { kind: 'unsigned' };
    case STREAMING_SIGNED:
      return { kind: 'streaming', signed: signer, trailer: false };
    case STREAMING_SIGNED_TRAILER:
      return { kind: 'streaming', signed: signer, trailer: true };
    case STREAMING_UNSIGNED_TRAILER:
      return { kind: 'streaming', signed: null, trailer: true };
    default:
      if (/^[0-9a-f]{64}$/.test(hash)) return { kind: 'sha256', hex: hash };
      if (hash.startsWith('STREAMING-AWS4-ECDSA')) throw new S3Error('NotImplemented', `x-amz-content-sha256 ${hash} (SigV4a) is not supported`, { Header: 'x-amz-content-sha256' });
      throw new S3Error('InvalidArgument', `x-amz-content-sha256 must be a hex SHA-256, ${UNSIGNED_PAYLOAD} or a STREAMING-* mode, not ${JSON.stringify(hash.slice(0, 80))}`, { ArgumentName: 'x-amz-content-sha256' });
  }
}

function checkSignature(secret: string, cred: Credential, timestamp: string, canonical: string, given: string): Buffer {
  const key = signingKey(secret, cred.date, cred.region, cred.service);
  const expected = hmac(key, stringToSign(timestamp, cred.scope, canonical)).toString('hex');
  if (!sameSignature(expected, given)) {
    throw new S3Error('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', {
      AWSAccessKeyId: cred.accessKeyId,
      StringToSign: stringToSign(timestamp, cred.scope, canonical),
      CanonicalRequest: canonical,
    });
  }
  return key;
}

function lookupSecret(lookup: SecretLookup, accessKeyId: string): string {
  const secret = lookup(accessKeyId);
  if (secret === undefined) {
    throw new S3Error('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: accessKeyId });
  }
  return secret;
}

function verifyHeaderAuth(req: SigV4Request, auth: string, lookup: SecretLookup, now: number): Authenticated {
  const err = (why: string) => new S3Error('AuthorizationHeaderMalformed', `The authorization header is malformed: ${why}`);
  if (!auth.startsWith(`${ALGORITHM} `)) {
    if (auth.startsWith('AWS ')) throw new S3Error('InvalidRequest', 'The authorization mechanism you have provided is not supported (Signature Version 2). Please use AWS4-HMAC-SHA256.');
    throw err(`it must start with ${ALGORITHM}`);
  }
  const fields = new Map<string, string>();
  for (const part of auth.slice(ALGORITHM.length + 1).split(',')) {
    const p = part.trim();
    const eq = p.indexOf('=');
    if (eq <= 0) throw err(`${JSON.stringify(p.slice(0, 100))} is not name=value`);
    fields.set(p.slice(0, eq), p.slice(eq + 1));
  }
  const credText = fields.get('Credential');
  const signedText = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credText === undefined || signedText === undefined || signature === undefined) throw err('it needs Credential, SignedHeaders and Signature');
  const cred = parseCredential(credText, err);
  const signed = parseSignedHeaders(signedText, err);
  const timestamp = header(req, 'x-amz-date');
  if (timestamp === undefined) throw new S3Error('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header: send x-amz-date');
  const time = parseAmzDate(timestamp);
  if (Number.isNaN(time)) throw new S3Error('AccessDenied', `x-amz-date ${JSON.stringify(timestamp.slice(0, 40))} is not an ISO 8601 basic time (20130524T000000Z)`);
  if (timestamp.slice(0, 8) !== cred.date) throw err(`the Credential's date ${cred.date} is not the date of x-amz-date ${timestamp}`);
  if (Math.abs(now - time) > MAX_SKEW_MS) {
    throw new S3Error('RequestTimeTooSkewed', `The difference between the request time (${timestamp}) and the server's time (${formatAmzDate(now)}) is more than 15 minutes: set the clock right`, {
      RequestTime: timestamp, ServerTime: new Date(now).toISOString(), MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS),
    });
  }
  const secret = lookupSecret(lookup, cred.accessKeyId);
  const hash = header(req, 'x-amz-content-sha256');
  const signer: StreamingSigner = { signingKey: Buffer.alloc(0), timestamp, scope: cred.scope, seedSignature: signature };
  const payload = payloadCheck(hash, signer);
  const canonical = canonicalRequest(req, signed, hash!, parseQuery(req.rawQuery));
  signer.signingKey = checkSignature(secret, cred, timestamp, canonical, signature);
  return { accessKeyId: cred.accessKeyId, presigned: false, payload };
}

function verifyPresigned(req: SigV4Request, query: [string, string][], lookup: SecretLookup, now: number): Authenticated {
  const err = (why: string) => new S3Error('AuthorizationQueryParametersError', `The presigned URL's query is malformed: ${why}`);
  const get = (name: string): string => {
    const all = query.filter(([n]) => n === name);
    if (all.length !== 1) throw err(`it needs exactly one ${name}`);
    return all[0]![1];
  };
  const algorithm = get('X-Amz-Algorithm');
  if (algorithm !== ALGORITHM) throw err(`X-Amz-Algorithm must be ${ALGORITHM}, not ${JSON.stringify(algorithm.slice(0, 40))}`);
  const cred = parseCredential(get('X-Amz-Credential'), err);
  const timestamp = get('X-Amz-Date');
  const time = parseAmzDate(timestamp);
  if (Number.isNaN(time)) throw err(`X-Amz-Date ${JSON.stringify(timestamp.slice(0, 40))} is not an ISO 8601 basic time`);
  if (timestamp.slice(0, 8) !== cred.date) throw err(`the Credential's date ${cred.date} is not the date of X-Amz-Date ${timestamp}`);
  const expiresText = get('X-Amz-Expires');
  if (!/^\d{1,7}$/.test(expiresText)) throw err(`X-Amz-Expires ${JSON.stringify(expiresText.slice(0, 20))} is not a number of seconds`);
  const expires = Number(expiresText);
  if (expires < 1 || expires > MAX_PRESIGN_SECONDS) throw err(`X-Amz-Expires must be from 1 to ${MAX_PRESIGN_SECONDS} seconds (7 days), not ${expires}`);
  const signed = parseSignedHeaders(get('X-Amz-SignedHeaders'), err);
  const signature = get('X-Amz-Signature');
  if (time - now > MAX_SKEW_MS) throw new S3Error('AccessDenied', `Request is not yet valid: X-Amz-Date ${timestamp} is in the future`);
  if (now > time + expires * 1000) {
    throw new S3Error('AccessDenied', 'Request has expired', { 'X-Amz-Expires': expiresText, Expires: new Date(time + expires * 1000).toISOString(), ServerTime: new Date(now).toISOString() });
  }
  const secret = lookupSecret(lookup, cred.accessKeyId);
  // A presigned URL may bind a payload hash in the query; usually it is UNSIGNED-PAYLOAD.
  const bound = query.find(([n]) => n.toLowerCase() === 'x-amz-content-sha256')?.[1] ?? header(req, 'x-amz-content-sha256');
  const hash = bound !== undefined && /^[0-9a-f]{64}$/.test(bound) ? bound : UNSIGNED_PAYLOAD;
  const canonical = canonicalRequest(req, signed, hash, query, 'X-Amz-Signature');
  checkSignature(secret, cred, timestamp, canonical, signature);
  return { accessKeyId: cred.accessKeyId, presigned: true, payload: hash === UNSIGNED_PAYLOAD ? { kind: 'unsigned' } : { kind: 'sha256', hex: hash } };
}

/**
 * Checks the request's signature: the access key it names and what its body must be checked
 * against, or null for an anonymous request (no Authorization, no X-Amz-Signature).
 */
export function authenticate(req: SigV4Request, lookup: SecretLookup, now: number = Date.now()): Authenticated | null {
  const auth = header(req, 'authorization');
  const query = parseQuery(req.rawQuery);
  const presigned = query.some(([n]) => n === 'X-Amz-Signature' || n === 'X-Amz-Credential');
  if (auth !== undefined && presigned) throw new S3Error('InvalidArgument', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified', { ArgumentName: 'Authorization' });
  if (auth !== undefined) return verifyHeaderAuth(req, auth, lookup, now);
  if (presigned) return verifyPresigned(req, query, lookup, now);
  if (query.some(([n]) => n === 'AWSAccessKeyId' || n === 'Signature')) throw new S3Error('InvalidRequest', 'Signature Version 2 presigned URLs are not supported. Please use AWS4-HMAC-SHA256.');
  return null;
}
