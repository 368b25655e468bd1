/**
 * A bucket's objects (client.bucket(id)): S3-like keys and versions over signed object
 * records, with client-side encryption (a private bucket's objects are encrypted by
 * default) and sharing by EDEK + capability token. docs/ACCESS.md has the formats; the
 * records' consistency (R = 3, W = 2, read 2) is in record-replicas.ts.
 */
import {
  DdcError, ENC_ALG, JSON_FIELDS_ALG, PLAIN_CHUNK, checkObjectKey, decryptJsonFields, encryptJsonFields, equalBytes, generateDek, generateObjectId, parsePublicIdentity,
  rootFieldKey, sealDek, sealDekToGroup, sealFieldGrant, signRecord, textEncoder, tokenToText,
  type EncryptedJson, type EncryptionInfo, type FileLink, type ObjectRecord, type PlainJson, type PublicIdentity, type RecordInput,
} from '@ddc/core';
import type { DdcClient } from '../client.js';
import type { ProgressHandler } from '../progress.js';
import { chunksOf, type PutSource } from '../sources.js';
import { BucketCredentials, parseToken } from './credentials.js';
import { RecordReplicas } from './record-replicas.js';
import type { FetchLike } from './node-http.js';
import { cipherFetchRange, decryptStream, emptyStream, encryptChunks, plainRange } from './cipher-streams.js';
import { openDataKey, openOwnGroupShare, sealToReaders, type Reader } from './data-keys.js';
import { deleteContentShards } from './shard-delete.js';
import { openJsonDocument, parseJsonBody } from './json-fields.js';
import { listObjects } from './listing.js';
import { revokeTokens } from './revoke.js';
import type {
  BucketOptions, DeleteVersionOptions, DeleteVersionResult, ListObjectsOptions, ListObjectsResult, ObjectGetOptions, ObjectGetResult,
  ObjectPutOptions, ObjectPutResult, ShareOptions, ShareResult, UnshareOptions, UnshareResult,
} from './types.js';

/** What the handle needs of the client's platform beyond its public API. */
export interface BucketPlatform {
  /** The put source as chunks (file paths in Node). */
  openSource(source: PutSource): AsyncIterable<Uint8Array>;
  fetch?: FetchLike;
}

const BUCKET_OPTIONS = ['keys', 'token', 'ledger', 'isPublic', 'delegation', 'chainId'];

function bucketNumber(id: number | bigint): number {
  const n = typeof id === 'bigint' ? Number(id) : id;
  if (!Number.isSafeInteger(n) || n < 1) throw new DdcError('DDC_INVALID_ARGUMENT', `bucket id ${String(id)} is not a positive integer`, { hint: 'Use the id createBucket returned' });
  return n;
}

function recipientOf(r: PublicIdentity | string): PublicIdentity {
  return typeof r === 'string' ? parsePublicIdentity(r.trim()) : r;
}

function unixSeconds(t: number | Date): number {
  const s = t instanceof Date ? Math.floor(t.getTime() / 1000) : t;
  if (!Number.isSafeInteger(s) || s <= 0) throw new DdcError('DDC_INVALID_ARGUMENT', `expiresAt ${String(t)} is not unix seconds or a Date`, { hint: 'Pass e.g. Math.floor(Date.now() / 1000) + 3600' });
  if (s > 1e11) throw new DdcError('DDC_INVALID_ARGUMENT', `expiresAt ${s} looks like milliseconds`, { hint: 'Pass unix seconds (Date.now() / 1000) or a Date' });
  return s;
}

export class BucketHandle {
  readonly id: number;
  private readonly creds: BucketCredentials;
  private readonly records: RecordReplicas;
  private readonly fetchImpl: FetchLike;
  private visibility: Promise<boolean> | undefined;

  constructor(private readonly client: DdcClient, bucketId: number | bigint, private readonly options: BucketOptions, private readonly platform: BucketPlatform) {
    for (const k of Object.keys(options)) {
      if (!BUCKET_OPTIONS.includes(k)) throw new DdcError('DDC_INVALID_ARGUMENT', `unknown bucket option "${k}"`, { hint: `Allowed options: ${BUCKET_OPTIONS.join(', ')}` });
    }
    this.id = bucketNumber(bucketId);
    this.fetchImpl = platform.fetch ?? ((url, init) => globalThis.fetch(url, init));
    this.creds = new BucketCredentials({
      bucket: this.id,
      clientIdentity: client.identity,
      keys: options.keys,
      token: options.token,
      delegation: options.delegation,
      chainId: options.chainId ?? options.ledger?.deployment.chainId,
    });
    this.records = new RecordReplicas({
      bucket: this.id,
      view: (signal) => client.cluster(signal),
      fetch: this.fetchImpl,
      credentials: async (op) => {
        const token = this.creds.token();
        if (token && this.creds.signer) return { signer: this.creds.signer, token };
        // Anyone may POST a record whose own token chain proves it (read repair): sign as the client.
        return op === 'put' ? { signer: client.signer, token: undefined } : undefined;
      },
    });
  }

  /** The token this handle signs with (the owner's self-issued one, or the one given). */
  get token(): string | undefined {
    const t = this.creds.token();
    return t && tokenToText(t);
  }

  /** Public buckets are readable by anyone and not encrypted by default. */
  isPublic(): Promise<boolean> {
    this.visibility ??= (async () => {
      if (this.options.isPublic !== undefined) return this.options.isPublic;
      // The ledger client (viem) loads only when a bucket needs it: it would weigh on every client.
      if (this.options.ledger) return (await (await import('@ddc/ledger')).getBucket(this.options.ledger, this.id)).isPublic;
      return this.options.keys === undefined && this.options.token === undefined;
    })();
    return this.visibility;
  }

  /** Signs and stores a record of this bucket by quorum (a building block; put/delete/copy use it). */
  async putRecord(fields: Omit<RecordInput, 'bucket' | 'token'>, signal?: AbortSignal): Promise<ObjectRecord> {
    const op = fields.cid === null ? 'delete' : 'put';
    const { token, requester } = this.creds.require(op, fields.key);
    const record = signRecord({ ...fields, bucket: this.id, token: token.bytes }, requester);
    await this.records.write(record, signal);
    return record;
  }

  private readers(list: ObjectPutOptions['readers']): Reader[] {
    const keys = this.creds.keys;
    if (!keys) throw new DdcError('DDC_INVALID_ARGUMENT', 'encrypting needs the writer\'s keys (its X25519 key gets the first data key)', { hint: 'Open the bucket with { keys }, or put with { encrypt: false }' });
    return [{ x25519: keys.encryption.publicKey, exp: null }, ...(list ?? []).map((r) => ({ x25519: recipientOf(r).x25519, exp: null }))];
  }

  /** Stores `source` under `key` as a new version; encrypted by default in a private bucket. */
  async put(key: string, source: PutSource, o: ObjectPutOptions = {}): Promise<ObjectPutResult> {
    checkObjectKey(key);
    this.creds.require('put', key);
    const encrypt = o.encrypt ?? !(await this.isPublic());
    const shardToken = this.creds.shardToken();
    const common = { token: shardToken, ...(o.signal ? { signal: o.signal } : {}), ...(o.onProgress ? { onProgress: o.onProgress } : {}) };
    let cid: string;
    let size: number;
    let encryption: EncryptionInfo | null = null;
    if (encrypt) {
      const readers = this.readers(o.readers);
      const dek = generateDek();
      const oid = generateObjectId();
      const enc = encryptChunks(this.platform.openSource(source), dek, oid, o.signal, (size) => this.client.putBuffer(size));
      const put = await this.client.put(enc.ciphertext, common);
      cid = put.cid.toString();
      size = enc.plainSize();
      encryption = { alg: ENC_ALG, chunk: PLAIN_CHUNK, oid, size, edeks: await sealToReaders(dek, oid, readers), group: null };
    } else {
      const put = await this.client.put(source, common);
      cid = put.cid.toString();
      size = put.size;
    }
    return this.recordVersion(key, cid, size, encryption, o);
  }

  /** The record that makes stored content `key`'s new version. */
  private async recordVersion(key: string, cid: string, size: number, encryption: EncryptionInfo | null, o: ObjectPutOptions): Promise<ObjectPutResult> {
    const record = await this.putRecord({
      key, cid, size, encryption,
      ...(o.contentType !== undefined ? { contentType: o.contentType } : {}),
      ...(o.metadata !== undefined ? { metadata: o.metadata } : {}),
    }, o.signal);
    return { version: record.version, cid, size };
  }

  /**
   * Stores plaintext bytes under this bucket's shard token without a record: one part of an
   * object that putComposed makes later (an S3 multipart upload's part). Resolves, once the bytes
   * are durable, with their raw leaves in order. Nothing is visible under any key yet.
   */
  async putPart(source: PutSource, o: { signal?: AbortSignal; onProgress?: ProgressHandler } = {}): Promise<{ cid: string; size: number; leaves: FileLink[] }> {
    this.creds.require('put');
    const leaves: FileLink[] = [];
    const put = await this.client.put(source, { token: this.creds.shardToken(), onLeaf: (l) => void leaves.push(l), ...(o.signal ? { signal: o.signal } : {}), ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
    return { cid: put.cid.toString(), size: put.size, leaves };
  }

  /**
   * Makes `key` a new version whose bytes are the parts' (putPart), in order, without moving
   * them: only the parent blocks are stored, then the record. Every part but the last must hold
   * whole MiBs (DEFAULT_CHUNK_SIZE); the object's CID is then the one put() gives its bytes.
   */
  async putComposed(key: string, leaves: AsyncIterable<FileLink> | Iterable<FileLink>, o: Omit<ObjectPutOptions, 'encrypt' | 'readers'> = {}): Promise<ObjectPutResult> {
    checkObjectKey(key);
    this.creds.require('put', key);
    const put = await this.client.putTree(leaves, { token: this.creds.shardToken(), ...(o.signal ? { signal: o.signal } : {}), ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
    return this.recordVersion(key, put.cid.toString(), put.size, null, o);
  }

  /**
   * Stores a JSON document under `key`. In a private bucket (or with encrypt: true) every leaf is
   * sealed under a key derived from a fresh data key and its JSON pointer (encryptJsonFields);
   * the shape stays visible, and shareJsonField can then give a reader one subtree alone.
   */
  async putJson(key: string, doc: PlainJson, o: Omit<ObjectPutOptions, 'onProgress'> = {}): Promise<ObjectPutResult> {
    checkObjectKey(key);
    this.creds.require('put', key);
    const contentType = o.contentType ?? 'application/json';
    const encrypt = o.encrypt ?? !(await this.isPublic());
    if (!encrypt) return this.put(key, textEncoder.encode(JSON.stringify(doc)), { ...o, contentType, encrypt: false });
    const readers = this.readers(o.readers);
    const dek = generateDek();
    const oid = generateObjectId();
    const { cid, size } = await this.putSealedJson(doc, dek, o.signal);
    // chunk 1: the body is one document, not chunked ciphertext.
    const encryption: EncryptionInfo = { alg: JSON_FIELDS_ALG, chunk: 1, oid, size, edeks: await sealToReaders(dek, oid, readers), group: null };
    const record = await this.putRecord({ key, cid, size, encryption, contentType, ...(o.metadata !== undefined ? { metadata: o.metadata } : {}) }, o.signal);
    return { version: record.version, cid, size };
  }

  /** Stores `doc` with every leaf sealed under `dek`'s field keys; its CID and stored size. */
  private async putSealedJson(doc: PlainJson, dek: Uint8Array, signal?: AbortSignal): Promise<{ cid: string; size: number }> {
    const body = textEncoder.encode(JSON.stringify(await encryptJsonFields(doc, dek)));
    const put = await this.client.put(body, { token: this.creds.shardToken(), ...(signal ? { signal } : {}) });
    return { cid: put.cid.toString(), size: body.length };
  }

  /**
   * A JSON document and its record: all of it opened with a data key, or the subtrees this
   * identity holds field grants for (`opened` lists their pointers; other leaves stay sealed).
   */
  async getJson(key: string, o: { version?: string; signal?: AbortSignal } = {}): Promise<{ record: ObjectRecord; doc: PlainJson; opened: string[] }> {
    const record = await this.head(key, o);
    const enc = record.encryption;
    if (enc && enc.alg !== JSON_FIELDS_ALG) throw new DdcError('DDC_INVALID_ARGUMENT', `${JSON.stringify(key)} is not a field-encrypted JSON document`, { hint: 'Read it with bucket.get' });
    const doc = parseJsonBody(await this.client.getBytes(record.cid!, o.signal ? { signal: o.signal } : {}), key);
    if (!enc) return { record, doc, opened: [''] };
    return { record, ...(await openJsonDocument(doc, enc, key, this.creds.keys)) };
  }

  /**
   * Gives `recipient` the subtree of a field-encrypted JSON document at `pointer` and nothing
   * else: a token to read the object, and the subtree's key sealed to it (a new version).
   */
  async shareJsonField(key: string, pointer: string, recipient: PublicIdentity | string, o: ShareOptions): Promise<ShareResult> {
    const who = recipientOf(recipient);
    const expiry = unixSeconds(o.expiresAt);
    const rec = await this.head(key, o.signal ? { signal: o.signal } : {});
    const enc = rec.encryption;
    if (!enc || enc.alg !== JSON_FIELDS_ALG) throw new DdcError('DDC_INVALID_ARGUMENT', `${JSON.stringify(key)} is not a field-encrypted JSON document`, { hint: 'Put it with bucket.putJson in a private bucket, or share the whole object with bucket.share' });
    const dek = await openDataKey(enc, key, this.creds.keys);
    const grant = await sealFieldGrant(rootFieldKey(dek), pointer, who.x25519, enc.oid, expiry);
    const token = this.creds.issue(who.ed25519, { ops: o.ops ?? ['get'], prefix: key, expiry });
    const fields = [...(enc.fields ?? []).filter((g) => !(g.ptr === pointer && equalBytes(g.to, who.x25519))), grant];
    const version = (await this.rewrite(rec, { ...enc, fields }, o.signal)).version;
    return { token: tokenToText(token), version };
  }

  /** The record of the current version of `key` (or of `version`); DDC_NO_SUCH_KEY if none or deleted. */
  async head(key: string, o: { version?: string; signal?: AbortSignal } = {}): Promise<ObjectRecord> {
    checkObjectKey(key);
    const record = await this.records.read(key, { ...(o.version !== undefined ? { version: o.version } : {}), ...(o.signal ? { signal: o.signal } : {}) });
    if (!record || record.cid === null) {
      const what = o.version ? `version ${o.version} of ${JSON.stringify(key)}` : JSON.stringify(key);
      throw new DdcError('DDC_NO_SUCH_KEY', record ? `${what} is deleted (a delete marker)` : `no object ${what} in bucket ${this.id}`, {
        hint: record ? 'Read an older version (bucket.versions(key)) or put it again' : 'Check the key (bucket.list({ prefix })) and the bucket id',
        details: { bucket: this.id, key, ...(record ? { deleteMarker: record.version } : {}) },
      });
    }
    return record;
  }

  /** The object's bytes (decrypted and verified as they stream), and its record. */
  async get(key: string, o: ObjectGetOptions = {}): Promise<ObjectGetResult> {
    const record = await this.head(key, { ...(o.version !== undefined ? { version: o.version } : {}), ...(o.signal ? { signal: o.signal } : {}) });
    const cid = record.cid!;
    const signal = o.signal ? { signal: o.signal } : {};
    const progress = o.onProgress ? { onProgress: o.onProgress } : {};
    const enc = record.encryption;
    if (!enc) {
      plainRange(o.range, record.size); // refuses a range outside the object before any fetch
      return { record, ...this.client.getRecyclable(cid, { ...signal, ...progress, ...(o.range ? { range: o.range } : {}) }) };
    }
    if (enc.alg === JSON_FIELDS_ALG) throw new DdcError('DDC_INVALID_ARGUMENT', `${JSON.stringify(key)} is a field-encrypted JSON document`, { hint: 'Read it with bucket.getJson' });
    const dek = await openDataKey(enc, key, this.creds.keys, o.groupShares);
    const range = plainRange(o.range, enc.size);
    const fetchRange = cipherFetchRange(range, enc);
    if (fetchRange === null) return { record, body: emptyStream(), recycle: noRecycle };
    // Each ciphertext piece is dead once decrypted: the client reads later pieces into its memory.
    const ciphertext = this.client.getRecyclable(cid, { ...signal, ...progress, ...(fetchRange ? { range: fetchRange } : {}) });
    // The plaintext chunks are the cipher's own arrays, not the client's: nothing to take back.
    return { record, body: decryptStream(ciphertext.body, dek, enc, range, o.signal, ciphertext.recycle), recycle: noRecycle };
  }

  /** The whole object in memory (small objects; stream large ones with get). */
  async getBytes(key: string, o: ObjectGetOptions = {}): Promise<Uint8Array> {
    const { body } = await this.get(key, o);
    return new Uint8Array(await new Response(body).arrayBuffer());
  }

  /** Writes a delete marker: the key reads as absent; older versions stay. */
  async delete(key: string, o: { signal?: AbortSignal } = {}): Promise<{ version: string }> {
    checkObjectKey(key);
    const record = await this.putRecord({ key, cid: null }, o.signal);
    return { version: record.version };
  }

  /** Every version of `key`, delete markers included, newest first. */
  versions(key: string, o: { signal?: AbortSignal } = {}): Promise<ObjectRecord[]> {
    checkObjectKey(key);
    return this.records.versions(key, o.signal);
  }

  /** S3-like listing of current objects (delete markers hidden), in key order (UTF-8 bytes). */
  list(o: ListObjectsOptions = {}): Promise<ListObjectsResult> {
    return listObjects(this.records, o);
  }

  /** A new version of `dstKey` with the same content (and encryption) as `srcKey`. */
  async copy(srcKey: string, dstKey: string, o: { version?: string; signal?: AbortSignal } = {}): Promise<{ version: string; cid: string }> {
    checkObjectKey(dstKey);
    this.creds.require('put', dstKey);
    const src = await this.head(srcKey, o);
    const record = await this.putRecord({ key: dstKey, cid: src.cid, size: src.size, contentType: src.contentType, metadata: src.metadata, encryption: src.encryption }, o.signal);
    return { version: record.version, cid: src.cid! };
  }

  /** True when a live record other than (key, version) names `cid`: its shards must stay. */
  private async cidInUse(cid: string, key: string, version: string, siblings: ObjectRecord[], signal?: AbortSignal): Promise<boolean> {
    if (siblings.some((r) => r.version !== version && r.cid === cid)) return true;
    let token: string | null = null;
    try {
      do {
        const page = await this.list({ maxKeys: 1000, continuationToken: token, ...(signal ? { signal } : {}) });
        if (page.objects.some((s) => s.cid === cid && s.key !== key)) return true;
        token = page.nextContinuationToken;
      } while (token !== null);
    } catch (e) {
      // A token without list cannot tell: keep the shards rather than break another object.
      if (e instanceof DdcError && e.code.startsWith('DDC_TOKEN_')) return true;
      throw e;
    }
    return false;
  }

  /**
   * Removes one version for good: a purge record (replicas drop that version and never take
   * it back), then, when no other live object names its content, its shards.
   */
  async deleteVersion(key: string, version: string, o: DeleteVersionOptions = {}): Promise<DeleteVersionResult> {
    checkObjectKey(key);
    const { signer, token } = this.creds.require('delete', key);
    const all = await this.records.versions(key, o.signal);
    const target = all.find((r) => r.version === version);
    if (!target) throw new DdcError('DDC_NO_SUCH_KEY', `no version ${version} of ${JSON.stringify(key)} in bucket ${this.id}`, { hint: 'List them with bucket.versions(key)' });
    const purge = await this.putRecord({ key, cid: null, purges: version }, o.signal);
    let shards: DeleteVersionResult['shards'] = null;
    const wanted = o.deleteShards ?? target.encryption !== null;
    if (target.cid !== null && wanted && !(await this.cidInUse(target.cid, key, version, all, o.signal))) {
      const r = await deleteContentShards(this.client, target.cid, { signer, token, fetch: this.fetchImpl }, o.signal);
      shards = { deleted: r.deleted, failed: r.failed.length, unreadable: r.unreadable };
    }
    return { version: purge.version, purged: version, shards };
  }

  /**
   * Shares `key` with a recipient: a new version of its record holding an EDEK for them
   * (encrypted objects) and a token (audience their signing key, prefix the key) until
   * expiresAt. Give them the token text with the bucket id and key.
   */
  async share(key: string, recipient: PublicIdentity | string, o: ShareOptions): Promise<ShareResult> {
    const who = recipientOf(recipient);
    const expiry = unixSeconds(o.expiresAt);
    const ops = o.ops ?? ['get'];
    const rec = await this.head(key, o.signal ? { signal: o.signal } : {});
    const token = this.creds.issue(who.ed25519, { ops, prefix: key, expiry });
    let version = rec.version;
    const enc = rec.encryption;
    if (enc) {
      const dek = await openDataKey(enc, key, this.creds.keys);
      const edek = await sealDek(dek, who.x25519, enc.oid, { expiresAt: expiry });
      const edeks = [...enc.edeks.filter((e) => !equalBytes(e.to, who.x25519)), edek];
      version = (await this.rewrite(rec, { ...enc, edeks }, o.signal)).version;
    }
    return { token: tokenToText(token), version };
  }

  /** A new version of `rec` with other encryption info (same content). */
  private rewrite(rec: ObjectRecord, encryption: EncryptionInfo, signal?: AbortSignal): Promise<ObjectRecord> {
    return this.putRecord({ key: rec.key, cid: rec.cid, size: rec.size, contentType: rec.contentType, metadata: rec.metadata, encryption }, signal);
  }

  /**
   * Splits the object's data key t-of-n among `members` (a new version): any `threshold`
   * of them together can read it (each calls openGroupShare; one combines them in get).
   */
  async shareWithGroup(key: string, members: (PublicIdentity | string)[], threshold: number, o: { signal?: AbortSignal } = {}): Promise<{ version: string }> {
    const rec = await this.head(key, o);
    const enc = rec.encryption;
    if (!enc) throw new DdcError('DDC_INVALID_ARGUMENT', `${JSON.stringify(key)} is not encrypted: there is no key to split`, { hint: 'Put it with { encrypt: true } first' });
    const dek = await openDataKey(enc, key, this.creds.keys);
    const group = await sealDekToGroup(dek, members.map((m) => recipientOf(m).x25519), threshold, enc.oid);
    return { version: (await this.rewrite(rec, { ...enc, group }, o.signal)).version };
  }

  /** This identity's share of a group-shared object's data key. */
  async openGroupShare(key: string, o: { version?: string; signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const rec = await this.head(key, o);
    const keys = this.creds.keys;
    if (!rec.encryption || !keys) throw new DdcError('DDC_NOT_A_READER', `${JSON.stringify(key)} has no group share for this handle`, { hint: 'Open the bucket with the member\'s keys' });
    return openOwnGroupShare(rec.encryption, key, keys);
  }

  /**
   * Takes a reader's access away as far as it can be: revokes their tokens on the ledger,
   * re-encrypts the object with a new data key for the remaining readers (a new version),
   * then purges every older version and deletes its shards. What they already read or the
   * data key they already opened cannot be taken back.
   */
  async unshare(key: string, recipient: PublicIdentity | string, o: UnshareOptions = {}): Promise<UnshareResult> {
    const who = recipientOf(recipient);
    const { signer, token } = this.creds.require('delete', key);
    const revoked = await revokeTokens(this.options.ledger, this.id, (o.revokeTokens ?? []).map(parseToken));
    const rec = await this.head(key, o.signal ? { signal: o.signal } : {});
    const enc = rec.encryption;
    if (!enc) return { version: rec.version, purged: [], revoked };
    const keys = this.creds.keys;
    if (!keys) throw new DdcError('DDC_NOT_A_READER', `unsharing ${JSON.stringify(key)} re-encrypts it, which needs a reader's keys`, { hint: 'Open the bucket with { keys }' });
    const json = enc.alg === JSON_FIELDS_ALG;
    const dek = await openDataKey(enc, key, keys);
    const keep = (to: Uint8Array) => !equalBytes(to, who.x25519);
    const readers: Reader[] = [{ x25519: keys.encryption.publicKey, exp: null }, ...enc.edeks.filter((e) => keep(e.to)).map((e) => ({ x25519: e.to, exp: e.exp }))];
    const members = enc.group ? enc.group.shares.map((s) => s.to).filter(keep) : [];
    const dek2 = generateDek();
    const oid2 = generateObjectId();
    const group = enc.group && members.length >= Math.max(2, enc.group.t) ? await sealDekToGroup(dek2, members, enc.group.t, oid2) : null;
    const edeks = await sealToReaders(dek2, oid2, readers);
    let content: { cid: string; size: number; encryption: EncryptionInfo };
    if (json) {
      // A document is small: open it whole, seal it again, and give the other grantees their subtrees under the new key.
      const doc = await decryptJsonFields(parseJsonBody(await this.client.getBytes(rec.cid!, o.signal ? { signal: o.signal } : {}), key) as EncryptedJson, rootFieldKey(dek));
      const sealed = await this.putSealedJson(doc, dek2, o.signal);
      const fields = await Promise.all((enc.fields ?? []).filter((g) => keep(g.to)).map((g) => sealFieldGrant(rootFieldKey(dek2), g.ptr, g.to, oid2, g.exp)));
      const encryption: EncryptionInfo = { alg: JSON_FIELDS_ALG, chunk: 1, oid: oid2, size: sealed.size, edeks, group, ...(fields.length > 0 ? { fields } : {}) };
      content = { ...sealed, encryption };
    } else {
      // Re-encrypt: ciphertext in, plaintext through, new ciphertext out, one stream (constant memory).
      const old = this.client.getRecyclable(rec.cid!, o.signal ? { signal: o.signal } : {});
      const plain = decryptStream(old.body, dek, enc, undefined, o.signal, old.recycle);
      const enc2 = encryptChunks(chunksOf(plain), dek2, oid2, o.signal, (size) => this.client.putBuffer(size));
      const put = await this.client.put(enc2.ciphertext, { token: this.creds.shardToken(), ...(o.signal ? { signal: o.signal } : {}) });
      content = { cid: put.cid.toString(), size: enc2.plainSize(), encryption: { alg: ENC_ALG, chunk: PLAIN_CHUNK, oid: oid2, size: enc2.plainSize(), edeks, group } };
    }
    const next = await this.putRecord({ key, ...content, contentType: rec.contentType, metadata: rec.metadata }, o.signal);

    const all = await this.records.versions(key, o.signal);
    const purged: string[] = [];
    for (const old of all) {
      if (old.version === next.version || old.cid === null) continue;
      await this.putRecord({ key, cid: null, purges: old.version }, o.signal);
      purged.push(old.version);
    }
    const cids = new Set(all.filter((r) => r.cid !== null && r.cid !== next.cid && r.version !== next.version).map((r) => r.cid!));
    for (const cid of cids) {
      if (await this.cidInUse(cid, key, '', [], o.signal)) continue;
      await deleteContentShards(this.client, cid, { signer, token, fetch: this.fetchImpl }, o.signal);
    }
    return { version: next.version, purged, revoked };
  }
}

function noRecycle(): void {}
