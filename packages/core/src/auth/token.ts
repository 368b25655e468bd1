/**
 * Capability tokens v1 (docs/ACCESS.md): `DDCT` || 0x01 || DAG-CBOR map, signed by `iss` with
 * Ed25519 over `ddc-token-v1\0` || DAG-CBOR(map without `sig`). A child embeds its parent's
 * bytes in `prf`; the root embeds the owner's EIP-712 delegation in `dgn`.
 *
 * decodeToken checks the format and every signature of the chain (links and delegation) and
 * the links' wiring (child iss = parent aud, root iss = delegation key); the rights the chain
 * grants are checked by verifyTokenChain against the ledger.
 */
import * as dagCbor from '@ipld/dag-cbor';
import { base64url } from 'multiformats/bases/base64';
import { DdcError } from '../errors.js';
import { concatBytes, equalBytes, textEncoder, toHex } from '../bytes.js';
import { sha256 } from '../hash.js';
import { signBytes, verifySignature, type Ed25519KeyPair } from '../identity/keys.js';
import { checkDelegationFields, recoverDelegationSigner, type Delegation } from './delegation.js';
import { addressBytes, checksumAddress } from './evm.js';

export type TokenOp = 'get' | 'put' | 'delete' | 'list' | 'admin';
export const TOKEN_OPS: readonly TokenOp[] = ['admin', 'delete', 'get', 'list', 'put'];

export const TOKEN_MAGIC = 'DDCT';
export const TOKEN_VERSION = 1;
export const TOKEN_TEXT_PREFIX = 'ddct1';
export const TOKEN_MAX_DEPTH = 8;
export const TOKEN_MAX_SIZE = 8192;
export const TOKEN_NONCE_SIZE = 16;
const SIGNING_DOMAIN = textEncoder.encode('ddc-token-v1\0');
const HEADER = concatBytes([textEncoder.encode(TOKEN_MAGIC), Uint8Array.of(TOKEN_VERSION)]);
const MAX_UNIX_SECONDS = Number.MAX_SAFE_INTEGER;

export interface CapabilityToken {
  issuer: Uint8Array;
  audience: Uint8Array;
  bucket: number;
  /** Sorted, no repeats. */
  ops: TokenOp[];
  prefix: string;
  notBefore: number;
  expiry: number;
  mayDelegate: boolean;
  nonce: Uint8Array;
  parent: CapabilityToken | null;
  delegation: Delegation | null;
  signature: Uint8Array;
  /** The encoded token (what `prf` of a child and the text form carry). */
  bytes: Uint8Array;
  /** SHA-256 of `bytes`: what revocations name. */
  id: Uint8Array;
  idHex: string;
}

/** The signed fields of a token. */
export type TokenFields = Omit<CapabilityToken, 'signature' | 'bytes' | 'id' | 'idHex'>;

function invalid(what: string): DdcError {
  return new DdcError('DDC_TOKEN_INVALID', `invalid capability token: ${what}`, { hint: 'Use a token made by a DDC v1 client, unedited; ask its issuer for a new one' });
}

function invalidArgument(what: string): DdcError {
  return new DdcError('DDC_INVALID_ARGUMENT', `cannot make the token: ${what}`, { hint: 'Check the token parameters' });
}

// Tokens this module decoded or sealed: their fields are known to match their verified bytes.
const checked = new WeakSet<CapabilityToken>();

export function isCheckedToken(t: CapabilityToken): boolean {
  return checked.has(t);
}

function delegationMap(d: Delegation): Record<string, unknown> {
  const account = checkDelegationFields(d);
  return { account, key: d.signingKey, nbf: d.notBefore, exp: d.expiry, chainId: d.chainId, sig: d.signature };
}

function unsignedMap(f: TokenFields): Record<string, unknown> {
  return {
    iss: f.issuer,
    aud: f.audience,
    bkt: f.bucket,
    ops: f.ops,
    pfx: f.prefix,
    nbf: f.notBefore,
    exp: f.expiry,
    dlg: f.mayDelegate,
    nce: f.nonce,
    prf: f.parent ? f.parent.bytes : null,
    dgn: f.delegation ? delegationMap(f.delegation) : null,
  };
}

/** The bytes the issuer signs: `ddc-token-v1\0` || DAG-CBOR of the map without `sig`. */
export function tokenSigningBytes(f: TokenFields): Uint8Array {
  return concatBytes([SIGNING_DOMAIN, dagCbor.encode(unsignedMap(f))]);
}

export function encodeToken(t: Omit<CapabilityToken, 'bytes' | 'id' | 'idHex'>): Uint8Array {
  return concatBytes([HEADER, dagCbor.encode({ ...unsignedMap(t), sig: t.signature })]);
}

// Decoding costs a signature check per link (about 1 ms each in portable JS, and 1.6 ms for the
// delegation's key recovery); a node sees the same tokens on request after request, so decoded
// tokens are kept by id. They are frozen: shared objects must not change under other callers.
const DECODED_CACHE_SIZE = 1024;
const decoded = new Map<string, CapabilityToken>();

/** A bounded cache in a Map's insertion order: a hit moves to the end, the oldest goes first. */
function cacheGet(cache: Map<string, CapabilityToken>, key: string): CapabilityToken | undefined {
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
  }
  return hit;
}

function cacheSet(cache: Map<string, CapabilityToken>, key: string, t: CapabilityToken): CapabilityToken {
  cache.set(key, t);
  if (cache.size > DECODED_CACHE_SIZE) cache.delete(cache.keys().next().value!);
  return t;
}

function finish(f: TokenFields, signature: Uint8Array, bytes: Uint8Array, id = sha256(bytes)): CapabilityToken {
  Object.freeze(f.ops);
  if (f.delegation) Object.freeze(f.delegation);
  const t: CapabilityToken = Object.freeze({ ...f, signature, bytes, id, idHex: toHex(id) });
  checked.add(t);
  return t;
}

function chainDepth(t: CapabilityToken | null): number {
  let n = 0;
  for (let l = t; l; l = l.parent) n++;
  return n;
}

/**
 * Signs the fields as they are, checking only the format (not that a child narrows its
 * parent: verifyTokenChain is the authority on that). issueRootToken and delegateToken are
 * the checked ways to make tokens; this one exists for tests and tools.
 */
export function sealToken(f: TokenFields, signing: Ed25519KeyPair): CapabilityToken {
  if (!equalBytes(signing.publicKey, f.issuer)) throw invalidArgument('the signing key is not the token\'s issuer');
  checkShape(f, (what) => invalidArgument(what));
  if (chainDepth(f.parent) + 1 > TOKEN_MAX_DEPTH) throw invalidArgument(`a chain is at most ${TOKEN_MAX_DEPTH} tokens deep`);
  const fields: TokenFields = { ...f, ops: [...f.ops] };
  const signature = signBytes(tokenSigningBytes(fields), signing.secretKey);
  const bytes = encodeToken({ ...fields, signature });
  if (bytes.length > TOKEN_MAX_SIZE) throw invalidArgument(`the token is ${bytes.length} bytes (at most ${TOKEN_MAX_SIZE}); use a shorter prefix or a shallower chain`);
  return finish(fields, signature, bytes);
}

function isBytes(v: unknown, size: number): v is Uint8Array {
  return v instanceof Uint8Array && v.length === size;
}

function isTime(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= MAX_UNIX_SECONDS;
}

function checkShape(f: TokenFields, fail: (what: string) => DdcError): void {
  if (!isBytes(f.issuer, 32)) throw fail('the issuer is not a 32-byte key');
  if (!isBytes(f.audience, 32)) throw fail('the audience is not a 32-byte key');
  if (!Number.isSafeInteger(f.bucket) || f.bucket < 0) throw fail(`bucket ${String(f.bucket)} is not a non-negative integer`);
  if (!Array.isArray(f.ops) || f.ops.length === 0) throw fail('the operations are not a non-empty list');
  for (let i = 0; i < f.ops.length; i++) {
    if (!TOKEN_OPS.includes(f.ops[i]!)) throw fail(`unknown operation ${JSON.stringify(f.ops[i])?.slice(0, 40)} (one of ${TOKEN_OPS.join(', ')})`);
    if (i > 0 && !(f.ops[i - 1]! < f.ops[i]!)) throw fail('the operations are not sorted without repeats');
  }
  if (typeof f.prefix !== 'string') throw fail('the prefix is not a string');
  if (!isTime(f.notBefore) || !isTime(f.expiry)) throw fail('the times are not unix seconds');
  if (f.notBefore > f.expiry) throw fail(`notBefore ${f.notBefore} is after expiry ${f.expiry}`);
  if (typeof f.mayDelegate !== 'boolean') throw fail('mayDelegate is not a boolean');
  if (!isBytes(f.nonce, TOKEN_NONCE_SIZE)) throw fail(`the nonce is not ${TOKEN_NONCE_SIZE} bytes`);
  if ((f.parent === null) === (f.delegation === null)) throw fail('a root token carries a delegation and no parent; a child a parent and no delegation');
  if (f.delegation && !isBytes(f.delegation.signature, 65)) throw fail('the delegation\'s signature is not 65 bytes');
  if (f.delegation && !equalBytes(f.delegation.signingKey, f.issuer)) throw fail('the delegation is for another key than the root\'s issuer');
  if (f.parent && !equalBytes(f.parent.audience, f.issuer)) throw fail('the issuer is not the parent token\'s audience');
}

function hasExactKeys(m: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(m);
  return own.length === keys.length && keys.every((k) => Object.prototype.hasOwnProperty.call(m, k));
}

const TOKEN_KEYS = ['iss', 'aud', 'bkt', 'ops', 'pfx', 'nbf', 'exp', 'dlg', 'nce', 'prf', 'dgn', 'sig'] as const;
const DELEGATION_KEYS = ['account', 'key', 'nbf', 'exp', 'chainId', 'sig'] as const;

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && Object.getPrototypeOf(v) === Object.prototype;
}

function decodeDelegation(v: unknown): Delegation {
  if (!isMap(v) || !hasExactKeys(v, DELEGATION_KEYS)) throw invalid('the delegation is not a map of account, key, nbf, exp, chainId, sig');
  const { account, key, nbf, exp, chainId, sig } = v;
  if (!isBytes(account, 20) || !isBytes(key, 32) || !isBytes(sig, 65) || !isTime(nbf) || !isTime(exp) || nbf > exp) throw invalid('a delegation field has the wrong type or size');
  if (typeof chainId !== 'number' || !Number.isSafeInteger(chainId) || chainId <= 0) throw invalid('the delegation\'s chain id');
  const d: Delegation = { account: checksumAddress(account), signingKey: Uint8Array.from(key), notBefore: nbf, expiry: exp, chainId, signature: Uint8Array.from(sig) };
  try {
    recoverDelegationSigner(d);
  } catch (cause) {
    throw new DdcError('DDC_TOKEN_INVALID', 'invalid capability token: the owner\'s delegation signature does not verify', { hint: 'Ask the bucket owner for a new token', cause });
  }
  return d;
}

function decodeAt(bytes: Uint8Array, depth: number): CapabilityToken {
  if (!(bytes instanceof Uint8Array)) throw invalid('not bytes');
  if (depth > TOKEN_MAX_DEPTH) throw invalid(`the chain is deeper than ${TOKEN_MAX_DEPTH}`);
  if (bytes.length > TOKEN_MAX_SIZE) throw invalid(`${bytes.length} bytes (at most ${TOKEN_MAX_SIZE})`);
  if (bytes.length < HEADER.length || !equalBytes(bytes.subarray(0, HEADER.length), HEADER)) throw invalid('no DDCT v1 header');
  const id = sha256(bytes);
  const idHex = toHex(id);
  const hit = cacheGet(decoded, idHex);
  if (hit) {
    if (depth - 1 + chainDepth(hit) > TOKEN_MAX_DEPTH) throw invalid(`the chain is deeper than ${TOKEN_MAX_DEPTH}`);
    return hit;
  }
  const body = bytes.subarray(HEADER.length);
  let m: unknown;
  try {
    m = dagCbor.decode(body);
  } catch (cause) {
    throw new DdcError('DDC_TOKEN_INVALID', 'invalid capability token: the body is not DAG-CBOR', { hint: 'Use a token made by a DDC v1 client, unedited', cause });
  }
  if (!isMap(m) || !hasExactKeys(m, TOKEN_KEYS)) throw invalid(`the body is not a map of exactly ${TOKEN_KEYS.join(', ')}`);
  let canonical: Uint8Array;
  try {
    canonical = dagCbor.encode(m);
  } catch {
    throw invalid('the body does not re-encode');
  }
  if (!equalBytes(canonical, body)) throw invalid('the body is not canonical DAG-CBOR');
  const { iss, aud, bkt, ops, pfx, nbf, exp, dlg, nce, prf, dgn, sig } = m;
  if (!isBytes(sig, 64)) throw invalid('the signature is not 64 bytes');
  if (prf !== null && !(prf instanceof Uint8Array)) throw invalid('prf is neither bytes nor null');
  const parent = prf === null ? null : decodeAt(Uint8Array.from(prf), depth + 1);
  const delegation = dgn === null ? null : decodeDelegation(dgn);
  const f = { issuer: iss, audience: aud, bucket: bkt, ops, prefix: pfx, notBefore: nbf, expiry: exp, mayDelegate: dlg, nonce: nce, parent, delegation } as TokenFields;
  checkShape(f, invalid);
  const fields: TokenFields = { ...f, issuer: Uint8Array.from(f.issuer), audience: Uint8Array.from(f.audience), ops: [...f.ops], nonce: Uint8Array.from(f.nonce) };
  if (!verifySignature(sig, tokenSigningBytes(fields), fields.issuer)) throw invalid(`the signature of the link at depth ${depth} does not verify`);
  return cacheSet(decoded, idHex, finish(fields, Uint8Array.from(sig), Uint8Array.from(bytes), id));
}

/** Decodes and checks a token's format and every signature in its chain. DDC_TOKEN_INVALID on anything wrong. */
export function decodeToken(bytes: Uint8Array): CapabilityToken {
  return decodeAt(bytes, 1);
}

// A client signs request after request with one token: its text is made once (tokens are frozen).
const textOf = new WeakMap<CapabilityToken, string>();

export function tokenToText(t: CapabilityToken): string {
  let text = textOf.get(t);
  if (text === undefined) {
    text = TOKEN_TEXT_PREFIX + base64url.baseEncode(t.bytes);
    if (Object.isFrozen(t)) textOf.set(t, text);
  }
  return text;
}

/** The bytes of a token's text form without decoding them (DDC_TOKEN_INVALID when it is not `ddct1` + base64url). */
export function tokenBytesFromText(s: string): Uint8Array {
  if (typeof s !== 'string' || !s.startsWith(TOKEN_TEXT_PREFIX)) throw invalid(`text does not start with ${TOKEN_TEXT_PREFIX}`);
  const b64 = s.slice(TOKEN_TEXT_PREFIX.length);
  if (b64.length > Math.ceil((TOKEN_MAX_SIZE * 4) / 3) || !/^[A-Za-z0-9_-]*$/.test(b64)) throw invalid('the text is not base64url (without padding) of at most 8 KiB');
  let bytes: Uint8Array;
  try {
    bytes = base64url.baseDecode(b64);
  } catch {
    throw invalid('the text is not base64url');
  }
  if (base64url.baseEncode(bytes) !== b64) throw invalid('the text is not canonical base64url');
  return bytes;
}

// Requests carry tokens as text: a node sees the same text on request after request. The text
// form is canonical (one text per byte string), so a text decoded once names that token.
const byText = new Map<string, CapabilityToken>();

/** The token this exact text decoded to before, or undefined (then decode it and rememberTokenText). */
export function knownTokenFromText(text: string): CapabilityToken | undefined {
  return cacheGet(byText, text);
}

/** Records that `text` decodes to `t` (checked: it must be `t`'s text form); returns `t`. */
export function rememberTokenText(text: string, t: CapabilityToken): CapabilityToken {
  if (tokenToText(t) !== text) throw invalid('the text is not this token\'s text form');
  return cacheSet(byText, text, t);
}

/** Decodes a token's text form (through the cache of texts decoded before). */
export function tokenFromText(s: string): CapabilityToken {
  return knownTokenFromText(s) ?? rememberTokenText(s, decodeToken(tokenBytesFromText(s)));
}

/** The chain from the root to `t` (t last). */
export function tokenChain(t: CapabilityToken): CapabilityToken[] {
  const out: CapabilityToken[] = [];
  for (let l: CapabilityToken | null = t; l; l = l.parent) out.unshift(l);
  return out;
}

function randomNonce(): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(TOKEN_NONCE_SIZE));
}

function normalizeOps(ops: readonly TokenOp[]): TokenOp[] {
  if (!Array.isArray(ops)) throw invalidArgument('ops is not a list');
  for (const op of ops) if (!TOKEN_OPS.includes(op)) throw invalidArgument(`unknown operation ${JSON.stringify(op)} (one of ${TOKEN_OPS.join(', ')})`);
  return [...new Set(ops)].sort();
}

/**
 * The bucket owner's root token: signed by the delegated key (`signing.publicKey` must be
 * the delegation's signingKey). Self-issued when `audience` is the owner's own key.
 * notBefore defaults to the delegation's notBefore.
 */
export function issueRootToken(p: {
  signing: Ed25519KeyPair; delegation: Delegation; audience: Uint8Array; bucket: number; ops: TokenOp[];
  prefix?: string; notBefore?: number; expiry: number; mayDelegate?: boolean; nonce?: Uint8Array;
}): CapabilityToken {
  if (!addressBytes(p.delegation.account)) throw invalidArgument('the delegation\'s account is not an address');
  if (!equalBytes(p.signing.publicKey, p.delegation.signingKey)) throw invalidArgument('the signing key is not the key the delegation names');
  recoverDelegationSigner(p.delegation); // a bad delegation fails here, not at every node
  return sealToken({
    issuer: p.signing.publicKey, audience: p.audience, bucket: p.bucket, ops: normalizeOps(p.ops), prefix: p.prefix ?? '',
    notBefore: p.notBefore ?? p.delegation.notBefore, expiry: p.expiry, mayDelegate: p.mayDelegate ?? false,
    nonce: p.nonce ?? randomNonce(), parent: null, delegation: p.delegation,
  }, p.signing);
}

function widened(what: string): DdcError {
  return new DdcError('DDC_TOKEN_WIDENED', `the delegated token would widen its parent: ${what}`, { hint: 'A delegated token may only narrow: a subset of the operations, a longer prefix, a time inside the parent\'s' });
}

/**
 * Delegates `parent` to `audience`, signed by the parent's audience (`signing`). Omitted
 * fields inherit the parent's (mayDelegate defaults to false). DDC_TOKEN_WIDENED when the
 * parent does not allow delegation or the child would grant more than it.
 */
export function delegateToken(parent: CapabilityToken, p: {
  signing: Ed25519KeyPair; audience: Uint8Array; ops?: TokenOp[]; prefix?: string; notBefore?: number; expiry?: number;
  mayDelegate?: boolean; nonce?: Uint8Array;
}): CapabilityToken {
  if (!equalBytes(p.signing.publicKey, parent.audience)) throw invalidArgument('only the parent token\'s audience can delegate it: sign with that key');
  if (!parent.mayDelegate) throw widened('the parent token does not allow delegation');
  const ops = p.ops ? normalizeOps(p.ops) : [...parent.ops];
  const extra = ops.filter((op) => !parent.ops.includes(op));
  if (extra.length) throw widened(`operations ${extra.join(', ')} are not in the parent's ${parent.ops.join(', ')}`);
  const prefix = p.prefix ?? parent.prefix;
  if (!prefix.startsWith(parent.prefix)) throw widened(`prefix ${JSON.stringify(prefix)} is outside the parent's ${JSON.stringify(parent.prefix)}`);
  const notBefore = p.notBefore ?? parent.notBefore;
  const expiry = p.expiry ?? parent.expiry;
  if (notBefore < parent.notBefore) throw widened(`notBefore ${notBefore} is before the parent's ${parent.notBefore}`);
  if (expiry > parent.expiry) throw widened(`expiry ${expiry} is after the parent's ${parent.expiry}`);
  if (chainDepth(parent) + 1 > TOKEN_MAX_DEPTH) throw invalidArgument(`a chain is at most ${TOKEN_MAX_DEPTH} tokens deep`);
  return sealToken({
    issuer: p.signing.publicKey, audience: p.audience, bucket: parent.bucket, ops, prefix, notBefore, expiry,
    mayDelegate: p.mayDelegate ?? false, nonce: p.nonce ?? randomNonce(), parent, delegation: null,
  }, p.signing);
}
