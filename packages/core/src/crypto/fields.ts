/**
 * JSON field-level encryption (docs/ACCESS.md "Encryption"). Every node of a document has a
 * key: the root's is HKDF-SHA256(DEK, salt = empty, info = `ddc-field-v1\0`), and the key of
 * the node at pointer `p/s` is HKDF-SHA256(key(p), salt = empty, info = `ddc-field-v1\0` || s).
 * Each leaf (string, number, boolean, null) becomes {"$ddcenc": base64url(nonce || AES-256-GCM
 * of its JSON text)} under its own key, with the leaf's pointer as associated data, so the key
 * of `/a` opens `/a` and everything under it and nothing else. Object keys, array lengths and
 * the shape stay visible.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { base64url } from 'multiformats/bases/base64';
import { DdcError } from '../errors.js';
import { concatBytes, textDecoder, textEncoder } from '../bytes.js';
import { assertDek } from './object-cipher.js';

export type PlainJson = null | boolean | number | string | PlainJson[] | { [key: string]: PlainJson };
export interface EncryptedJsonLeaf {
  $ddcenc: string;
}
export type EncryptedJson = EncryptedJsonLeaf | EncryptedJson[] | { [key: string]: EncryptedJson };

export const FIELD_KEY_SIZE = 32;
const FIELD_DOMAIN = textEncoder.encode('ddc-field-v1\0');
const LEAF_TAG = '$ddcenc';
const NONCE_SIZE = 12;
const MAX_DEPTH = 256;

function assertFieldKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== FIELD_KEY_SIZE) {
    throw new DdcError('DDC_KEY_INVALID', `a field key is ${FIELD_KEY_SIZE} bytes`, { hint: 'Start from rootFieldKey(dek) or a key someone shared with you' });
  }
}

/** The key of child `segment` (an object key or a decimal array index) of a node with `parentKey`. */
export function fieldKey(parentKey: Uint8Array, segment: string): Uint8Array {
  assertFieldKey(parentKey);
  return hkdf(sha256, parentKey, new Uint8Array(0), concatBytes([FIELD_DOMAIN, textEncoder.encode(segment)]), FIELD_KEY_SIZE);
}

/** The key of the whole document (pointer ""). */
export function rootFieldKey(dek: Uint8Array): Uint8Array {
  assertDek(dek);
  return fieldKey(dek, '');
}

/** Splits an RFC 6901 pointer into unescaped segments. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (typeof pointer !== 'string' || !pointer.startsWith('/') || /~[^01]|~$/.test(pointer)) {
    throw new DdcError('DDC_INVALID_ARGUMENT', `${JSON.stringify(pointer)?.slice(0, 80)} is not a JSON pointer`, { hint: 'Use "" for the root or "/a/0/b" (RFC 6901, with ~0 for ~ and ~1 for /)' });
  }
  return pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function escapeSegment(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The key of the node at `pointer`, from the root key. */
export function keyForPointer(rootKey: Uint8Array, pointer: string): Uint8Array {
  assertFieldKey(rootKey);
  let key = rootKey;
  for (const segment of parsePointer(pointer)) key = fieldKey(key, segment);
  return key;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function isEncryptedLeaf(v: unknown): v is EncryptedJsonLeaf {
  return isPlainObject(v) && typeof v[LEAF_TAG] === 'string' && Object.keys(v).length === 1;
}

/** Sets own properties only, so a key named "__proto__" stays a key. */
function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

async function importFieldKey(key: Uint8Array): Promise<CryptoKey> {
  return globalThis.crypto.subtle.importKey('raw', key as Uint8Array<ArrayBuffer>, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

async function encryptLeaf(value: null | boolean | number | string, key: Uint8Array, pointer: string): Promise<EncryptedJsonLeaf> {
  const nonce = globalThis.crypto.getRandomValues(new Uint8Array(NONCE_SIZE));
  const ct = await globalThis.crypto.subtle.encrypt(
    { name: 'AES-GCM', iv: nonce, additionalData: textEncoder.encode(pointer) },
    await importFieldKey(key),
    textEncoder.encode(JSON.stringify(value)),
  );
  return { [LEAF_TAG]: base64url.baseEncode(concatBytes([nonce, new Uint8Array(ct)])) } as EncryptedJsonLeaf;
}

function decryptFailed(pointer: string, cause?: unknown): DdcError {
  return new DdcError('DDC_DECRYPT_FAILED', `the field at ${JSON.stringify(pointer)} does not decrypt with this key`, {
    hint: 'Use the key for this pointer or one of its parents (keyForPointer), and check the document was not changed',
    cause,
    details: { pointer },
  });
}

async function decryptLeaf(leaf: unknown, key: Uint8Array, pointer: string): Promise<PlainJson> {
  if (!isEncryptedLeaf(leaf)) throw decryptFailed(pointer); // a plain value where ciphertext belongs: edited
  let bytes: Uint8Array;
  try {
    bytes = base64url.baseDecode(leaf.$ddcenc);
  } catch (e) {
    throw decryptFailed(pointer, e);
  }
  if (bytes.length < NONCE_SIZE + 16) throw decryptFailed(pointer);
  let plain: ArrayBuffer;
  const sealed = bytes as Uint8Array<ArrayBuffer>;
  try {
    plain = await globalThis.crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: sealed.subarray(0, NONCE_SIZE), additionalData: textEncoder.encode(pointer) },
      await importFieldKey(key),
      sealed.subarray(NONCE_SIZE),
    );
  } catch (e) {
    throw decryptFailed(pointer, e);
  }
  return JSON.parse(textDecoder.decode(plain)) as PlainJson;
}

function notJson(pointer: string, what: string): DdcError {
  return new DdcError('DDC_INVALID_ARGUMENT', `the value at ${JSON.stringify(pointer)} is ${what}, not JSON`, { hint: 'Pass plain objects, arrays, strings, finite numbers, booleans and null' });
}

async function encryptNode(node: unknown, key: Uint8Array, pointer: string, depth: number): Promise<EncryptedJson> {
  if (depth > MAX_DEPTH) throw notJson(pointer, `nested deeper than ${MAX_DEPTH}`);
  if (node === null || typeof node === 'string' || typeof node === 'boolean') return encryptLeaf(node, key, pointer);
  if (typeof node === 'number') {
    if (!Number.isFinite(node)) throw notJson(pointer, String(node));
    return encryptLeaf(node, key, pointer);
  }
  if (Array.isArray(node)) {
    return Promise.all(node.map((child, i) => encryptNode(child, fieldKey(key, String(i)), `${pointer}/${i}`, depth + 1)));
  }
  if (isPlainObject(node)) {
    const keys = Object.keys(node);
    const values = await Promise.all(keys.map((k) => encryptNode(node[k], fieldKey(key, k), `${pointer}/${escapeSegment(k)}`, depth + 1)));
    const out: Record<string, unknown> = {};
    keys.forEach((k, i) => setOwn(out, k, values[i]));
    return out as EncryptedJson;
  }
  throw notJson(pointer, typeof node === 'object' ? 'a non-plain object' : `a ${typeof node}`);
}

async function decryptNode(node: unknown, key: Uint8Array, pointer: string, depth: number): Promise<PlainJson> {
  if (depth > MAX_DEPTH) throw notJson(pointer, `nested deeper than ${MAX_DEPTH}`);
  if (Array.isArray(node)) {
    return Promise.all(node.map((child, i) => decryptNode(child, fieldKey(key, String(i)), `${pointer}/${i}`, depth + 1)));
  }
  if (isPlainObject(node) && !isEncryptedLeaf(node)) {
    const keys = Object.keys(node);
    const values = await Promise.all(keys.map((k) => decryptNode(node[k], fieldKey(key, k), `${pointer}/${escapeSegment(k)}`, depth + 1)));
    const out: Record<string, unknown> = {};
    keys.forEach((k, i) => setOwn(out, k, values[i]));
    return out as PlainJson;
  }
  return decryptLeaf(node, key, pointer);
}

/** Encrypts every leaf of `doc` under the field keys derived from `dek`; the shape is kept. */
export async function encryptJsonFields(doc: PlainJson, dek: Uint8Array): Promise<EncryptedJson> {
  return encryptNode(doc, rootFieldKey(dek), '', 0);
}

function childOf(node: unknown, segment: string, pointer: string): unknown {
  if (Array.isArray(node)) {
    if (/^(0|[1-9][0-9]*)$/.test(segment) && Number(segment) < node.length) return node[Number(segment)];
  } else if (isPlainObject(node) && !isEncryptedLeaf(node) && Object.prototype.hasOwnProperty.call(node, segment)) {
    return node[segment];
  }
  throw new DdcError('DDC_INVALID_ARGUMENT', `the document has no node at ${JSON.stringify(pointer)}`, { hint: 'Check the pointer against the document\'s keys' });
}

function replaceAt(node: unknown, segments: string[], at: number, value: unknown): unknown {
  if (at === segments.length) return value;
  const segment = segments[at]!;
  if (Array.isArray(node)) {
    const copy = node.slice();
    copy[Number(segment)] = replaceAt(node[Number(segment)], segments, at + 1, value);
    return copy;
  }
  const obj = node as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  for (const k of Object.keys(obj)) setOwn(copy, k, k === segment ? replaceAt(obj[k], segments, at + 1, value) : obj[k]);
  return copy;
}

/**
 * Decrypts the subtree at `atPointer` with `key`, the key for that pointer (rootFieldKey(dek)
 * for ""). Returns the whole document with that subtree in plain text; leaves elsewhere stay
 * encrypted. A leaf the key does not open, or a plain value where ciphertext belongs, is
 * DDC_DECRYPT_FAILED.
 */
export async function decryptJsonFields(encDoc: EncryptedJson | PlainJson, key: Uint8Array, atPointer = ''): Promise<PlainJson> {
  assertFieldKey(key);
  const segments = parsePointer(atPointer);
  let node: unknown = encDoc;
  let pointer = '';
  for (const segment of segments) {
    pointer += `/${escapeSegment(segment)}`;
    node = childOf(node, segment, pointer);
  }
  const plain = await decryptNode(node, key, pointer, segments.length);
  return replaceAt(encDoc, segments, 0, plain) as PlainJson;
}
