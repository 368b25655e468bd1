/**
 * Multipart uploads: Create, UploadPart, UploadPartCopy, Complete, Abort, ListParts,
 * ListMultipartUploads. In a public bucket (plaintext) each part is stored in DDC as it
 * arrives and the gateway keeps its leaves; in a private one (encrypted as one object) parts
 * are staged on the gateway's disk (store.ts). Completion checks the list (order, ETags, sizes)
 * first. Stored parts of whole MiBs (all but the last; S3 clients cut 5, 8 or 16 MiB parts)
 * are then composed without moving a byte: only the parent blocks and the record are written,
 * and the object gets the CID a single put of its bytes gets. Otherwise the parts' bytes
 * stream into one DDC put. The record appears only at the end. A completion that runs long
 * answers 200 early and sends spaces until the result (or an Error document), as S3 does.
 */
import { header } from '../../auth/sigv4.js';
import { verifiedPayload } from '../../auth/payload.js';
import { bucketFor, checkKey } from '../access.js';
import type { S3Context } from '../context.js';
import { S3Error, toS3Error } from '../errors.js';
import { ETAG_META, PARTS_META, checkMetaSize, metaFromHeaders, multipartEtag } from '../metadata.js';
import { copySource } from '../objects.js';
import { bodyOf, isoTime, sendEmpty, sendXml, setCommonHeaders, type S3Request } from '../request.js';
import { chunksOf } from '../stream.js';
import { readXmlBody } from '../xml-body.js';
import { children, errorDocument, isXmlObject, textOf, xmlDocument, type XmlChildren, type XmlNode } from '../xml.js';
import type { PartInfo, PartStorer } from './store.js';
import type { NamedBucket } from '../bucket-names.js';
import { DEFAULT_CHUNK_SIZE } from '@ddc/core';

/** A completion taking longer than this gets its 200 and keep-alive spaces early. */
const EARLY_ANSWER_MS = 2000;
const KEEPALIVE_MS = 10_000;

function keyOf(r: S3Request): string {
  const key = r.key;
  if (key === undefined) throw new S3Error('InvalidRequest', 'Multipart uploads need an object key');
  checkKey(key);
  return key;
}

function uploadIdOf(r: S3Request): string {
  const id = r.query.get('uploadId');
  if (!id) throw new S3Error('InvalidArgument', 'uploadId is required', { ArgumentName: 'uploadId' });
  return id;
}

function partNumberOf(ctx: S3Context, r: S3Request): number {
  const v = r.query.get('partNumber') ?? '';
  const n = /^\d{1,5}$/.test(v) ? Number(v) : NaN;
  if (!(n >= 1 && n <= ctx.limits.maxParts)) {
    throw new S3Error('InvalidArgument', `Part number must be an integer between 1 and ${ctx.limits.maxParts}, inclusive`, { ArgumentName: 'partNumber', ArgumentValue: v.slice(0, 20) });
  }
  return n;
}

/** Parts of a public bucket (plaintext) go to DDC as they arrive; a private bucket's are staged, to be encrypted as one object. */
async function partStorer(ctx: S3Context, named: NamedBucket, r: S3Request): Promise<PartStorer | undefined> {
  const handle = ctx.handle(named, r.accessKey);
  if (!(await handle.isPublic())) return undefined;
  return (chunks) => handle.putPart(chunks);
}

/** Stored parts whose leaves make the whole object's: every part but the last of whole chunks. */
export function composable(parts: readonly PartInfo[]): boolean {
  return parts.every((p, i) => p.cid !== undefined && (i === parts.length - 1 || p.size % DEFAULT_CHUNK_SIZE === 0));
}

export async function createMultipartUpload(ctx: S3Context, r: S3Request): Promise<void> {
  const key = keyOf(r);
  const named = await bucketFor(ctx, r, 'put', key);
  const meta = metaFromHeaders(r.headers);
  const info = await ctx.multipart.create({
    bucket: named.name, bucketId: named.id, key, accessKeyId: r.accessKey?.accessKeyId ?? null, contentType: meta.contentType, metadata: meta.metadata,
  });
  sendXml(r, 200, xmlDocument('InitiateMultipartUploadResult', [['Bucket', named.name], ['Key', key], ['UploadId', info.uploadId]]));
}

export async function uploadPart(ctx: S3Context, r: S3Request): Promise<void> {
  const key = keyOf(r);
  const partNumber = partNumberOf(ctx, r);
  const uploadId = uploadIdOf(r);
  const named = await bucketFor(ctx, r, 'put', key);
  await ctx.multipart.get(uploadId, r.bucket, key);
  const store = await partStorer(ctx, named, r);
  const payload = verifiedPayload(bodyOf(r), { auth: r.auth, headers: r.headers, maxBytes: ctx.limits.maxPartBytes });
  let part: PartInfo;
  try {
    // The payload hashes every byte for its checks already: its MD5 is the part's ETag.
    part = await ctx.multipart.writePart(uploadId, partNumber, payload.chunks, payload.md5Hex, store);
  } catch (e) {
    throw payload.error() ?? e;
  }
  sendEmpty(r, 200, { ETag: `"${part.etag}"` });
}

export async function uploadPartCopy(ctx: S3Context, r: S3Request): Promise<void> {
  const key = keyOf(r);
  const partNumber = partNumberOf(ctx, r);
  const uploadId = uploadIdOf(r);
  const named = await bucketFor(ctx, r, 'put', key);
  await ctx.multipart.get(uploadId, r.bucket, key);
  const store = await partStorer(ctx, named, r);
  const source = await copySource(ctx, r);
  const size = source.record.size;
  let range: { offset: number; length: number } | undefined;
  const rangeText = header(r, 'x-amz-copy-source-range');
  if (rangeText !== undefined) {
    const m = /^bytes=(\d+)-(\d+)$/.exec(rangeText.trim());
    if (!m) throw new S3Error('InvalidArgument', 'The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy', { ArgumentName: 'x-amz-copy-source-range' });
    const first = Number(m[1]);
    const last = Number(m[2]);
    if (last < first || last >= size) throw new S3Error('InvalidRange', `The requested range ${rangeText} is not satisfiable for a source of ${size} bytes`, { ActualObjectSize: String(size) });
    range = { offset: first, length: last - first + 1 };
  }
  const length = range?.length ?? size;
  if (length > ctx.limits.maxPartBytes) throw new S3Error('EntityTooLarge', `The copied part of ${length} bytes exceeds the maximum part size of ${ctx.limits.maxPartBytes} bytes`);
  const { body } = await source.handle.get(source.src.key, { version: source.record.version, ...(range ? { range } : {}) });
  const part = await ctx.multipart.writePart(uploadId, partNumber, chunksOf(body), undefined, store);
  sendXml(r, 200, xmlDocument('CopyPartResult', [['ETag', `"${part.etag}"`], ['LastModified', part.lastModified]]), {
    ...(source.src.version !== undefined ? { 'x-amz-copy-source-version-id': source.src.version } : {}),
  });
}

/** The parts a completion names, checked against those uploaded: InvalidPartOrder, InvalidPart, EntityTooSmall. */
export function checkCompletion(named: { partNumber: number; etag: string }[], uploaded: PartInfo[], minPartBytes: number, maxParts: number): PartInfo[] {
  if (named.length === 0) throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema: name at least one <Part>');
  if (named.length > maxParts) throw new S3Error('MalformedXML', `The XML you provided was not well-formed or did not validate against our published schema: at most ${maxParts} parts`);
  for (let i = 1; i < named.length; i++) {
    if (named[i]!.partNumber <= named[i - 1]!.partNumber) throw new S3Error('InvalidPartOrder', 'The list of parts was not in ascending order. The parts list must be specified in order by part number.');
  }
  const byNumber = new Map(uploaded.map((p) => [p.partNumber, p]));
  const chosen = named.map((n) => {
    const p = byNumber.get(n.partNumber);
    if (!p || p.etag !== n.etag) {
      throw new S3Error('InvalidPart', "One or more of the specified parts could not be found. The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.", { PartNumber: String(n.partNumber), ETag: `"${n.etag}"` });
    }
    return p;
  });
  chosen.forEach((p, i) => {
    if (i < chosen.length - 1 && p.size < minPartBytes) {
      throw new S3Error('EntityTooSmall', `Your proposed upload is smaller than the minimum allowed object size: part ${p.partNumber} has ${p.size} bytes; every part but the last needs at least ${minPartBytes}`, {
        PartNumber: String(p.partNumber), ProposedSize: String(p.size), MinSizeAllowed: String(minPartBytes), ETag: `"${p.etag}"`,
      });
    }
  });
  return chosen;
}

function namedParts(body: Record<string, unknown>): { partNumber: number; etag: string }[] {
  const bad = (why: string) => new S3Error('MalformedXML', `The XML you provided was not well-formed or did not validate against our published schema: ${why}`);
  return children(body as never, 'Part').map((p) => {
    if (!isXmlObject(p)) throw bad('<Part> needs <PartNumber> and <ETag>');
    const num = textOf(p, 'PartNumber');
    const etag = textOf(p, 'ETag');
    if (num === undefined || etag === undefined || !/^\s*\d{1,5}\s*$/.test(num)) throw bad('<Part> needs <PartNumber> (a number) and <ETag>');
    return { partNumber: Number(num), etag: etag.trim().replace(/^"(.*)"$/, '$1').replace(/^&quot;(.*)&quot;$/, '$1') };
  });
}

export async function completeMultipartUpload(ctx: S3Context, r: S3Request): Promise<void> {
  const key = keyOf(r);
  const uploadId = uploadIdOf(r);
  const named = await bucketFor(ctx, r, 'put', key);
  const info = await ctx.multipart.get(uploadId, named.name, key);
  const body = await readXmlBody(ctx, r, 'CompleteMultipartUpload');
  const parts = checkCompletion(namedParts(body), await ctx.multipart.parts(uploadId), ctx.limits.minPartBytes, ctx.limits.maxParts);
  const etag = multipartEtag(parts.map((p) => p.etag));
  const metadata = { ...info.metadata, [ETAG_META]: etag, [PARTS_META]: String(parts.length) };
  checkMetaSize(info.metadata);
  const handle = ctx.handle(named, r.accessKey);

  // After EARLY_ANSWER_MS the 200 goes out and spaces keep the connection alive.
  let early = false;
  let keepalive: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    early = true;
    setCommonHeaders(r);
    r.res.writeHead(200, { 'Content-Type': 'application/xml' });
    r.res.write('<?xml version="1.0" encoding="UTF-8"?>\n');
    keepalive = setInterval(() => r.res.write(' '), KEEPALIVE_MS);
  }, EARLY_ANSWER_MS);
  let doc: string;
  let version = '';
  try {
    const options = { metadata, ...(info.contentType ? { contentType: info.contentType } : {}) };
    const put = await ctx.multipart.complete(uploadId, () => composable(parts)
      ? handle.putComposed(key, ctx.multipart.leaves(uploadId, parts), options)
      : handle.put(key, ctx.multipart.read(uploadId, parts, (cid) => chunksOf(ctx.config.client.get(cid))), options));
    version = put.version;
    const location = `/${encodeURIComponent(named.name)}/${key.split('/').map(encodeURIComponent).join('/')}`;
    doc = xmlDocument('CompleteMultipartUploadResult', [['Location', location], ['Bucket', named.name], ['Key', key], ['ETag', `"${etag}"`]]);
  } catch (e) {
    if (!early) throw e;
    const err = toS3Error(e);
    doc = errorDocument(err.code, err.message, err.extra, r.requestId);
  } finally {
    clearTimeout(timer);
    clearInterval(keepalive);
  }
  if (!early) return sendXml(r, 200, doc, { 'x-amz-version-id': version });
  r.res.end(doc.replace(/^<\?xml[^>]*>\n/, ''));
}

export async function abortMultipartUpload(ctx: S3Context, r: S3Request): Promise<void> {
  const key = keyOf(r);
  await bucketFor(ctx, r, 'put', key);
  await ctx.multipart.abort(uploadIdOf(r), r.bucket!, key);
  sendEmpty(r, 204);
}

function intParam(r: S3Request, name: string, dflt: number, max: number): number {
  const v = r.query.get(name);
  if (v === undefined) return dflt;
  if (!/^\d{1,10}$/.test(v)) throw new S3Error('InvalidArgument', `${name} must be a non-negative integer`, { ArgumentName: name });
  return Math.min(max, Number(v));
}

function owner(ctx: S3Context, name: string): XmlNode {
  return [name, [['ID', ctx.config.keys.evm.address], ['DisplayName', 'ddc']]];
}

export async function listParts(ctx: S3Context, r: S3Request): Promise<void> {
  const key = keyOf(r);
  const uploadId = uploadIdOf(r);
  const named = await bucketFor(ctx, r, 'put', key);
  await ctx.multipart.get(uploadId, named.name, key);
  const maxParts = intParam(r, 'max-parts', 1000, 1000);
  const marker = intParam(r, 'part-number-marker', 0, 10_000);
  const all = (await ctx.multipart.parts(uploadId)).filter((p) => p.partNumber > marker);
  const shown = all.slice(0, maxParts);
  const truncated = all.length > shown.length;
  sendXml(r, 200, xmlDocument('ListPartsResult', [
    ['Bucket', named.name], ['Key', key], ['UploadId', uploadId],
    owner(ctx, 'Initiator'), owner(ctx, 'Owner'), ['StorageClass', 'STANDARD'],
    ['PartNumberMarker', marker],
    ['NextPartNumberMarker', shown.length ? shown[shown.length - 1]!.partNumber : marker],
    ['MaxParts', maxParts], ['IsTruncated', truncated],
    ...shown.map((p): XmlNode => ['Part', [['PartNumber', p.partNumber], ['LastModified', p.lastModified], ['ETag', `"${p.etag}"`], ['Size', p.size]]]),
  ]));
}

export async function listMultipartUploads(ctx: S3Context, r: S3Request): Promise<void> {
  const named = await bucketFor(ctx, r, 'list');
  const prefix = r.query.get('prefix') ?? '';
  const delimiter = r.query.get('delimiter') ?? '';
  const keyMarker = r.query.get('key-marker') ?? '';
  const idMarker = r.query.get('upload-id-marker') ?? '';
  const maxUploads = intParam(r, 'max-uploads', 1000, 1000);
  const all = (await ctx.multipart.list(named.name)).filter((u) => u.key.startsWith(prefix));
  // After the marker: keys past key-marker, and for key-marker itself the uploads after upload-id-marker.
  const at = idMarker === '' ? -1 : all.findIndex((u) => u.key === keyMarker && u.uploadId === idMarker);
  const uploads = all.filter((u, i) => u.key > keyMarker || (at >= 0 && u.key === keyMarker && i > at));
  const items: XmlChildren = [];
  const prefixes = new Set<string>();
  let count = 0;
  let last: { key: string; uploadId: string } | undefined;
  let truncated = false;
  for (const u of uploads) {
    if (delimiter !== '') {
      const i = u.key.indexOf(delimiter, prefix.length);
      if (i >= 0) {
        const cp = u.key.slice(0, i + delimiter.length);
        if (!prefixes.has(cp)) {
          if (count >= maxUploads) { truncated = true; break; }
          prefixes.add(cp);
          count++;
        }
        last = { key: u.key, uploadId: u.uploadId };
        continue;
      }
    }
    if (count >= maxUploads) { truncated = true; break; }
    items.push(['Upload', [['Key', u.key], ['UploadId', u.uploadId], owner(ctx, 'Initiator'), owner(ctx, 'Owner'), ['StorageClass', 'STANDARD'], ['Initiated', isoTime(Date.parse(u.initiated))]]]);
    count++;
    last = { key: u.key, uploadId: u.uploadId };
  }
  sendXml(r, 200, xmlDocument('ListMultipartUploadsResult', [
    ['Bucket', named.name], ['KeyMarker', keyMarker], ['UploadIdMarker', idMarker],
    truncated && last !== undefined && ['NextKeyMarker', last.key],
    truncated && last !== undefined && ['NextUploadIdMarker', last.uploadId],
    ['Prefix', prefix], delimiter !== '' && ['Delimiter', delimiter],
    ['MaxUploads', maxUploads], ['IsTruncated', truncated],
    ...items,
    ...[...prefixes].map((p): XmlNode => ['CommonPrefixes', [['Prefix', p]]]),
  ]));
}
