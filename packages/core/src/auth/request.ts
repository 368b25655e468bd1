/**
 * Signed requests v1 (docs/ACCESS.md): seven x-ddc-* headers and an Ed25519 signature over
 *
 *   DDC-REQUEST-V1\n<METHOD>\n<path and query as sent>\n<content-sha256>\n<time>\n<nonce>\n<audience>\n<key>\n<token id hex or ->
 *
 * parseSignedRequest checks the format and the signature; the node then checks freshness
 * and replays (ReplayGuard) and the token's rights (verifyTokenChain).
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { DdcError } from '../errors.js';
import { fromHex, textEncoder, toHex } from '../bytes.js';
import { sha256 } from '../hash.js';
import { signBytes, verifySignature, type Ed25519KeyPair } from '../identity/keys.js';
import { decodeToken, knownTokenFromText, rememberTokenText, tokenBytesFromText, tokenToText, type CapabilityToken } from './token.js';

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
export const REQUEST_DOMAIN = 'DDC-REQUEST-V1';
export const REQUEST_HEADERS = {
  key: 'x-ddc-key',
  time: 'x-ddc-time',
  nonce: 'x-ddc-nonce',
  audience: 'x-ddc-audience',
  contentSha256: 'x-ddc-content-sha256',
  token: 'x-ddc-token',
  signature: 'x-ddc-signature',
} as const;

/** An audience (a node id) is printable ASCII without spaces, so it cannot break a line of the canonical string. */
export const AUDIENCE_PATTERN = /^[\x21-\x7e]{1,128}$/;
const METHOD_PATTERN = /^[A-Za-z]{1,16}$/;
const KEY_HEX = /^[0-9a-f]{64}$/;
const NONCE_HEX = /^[0-9a-f]{32}$/;
const SHA_HEX = /^[0-9a-f]{64}$/;
const SIG_HEX = /^[0-9a-f]{128}$/;
const TIME_DEC = /^(0|[1-9][0-9]{0,15})$/;

export interface SignedRequest {
  key: Uint8Array;
  keyHex: string;
  /** Unix milliseconds, by the client's clock. */
  time: number;
  nonce: string;
  audience: string;
  contentSha256: string;
  token: CapabilityToken | null;
  signature: Uint8Array;
}

function badArgument(what: string): DdcError {
  return new DdcError('DDC_INVALID_ARGUMENT', `cannot sign the request: ${what}`, { hint: 'Check the request parameters' });
}

function isContentSha(s: string): boolean {
  return s === UNSIGNED_PAYLOAD || SHA_HEX.test(s);
}

/** The canonical string (throws DDC_INVALID_ARGUMENT on a field that could break its lines). */
export function canonicalRequest(p: { method: string; path: string; contentSha256: string; time: number; nonce: string; audience: string; key: string; tokenIdHex: string | null }): string {
  if (!METHOD_PATTERN.test(p.method)) throw badArgument(`method ${JSON.stringify(p.method)}`);
  if (typeof p.path !== 'string' || !p.path.startsWith('/') || /[\r\n]/.test(p.path)) throw badArgument('the path must start with / and hold no line breaks');
  if (!isContentSha(p.contentSha256)) throw badArgument(`content-sha256 must be 64 lowercase hex digits or ${UNSIGNED_PAYLOAD}`);
  if (!Number.isSafeInteger(p.time) || p.time < 0) throw badArgument(`time ${p.time} is not unix milliseconds`);
  if (!NONCE_HEX.test(p.nonce)) throw badArgument('the nonce must be 32 lowercase hex digits');
  if (!AUDIENCE_PATTERN.test(p.audience)) throw badArgument(`audience ${JSON.stringify(p.audience)} (a node id)`);
  if (!KEY_HEX.test(p.key)) throw badArgument('the key must be 64 lowercase hex digits');
  if (p.tokenIdHex !== null && !SHA_HEX.test(p.tokenIdHex)) throw badArgument('the token id must be 64 lowercase hex digits');
  return [REQUEST_DOMAIN, p.method.toUpperCase(), p.path, p.contentSha256, String(p.time), p.nonce, p.audience, p.key, p.tokenIdHex ?? '-'].join('\n');
}

/** The headers to add to a request (lowercase names). `path` is the path and query exactly as sent. */
export function signRequest(p: {
  method: string; path: string; contentSha256: string; audience: string; signing: Ed25519KeyPair; token?: CapabilityToken; time?: number; nonce?: string;
}): Record<string, string> {
  const time = p.time ?? Date.now();
  const nonce = p.nonce ?? toHex(globalThis.crypto.getRandomValues(new Uint8Array(16)));
  const key = toHex(p.signing.publicKey);
  const canonical = canonicalRequest({ method: p.method, path: p.path, contentSha256: p.contentSha256, time, nonce, audience: p.audience, key, tokenIdHex: p.token ? p.token.idHex : null });
  const headers: Record<string, string> = {
    [REQUEST_HEADERS.key]: key,
    [REQUEST_HEADERS.time]: String(time),
    [REQUEST_HEADERS.nonce]: nonce,
    [REQUEST_HEADERS.audience]: p.audience,
    [REQUEST_HEADERS.contentSha256]: p.contentSha256,
  };
  if (p.token) headers[REQUEST_HEADERS.token] = tokenToText(p.token);
  headers[REQUEST_HEADERS.signature] = toHex(signBytes(textEncoder.encode(canonical), p.signing.secretKey));
  return headers;
}

function malformed(what: string): DdcError {
  return new DdcError('DDC_REQUEST_MALFORMED', `malformed signed request: ${what}`, { hint: 'Sign requests with a DDC v1 client (signRequest); proxies must pass x-ddc-* headers unchanged' });
}

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  let v = headers[name];
  if (v === undefined) {
    for (const k of Object.keys(headers)) if (k.toLowerCase() === name) { v = headers[k]; break; }
  }
  if (Array.isArray(v)) {
    if (v.length !== 1) throw malformed(`${name} appears ${v.length} times`);
    v = v[0];
  }
  return typeof v === 'string' ? v : undefined;
}

function required(headers: Headers, name: string, ok: (v: string) => boolean, what: string): string {
  const v = header(headers, name);
  if (v === undefined) throw malformed(`${name} is missing`);
  if (!ok(v)) throw malformed(`${name} is not ${what}`);
  return v;
}

/**
 * The signed request in `headers`, with its signature checked; null when the request is not
 * signed (no x-ddc-signature). `path` is the path and query as received.
 */
// Point decoding costs more than the signature check; a node sees the same few keys again and again.
const validKeys = new Set<string>();
const VALID_KEYS_MAX = 4096;

function isKnownValidKey(keyHex: string, key: Uint8Array): boolean {
  if (validKeys.has(keyHex)) return true;
  if (!ed25519.utils.isValidPublicKey(key, false)) return false;
  if (validKeys.size >= VALID_KEYS_MAX) validKeys.clear();
  validKeys.add(keyHex);
  return true;
}

export function parseSignedRequest(headers: Headers, method: string, path: string): SignedRequest | null {
  if (header(headers, REQUEST_HEADERS.signature) === undefined) return null;
  const keyHex = required(headers, REQUEST_HEADERS.key, (v) => KEY_HEX.test(v), '64 lowercase hex digits');
  const key = fromHex(keyHex);
  if (!isKnownValidKey(keyHex, key)) throw malformed(`${REQUEST_HEADERS.key} is not an Ed25519 public key`);
  const time = Number(required(headers, REQUEST_HEADERS.time, (v) => TIME_DEC.test(v) && Number.isSafeInteger(Number(v)), 'unix milliseconds'));
  const nonce = required(headers, REQUEST_HEADERS.nonce, (v) => NONCE_HEX.test(v), '32 lowercase hex digits');
  const audience = required(headers, REQUEST_HEADERS.audience, (v) => AUDIENCE_PATTERN.test(v), 'a node id');
  const contentSha256 = required(headers, REQUEST_HEADERS.contentSha256, isContentSha, `64 lowercase hex digits or ${UNSIGNED_PAYLOAD}`);
  const signature = fromHex(required(headers, REQUEST_HEADERS.signature, (v) => SIG_HEX.test(v), '128 lowercase hex digits'));
  if (!METHOD_PATTERN.test(method)) throw malformed(`method ${JSON.stringify(method).slice(0, 20)}`);
  if (typeof path !== 'string' || !path.startsWith('/') || /[\r\n]/.test(path)) throw malformed('the path must start with / and hold no line breaks');
  const tokenText = header(headers, REQUEST_HEADERS.token);
  // The token's id is the hash of its bytes: check the request's signature before paying for the token's.
  const known = tokenText === undefined ? undefined : knownTokenFromText(tokenText);
  const tokenBytes = tokenText === undefined || known ? null : tokenBytesFromText(tokenText);
  const tokenIdHex = known ? known.idHex : tokenBytes ? toHex(sha256(tokenBytes)) : null;
  const canonical = canonicalRequest({ method, path, contentSha256, time, nonce, audience, key: keyHex, tokenIdHex });
  if (!verifySignature(signature, textEncoder.encode(canonical), key)) {
    throw new DdcError('DDC_SIGNATURE_INVALID', 'the request\'s signature does not verify', { hint: 'Sign the method, path and query exactly as sent, with the key in x-ddc-key; check that no proxy rewrites them' });
  }
  const token = known ?? (tokenText !== undefined && tokenBytes ? rememberTokenText(tokenText, decodeToken(tokenBytes)) : null);
  return { key, keyHex, time, nonce, audience, contentSha256, token, signature };
}
