/**
 * S3 object metadata in DDC records. User metadata (x-amz-meta-NAME) is kept under NAME, so
 * SDK users and S3 users see the same names; what S3 keeps besides is kept under `s3-…`
 * names: the ETag, the part count of a multipart object, and the stored HTTP headers
 * (Cache-Control, Content-Disposition, Content-Encoding, Content-Language, Expires).
 *
 * ETag rules: MD5 of the bytes for a single put (hex), MD5 of the parts' binary MD5s with
 * `-N` for a multipart upload of N parts; an object written through the SDK (no s3-etag)
 * has its CID as ETag, which identifies its bytes as well.
 */
import { createHash } from 'node:crypto';
import { MAX_METADATA_BYTES, type ObjectRecord } from '@ddc/core';
import { header } from '../auth/sigv4.js';
import { S3Error } from './errors.js';

export const ETAG_META = 's3-etag';
export const PARTS_META = 's3-parts';
/** HTTP headers S3 stores with an object and returns on reads. */
export const STORED_HEADERS = ['cache-control', 'content-disposition', 'content-encoding', 'content-language', 'expires'] as const;
const META_NAME = /^[a-z0-9][a-z0-9._-]{0,127}$/;
const RESERVED = 's3-';

export interface ObjectMeta {
  contentType: string | undefined;
  metadata: Record<string, string>;
}

/** RFC 2047 "encoded word" for values that are not printable ASCII (as S3 returns them). */
function headerValue(v: string): string {
  return /^[\x20-\x7e]*$/.test(v) ? v : `=?UTF-8?B?${Buffer.from(v, 'utf8').toString('base64')}?=`;
}

/** A header value as the client meant it: RFC 2047 base64 words decoded, raw UTF-8 bytes (which Node reads as latin1) decoded. */
function decodeHeaderText(v: string): string {
  const m = /^=\?UTF-8\?B\?([A-Za-z0-9+/=]*)\?=$/i.exec(v.trim());
  if (m) return Buffer.from(m[1]!, 'base64').toString('utf8');
  if (/^[\x00-\x7f]*$/.test(v)) return v;
  const utf8 = Buffer.from(v, 'latin1').toString('utf8');
  return utf8.includes('\ufffd') ? v : utf8;
}

/** Content type and metadata of a put, from its headers (x-amz-meta-*, Content-Type, stored headers). */
export function metaFromHeaders(headers: Map<string, string[]>): ObjectMeta {
  const metadata: Record<string, string> = {};
  for (const [name, values] of headers) {
    if (!name.startsWith('x-amz-meta-')) continue;
    const n = name.slice('x-amz-meta-'.length);
    if (!META_NAME.test(n)) throw new S3Error('InvalidArgument', `x-amz-meta-${n}: metadata names must be 1-128 of a-z 0-9 . _ - and start with a letter or digit`, { ArgumentName: name });
    if (n.startsWith(RESERVED)) throw new S3Error('InvalidArgument', `x-amz-meta-${n}: names starting with ${RESERVED} are reserved by the gateway`, { ArgumentName: name });
    metadata[n] = decodeHeaderText(values.join(','));
  }
  for (const h of STORED_HEADERS) {
    let v = header({ headers }, h);
    if (h === 'content-encoding' && v !== undefined) {
      // aws-chunked is the transfer of this request, not a property of the object.
      v = v.split(',').map((s) => s.trim()).filter((s) => s !== '' && s.toLowerCase() !== 'aws-chunked').join(', ');
      if (v === '') v = undefined;
    }
    if (v !== undefined) metadata[`${RESERVED}${h}`] = v;
  }
  const contentType = header({ headers }, 'content-type');
  checkMetaSize(metadata);
  return { contentType: contentType?.trim() || undefined, metadata };
}

export function checkMetaSize(metadata: Record<string, string>): void {
  let n = 0;
  for (const [k, v] of Object.entries(metadata)) n += Buffer.byteLength(k) + Buffer.byteLength(v);
  // Room is kept for the gateway's own s3-etag and s3-parts.
  if (n > MAX_METADATA_BYTES - 64) {
    throw new S3Error('MetadataTooLarge', `Your metadata headers exceed the maximum allowed metadata size: ${n} bytes, at most ${MAX_METADATA_BYTES - 64}`, { Size: String(n), MaxSizeAllowed: String(MAX_METADATA_BYTES - 64) });
  }
}

/** The ETag of a record, without quotes. */
export function etagOf(r: { metadata: Record<string, string>; cid: string | null }): string {
  return r.metadata[ETAG_META] ?? r.cid ?? '';
}

export function quotedEtag(r: { metadata: Record<string, string>; cid: string | null }): string {
  return `"${etagOf(r)}"`;
}

/** The ETag of a multipart object: MD5 of the concatenated binary MD5s of its parts, then -N. */
export function multipartEtag(partMd5Hex: readonly string[]): string {
  const md5 = createHash('md5');
  for (const p of partMd5Hex) md5.update(Buffer.from(p, 'hex'));
  return `${md5.digest('hex')}-${partMd5Hex.length}`;
}

/** Headers a GET or HEAD answers with, from the record. */
export function objectHeaders(r: ObjectRecord): Record<string, string> {
  const out: Record<string, string> = {
    ETag: quotedEtag(r),
    'Last-Modified': new Date(r.time).toUTCString(),
    'Content-Type': r.contentType,
    'Accept-Ranges': 'bytes',
    'x-amz-version-id': r.version,
  };
  for (const [k, v] of Object.entries(r.metadata)) {
    if (k.startsWith(RESERVED)) {
      const h = k.slice(RESERVED.length);
      if ((STORED_HEADERS as readonly string[]).includes(h)) out[h] = headerValue(v);
      else if (k === PARTS_META) out['x-amz-mp-parts-count'] = v;
      continue;
    }
    out[`x-amz-meta-${k}`] = headerValue(v);
  }
  return out;
}

/** The user metadata of a record (what S3 calls Metadata), without the gateway's own names. */
export function userMetadata(r: { metadata: Record<string, string> }): Record<string, string> {
  return Object.fromEntries(Object.entries(r.metadata).filter(([k]) => !k.startsWith(RESERVED)));
}
