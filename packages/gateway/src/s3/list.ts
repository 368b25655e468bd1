/**
 * ListObjectsV2 and ListObjects (v1) over the SDK's listing: prefix, delimiter, max-keys,
 * continuation (V2: an opaque token holding the last key or prefix returned; v1: marker and
 * NextMarker), start-after, and encoding-type=url.
 */
import { bucketFor } from './access.js';
import type { S3Context } from './context.js';
import { S3Error } from './errors.js';
import { etagOf } from './metadata.js';
import { isoTime, sendXml, type S3Request } from './request.js';
import { uriEncode } from '../auth/sigv4.js';
import { xmlDocument, type XmlChildren, type XmlNode } from './xml.js';

const MAX_KEYS = 1000;

function maxKeysOf(r: S3Request): number {
  const v = r.query.get('max-keys');
  if (v === undefined) return MAX_KEYS;
  if (!/^\d{1,10}$/.test(v)) throw new S3Error('InvalidArgument', `max-keys ${JSON.stringify(v.slice(0, 20))} must be a non-negative integer`, { ArgumentName: 'max-keys' });
  return Math.min(MAX_KEYS, Number(v));
}

function encoder(r: S3Request): (s: string) => string {
  const t = r.query.get('encoding-type');
  if (t === undefined) return (s) => s;
  if (t !== 'url') throw new S3Error('InvalidArgument', `Invalid Encoding Method specified in Request: ${JSON.stringify(t.slice(0, 20))} (only url)`, { ArgumentName: 'encoding-type' });
  return (s) => uriEncode(s, true);
}

export function encodeContinuation(after: string): string {
  return Buffer.from(`k:${after}`, 'utf8').toString('base64url');
}

export function decodeContinuation(token: string): string {
  const text = /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : '';
  if (!text.startsWith('k:')) throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', { ArgumentName: 'continuation-token' });
  return text.slice(2);
}

interface Page {
  objects: { key: string; size: number; time: number; cid: string; metadata?: Record<string, string> }[];
  commonPrefixes: string[];
  next: string | null;
}

async function page(ctx: S3Context, r: S3Request, prefix: string, delimiter: string, maxKeys: number, after: string | null): Promise<Page> {
  const named = await bucketFor(ctx, r, 'list', prefix);
  if (maxKeys === 0) return { objects: [], commonPrefixes: [], next: null };
  const res = await ctx.handle(named, r.accessKey).list({ prefix, delimiter, maxKeys, continuationToken: after });
  return { objects: res.objects, commonPrefixes: res.commonPrefixes, next: res.isTruncated ? res.nextContinuationToken : null };
}

function contents(p: Page, enc: (s: string) => string, owner: XmlNode | undefined): XmlChildren {
  const out: XmlChildren = p.objects.map((o): XmlNode => ['Contents', [
    ['Key', enc(o.key)],
    ['LastModified', isoTime(o.time)],
    ['ETag', `"${etagOf({ metadata: o.metadata ?? {}, cid: o.cid })}"`],
    ['Size', o.size],
    owner,
    ['StorageClass', 'STANDARD'],
  ]]);
  for (const cp of p.commonPrefixes) out.push(['CommonPrefixes', [['Prefix', enc(cp)]]]);
  return out;
}

function ownerNode(ctx: S3Context): XmlNode {
  return ['Owner', [['ID', ctx.config.keys.evm.address], ['DisplayName', 'ddc']]];
}

export async function listObjectsV2(ctx: S3Context, r: S3Request): Promise<void> {
  const prefix = r.query.get('prefix') ?? '';
  const delimiter = r.query.get('delimiter') ?? '';
  const maxKeys = maxKeysOf(r);
  const token = r.query.get('continuation-token');
  const startAfter = r.query.get('start-after');
  const after = token !== undefined ? decodeContinuation(token) : startAfter || null;
  const p = await page(ctx, r, prefix, delimiter, maxKeys, after);
  const enc = encoder(r);
  const owner = r.query.get('fetch-owner') === 'true' ? ownerNode(ctx) : undefined;
  sendXml(r, 200, xmlDocument('ListBucketResult', [
    ['Name', r.bucket!],
    ['Prefix', enc(prefix)],
    delimiter !== '' && ['Delimiter', enc(delimiter)],
    ['MaxKeys', maxKeys],
    ['KeyCount', p.objects.length + p.commonPrefixes.length],
    ['IsTruncated', p.next !== null],
    token !== undefined && ['ContinuationToken', token],
    p.next !== null && ['NextContinuationToken', encodeContinuation(p.next)],
    startAfter !== undefined && ['StartAfter', enc(startAfter)],
    r.query.has('encoding-type') && ['EncodingType', 'url'],
    ...contents(p, enc, owner),
  ]));
}

export async function listObjectsV1(ctx: S3Context, r: S3Request): Promise<void> {
  const prefix = r.query.get('prefix') ?? '';
  const delimiter = r.query.get('delimiter') ?? '';
  const maxKeys = maxKeysOf(r);
  const marker = r.query.get('marker') ?? '';
  const p = await page(ctx, r, prefix, delimiter, maxKeys, marker || null);
  const enc = encoder(r);
  sendXml(r, 200, xmlDocument('ListBucketResult', [
    ['Name', r.bucket!],
    ['Prefix', enc(prefix)],
    ['Marker', enc(marker)],
    delimiter !== '' && ['Delimiter', enc(delimiter)],
    ['MaxKeys', maxKeys],
    ['IsTruncated', p.next !== null],
    p.next !== null && ['NextMarker', enc(p.next)],
    r.query.has('encoding-type') && ['EncodingType', 'url'],
    ...contents(p, enc, ownerNode(ctx)),
  ]));
}
