/**
 * Which DDC bucket a request may act on, and may it: the access key must name the bucket
 * (or `*`), a key's token must allow the operation, and anonymous requests may only read
 * public buckets. Nodes check the token chain again on every DDC request; checking here
 * first answers AccessDenied before any bytes move (multipart parts are staged locally).
 */
import { DdcError, type TokenOp } from '@ddc/core';
import type { AccessKey } from '../keys/store.js';
import type { NamedBucket } from './bucket-names.js';
import type { S3Context } from './context.js';
import { S3Error } from './errors.js';

export function keyMayUse(key: AccessKey, bucket: string): boolean {
  return key.buckets.includes('*') || key.buckets.includes(bucket);
}

function denied(why: string, bucket: string): S3Error {
  return new S3Error('AccessDenied', `Access Denied: ${why}`, { BucketName: bucket });
}

/** The named bucket if the request's key may do `op` on it (and on `objectKey`). */
export async function bucketFor(ctx: S3Context, r: { bucket: string | undefined; accessKey: AccessKey | null }, op: TokenOp, objectKey?: string, bucketName?: string): Promise<NamedBucket> {
  const name = bucketName ?? r.bucket;
  if (name === undefined) throw new S3Error('InvalidRequest', 'This operation needs a bucket');
  const key = r.accessKey;
  if (key && !keyMayUse(key, name)) throw denied(`access key ${key.accessKeyId} is not for bucket ${name}`, name);
  let named = ctx.buckets.get(name);
  if (!named) {
    await ctx.buckets.reloadIfStale();
    named = ctx.buckets.get(name);
  }
  // A key holding a token for a bucket the gateway has no name for names it (the token says which bucket).
  const keyToken = key ? ctx.tokenOf(key) : undefined;
  if (!named && key && keyToken && key.buckets[0] === name) named = await ctx.buckets.set(name, keyToken.bucket);
  if (!named) throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', { BucketName: name });
  if (!key) {
    if (op !== 'get' && op !== 'list') throw denied('anonymous requests may only read public buckets; sign the request with an access key', name);
    // Without a ledger the gateway cannot tell a public bucket: anonymous requests are refused.
    if (!ctx.config.ledger || !(await ctx.handle(named, null).isPublic())) throw denied('the bucket is private; sign the request with an access key', name);
    return named;
  }
  const token = keyToken;
  if (token) {
    if (token.bucket !== named.id) throw denied(`the key's token is for DDC bucket ${token.bucket}, not ${named.id}`, name);
    if (!token.ops.includes(op)) throw denied(`the key's token allows ${token.ops.join(', ')}, not ${op}`, name);
    if (objectKey !== undefined && !objectKey.startsWith(token.prefix)) throw denied(`the key's token covers keys under ${JSON.stringify(token.prefix)} only`, name);
    if (token.expiry * 1000 <= ctx.now()) throw denied(`the key's token expired at ${new Date(token.expiry * 1000).toISOString()}`, name);
  }
  return named;
}

/** Refuses keys DDC records cannot hold (S3: at most 1024 UTF-8 bytes). */
export function checkKey(key: string): void {
  const n = Buffer.byteLength(key, 'utf8');
  if (n > 1024) throw new S3Error('KeyTooLongError', `Your key is too long: ${n} bytes, at most 1024`, { Size: String(n), MaxSizeAllowed: '1024' });
  if (key.includes('\0')) throw new S3Error('InvalidArgument', 'Object keys may not contain NUL (U+0000)', { ArgumentName: 'key' });
}

export function isDdc(e: unknown, code: string): boolean {
  return e instanceof DdcError && e.code === code;
}
