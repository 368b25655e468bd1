/**
 * PutObject, GetObject, HeadObject, DeleteObject and CopyObject over a DDC bucket handle.
 * A put streams the verified body into the SDK (MD5 computed on the way for the ETag); the
 * record that makes the object visible is written only after every byte is stored and every
 * check passed, so a failed upload leaves the key as it was.
 */
import type { ObjectRecord } from '@ddc/core';
import { header } from '../auth/sigv4.js';
import { verifiedPayload } from '../auth/payload.js';
import { bucketFor, checkKey } from './access.js';
import { checkConditions, parseRange } from './conditional.js';
import type { S3Context } from './context.js';
import { S3Error } from './errors.js';
import { ETAG_META, PARTS_META, etagOf, metaFromHeaders, objectHeaders, quotedEtag } from './metadata.js';
import { bodyOf, isoTime, sendEmpty, sendXml, setCommonHeaders, type S3Request } from './request.js';
import { fromWebStream, pipeBody } from '../http/respond.js';
import { thenRun } from './stream.js';
import { xmlDocument } from './xml.js';

function objectKey(r: S3Request): string {
  const key = r.key;
  if (key === undefined) throw new S3Error('InvalidRequest', 'This operation needs an object key');
  checkKey(key);
  return key;
}

function versionOf(r: S3Request): { version?: string } {
  const v = r.query.get('versionId');
  if (v === undefined || v === 'null') return {};
  if (!/^[0-9a-f]{20}$/.test(v)) throw new S3Error('InvalidArgument', `Invalid version id specified: ${JSON.stringify(v.slice(0, 40))}`, { ArgumentName: 'versionId' });
  return { version: v };
}

export async function putObject(ctx: S3Context, r: S3Request): Promise<void> {
  const key = objectKey(r);
  const named = await bucketFor(ctx, r, 'put', key);
  const meta = metaFromHeaders(r.headers);
  const payload = verifiedPayload(bodyOf(r), { auth: r.auth, headers: r.headers, maxBytes: ctx.limits.maxPutBytes });
  // The record is signed after the last byte: the ETag (MD5) is known by then.
  const metadata = meta.metadata;
  const chunks = thenRun(payload.chunks, () => void (metadata[ETAG_META] = payload.md5Hex()));
  let version: string;
  try {
    ({ version } = await ctx.handle(named, r.accessKey).put(key, chunks, { metadata, ...(meta.contentType ? { contentType: meta.contentType } : {}) }));
  } catch (e) {
    throw payload.error() ?? e;
  }
  sendEmpty(r, 200, { ETag: `"${payload.md5Hex()}"`, 'x-amz-version-id': version });
}

const RESPONSE_OVERRIDES: [string, string][] = [
  ['response-content-type', 'Content-Type'],
  ['response-content-language', 'content-language'],
  ['response-expires', 'expires'],
  ['response-cache-control', 'cache-control'],
  ['response-content-disposition', 'content-disposition'],
  ['response-content-encoding', 'content-encoding'],
];

function readHeaders(r: S3Request, record: ObjectRecord): Record<string, string> {
  const h = objectHeaders(record);
  for (const [param, name] of RESPONSE_OVERRIDES) {
    const v = r.query.get(param);
    if (v !== undefined) {
      if (!r.auth) throw new S3Error('InvalidRequest', `${param} needs a signed request`);
      if (name === 'Content-Type') h['Content-Type'] = v;
      else h[name] = v;
    }
  }
  return h;
}

function checkPartNumber(r: S3Request, record: ObjectRecord): void {
  const p = r.query.get('partNumber');
  if (p === undefined) return;
  if (p === '1' && record.metadata[PARTS_META] === undefined) return;
  throw new S3Error('NotImplemented', 'Reading one part of a multipart object (partNumber) is not supported: read a byte range instead');
}

/** 304/412 for a failed condition (an S3 412 is an error document; a 304 has no body). */
function failCondition(r: S3Request, status: 304 | 412, record: ObjectRecord): never | void {
  if (status === 412) throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-Match or If-Unmodified-Since' });
  setCommonHeaders(r);
  r.res.writeHead(304, { ETag: quotedEtag(record), 'Last-Modified': new Date(record.time).toUTCString(), 'x-amz-version-id': record.version });
  r.res.end();
}

export async function getObject(ctx: S3Context, r: S3Request): Promise<void> {
  const key = objectKey(r);
  const named = await bucketFor(ctx, r, 'get', key);
  const handle = ctx.handle(named, r.accessKey);
  const version = versionOf(r);
  const rangeHeader = header(r, 'range');
  const head = r.method === 'HEAD';
  let record: ObjectRecord;
  let body: ReadableStream<Uint8Array> | undefined;
  let recycle: ((chunk: Uint8Array) => void) | undefined;
  // The body stream is lazy: nothing is fetched until it is read, so conditions are checked first.
  if (head || rangeHeader !== undefined) record = await handle.head(key, version);
  else ({ record, body, recycle } = await handle.get(key, version));
  checkPartNumber(r, record);
  const cond = checkConditions(r.headers, etagOf(record), record.time);
  if (cond !== 'ok') {
    await body?.cancel();
    return failCondition(r, cond, record);
  }
  const range = parseRange(rangeHeader, record.size);
  const headers = readHeaders(r, record);
  if (head) {
    setCommonHeaders(r);
    r.res.writeHead(200, { ...headers, 'Content-Length': String(record.size) });
    r.res.end();
    return;
  }
  if (range) {
    ({ body, recycle } = await handle.get(key, { version: record.version, range: { offset: range.start, length: range.end - range.start } }));
    headers['Content-Range'] = `bytes ${range.start}-${range.end - 1}/${record.size}`;
  } else if (!body) {
    ({ body, recycle } = await handle.get(key, { version: record.version }));
  }
  setCommonHeaders(r);
  r.res.writeHead(range ? 206 : 200, { ...headers, 'Content-Length': String(range ? range.end - range.start : record.size) });
  await pipeBody(r.res, fromWebStream(body!), recycle);
}

export async function deleteObject(ctx: S3Context, r: S3Request): Promise<void> {
  const key = objectKey(r);
  const named = await bucketFor(ctx, r, 'delete', key);
  const handle = ctx.handle(named, r.accessKey);
  const { version } = versionOf(r);
  if (version !== undefined) {
    await handle.deleteVersion(key, version);
    return sendEmpty(r, 204, { 'x-amz-version-id': version });
  }
  const marker = await handle.delete(key);
  sendEmpty(r, 204, { 'x-amz-delete-marker': 'true', 'x-amz-version-id': marker.version });
}

/** `bucket/key[?versionId=V]` of x-amz-copy-source (URL-encoded, with or without a leading /). */
export function parseCopySource(value: string): { bucket: string; key: string; version?: string } {
  let v = value.trim();
  let version: string | undefined;
  const q = v.indexOf('?');
  if (q >= 0) {
    const params = new URLSearchParams(v.slice(q + 1));
    version = params.get('versionId') ?? undefined;
    v = v.slice(0, q);
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(v);
  } catch {
    throw new S3Error('InvalidArgument', 'Invalid copy source encoding', { ArgumentName: 'x-amz-copy-source' });
  }
  if (decoded.startsWith('/')) decoded = decoded.slice(1);
  const slash = decoded.indexOf('/');
  if (slash <= 0 || slash === decoded.length - 1) throw new S3Error('InvalidArgument', 'Copy Source must mention the source bucket and key: sourcebucket/sourcekey', { ArgumentName: 'x-amz-copy-source' });
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1), ...(version !== undefined && version !== 'null' ? { version } : {}) };
}

/** The source record of a copy, after its access and its x-amz-copy-source-if-* conditions. */
export async function copySource(ctx: S3Context, r: S3Request) {
  const src = parseCopySource(header(r, 'x-amz-copy-source')!);
  checkKey(src.key);
  const named = await bucketFor(ctx, r, 'get', src.key, src.bucket);
  const handle = ctx.handle(named, r.accessKey);
  const record = await handle.head(src.key, src.version !== undefined ? { version: src.version } : {});
  if (checkConditions(r.headers, etagOf(record), record.time, 'x-amz-copy-source-') !== 'ok') {
    throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'x-amz-copy-source-if-*' });
  }
  return { src, named, handle, record };
}

export async function copyObject(ctx: S3Context, r: S3Request): Promise<void> {
  const key = objectKey(r);
  const source = await copySource(ctx, r);
  const named = await bucketFor(ctx, r, 'put', key);
  const directive = (header(r, 'x-amz-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') throw new S3Error('InvalidArgument', 'Unknown metadata directive: use COPY or REPLACE', { ArgumentName: 'x-amz-metadata-directive' });
  const rec = source.record;
  if (directive === 'COPY' && source.named.id === named.id && source.src.key === key && source.src.version === undefined) {
    throw new S3Error('InvalidRequest', "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.");
  }
  let contentType = rec.contentType;
  let metadata = { ...rec.metadata };
  if (directive === 'REPLACE') {
    const m = metaFromHeaders(r.headers);
    contentType = m.contentType ?? 'binary/octet-stream';
    metadata = m.metadata;
    // The bytes are the same, so is their ETag.
    for (const k of [ETAG_META, PARTS_META]) if (rec.metadata[k] !== undefined) metadata[k] = rec.metadata[k];
  }
  const dst = ctx.handle(named, r.accessKey);
  let version: string;
  let time: number;
  if (source.named.id === named.id) {
    // Same bucket: a new record naming the same content (and data key); no bytes move.
    const written = await dst.putRecord({ key, cid: rec.cid, size: rec.size, contentType, metadata, encryption: rec.encryption });
    version = written.version;
    time = written.time;
  } else {
    if (rec.size > ctx.limits.maxPutBytes) throw new S3Error('InvalidRequest', `The specified copy source is larger than the maximum allowable size for a copy source: ${ctx.limits.maxPutBytes}; use UploadPartCopy`);
    const { body } = await source.handle.get(source.src.key, { version: rec.version });
    const put = await dst.put(key, body, { contentType, metadata });
    version = put.version;
    time = Date.now();
  }
  sendXml(r, 200, xmlDocument('CopyObjectResult', [['ETag', quotedEtag({ metadata, cid: rec.cid })], ['LastModified', isoTime(time)]]), {
    'x-amz-version-id': version,
    ...(source.src.version !== undefined ? { 'x-amz-copy-source-version-id': source.src.version } : {}),
  });
}
