/**
 * The S3 API's entry: `handleS3(req, res, ctx)` parses the request (path-style or
 * virtual-host-style), checks its SigV4 signature (header or presigned), finds the operation
 * from method, path and query, runs it, and answers any failure as an S3 error document.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { authenticate, header } from '../auth/sigv4.js';
import { bucketLocation, bucketVersioning, createBucketOp, deleteBucketOp, headBucket, listBuckets } from './buckets.js';
import type { S3Context } from './context.js';
import { deleteObjects } from './delete-objects.js';
import { S3Error } from './errors.js';
import { listObjectsV1, listObjectsV2 } from './list.js';
import {
  abortMultipartUpload, completeMultipartUpload, createMultipartUpload, listMultipartUploads, listParts, uploadPart, uploadPartCopy,
} from './multipart/ops.js';
import { copyObject, deleteObject, getObject, putObject } from './objects.js';
import { hostName, parseS3Request, sendError, type S3Request } from './request.js';

/** Sub-resources of S3 this gateway does not implement: NotImplemented rather than a wrong answer. */
const UNSUPPORTED = [
  'acl', 'policy', 'policyStatus', 'cors', 'lifecycle', 'tagging', 'website', 'logging', 'notification', 'replication', 'encryption',
  'object-lock', 'retention', 'legal-hold', 'torrent', 'restore', 'select', 'accelerate', 'analytics', 'inventory', 'metrics',
  'ownershipControls', 'publicAccessBlock', 'requestPayment', 'intelligent-tiering', 'attributes', 'versions', 'session',
];

function accessKeyIdOf(r: S3Request): string | undefined {
  const auth = header(r, 'authorization');
  const cred = auth !== undefined ? /Credential=([^/,\s]+)\//.exec(auth)?.[1] : r.query.get('X-Amz-Credential')?.split('/')[0];
  return cred || undefined;
}

async function authenticateRequest(ctx: S3Context, r: S3Request): Promise<void> {
  const id = accessKeyIdOf(r);
  // A key made by `ddc gateway keys create` while the gateway runs is found on its first use.
  if (id !== undefined && !ctx.accessKeys.get(id)) await ctx.accessKeys.reloadIfStale();
  r.auth = authenticate(r, (akid) => ctx.accessKeys.get(akid)?.secretAccessKey, ctx.now());
  r.accessKey = r.auth ? ctx.accessKeys.get(r.auth.accessKeyId)! : null;
}

function notImplemented(what: string): S3Error {
  return new S3Error('NotImplemented', `A header or query you provided implies functionality that is not implemented: ${what}`);
}

async function dispatch(ctx: S3Context, r: S3Request): Promise<void> {
  const q = r.query;
  const unsupported = UNSUPPORTED.find((s) => q.has(s));
  if (unsupported) throw notImplemented(`?${unsupported}`);
  const m = r.method;
  if (r.bucket === undefined) {
    if (m === 'GET') return listBuckets(ctx, r);
    throw new S3Error('MethodNotAllowed', `The specified method ${m} is not allowed against the service`);
  }
  if (r.key === undefined) {
    switch (m) {
      case 'GET':
        if (q.has('location')) return bucketLocation(ctx, r);
        if (q.has('versioning')) return bucketVersioning(ctx, r);
        if (q.has('uploads')) return listMultipartUploads(ctx, r);
        if (q.get('list-type') === '2') return listObjectsV2(ctx, r);
        return listObjectsV1(ctx, r);
      case 'HEAD':
        return headBucket(ctx, r);
      case 'PUT':
        if (q.has('versioning')) throw notImplemented('changing versioning (DDC keeps every version)');
        return createBucketOp(ctx, r);
      case 'DELETE':
        return deleteBucketOp(ctx, r);
      case 'POST':
        if (q.has('delete')) return deleteObjects(ctx, r);
        throw notImplemented('POST on a bucket (browser form uploads)');
    }
    throw new S3Error('MethodNotAllowed', `The specified method ${m} is not allowed against a bucket`);
  }
  const copy = header(r, 'x-amz-copy-source') !== undefined;
  switch (m) {
    case 'GET':
      if (q.has('uploadId')) return listParts(ctx, r);
      return getObject(ctx, r);
    case 'HEAD':
      return getObject(ctx, r);
    case 'PUT':
      if (q.has('uploadId') || q.has('partNumber')) return copy ? uploadPartCopy(ctx, r) : uploadPart(ctx, r);
      return copy ? copyObject(ctx, r) : putObject(ctx, r);
    case 'DELETE':
      if (q.has('uploadId')) return abortMultipartUpload(ctx, r);
      return deleteObject(ctx, r);
    case 'POST':
      if (q.has('uploads')) return createMultipartUpload(ctx, r);
      if (q.has('uploadId')) return completeMultipartUpload(ctx, r);
      throw notImplemented('POST on an object (SelectObjectContent, RestoreObject)');
  }
  throw new S3Error('MethodNotAllowed', `The specified method ${m} is not allowed against an object`);
}

export const DEFAULT_VIRTUAL_HOST_BASES: readonly string[] = ['localhost'];

/** Host names that carry the bucket in front of them (virtual-host style). */
function virtualHostBases(ctx: S3Context): readonly string[] {
  return ctx.config.virtualHostBases ?? DEFAULT_VIRTUAL_HOST_BASES;
}

/** True when the request's Host is `<bucket>.<base>`: S3, whatever its path. */
export function isVirtualHostRequest(req: IncomingMessage, bases: readonly string[] = DEFAULT_VIRTUAL_HOST_BASES): boolean {
  const host = hostName(req.headers.host);
  return bases.some((b) => host.length > b.length + 1 && host.endsWith(`.${b}`));
}

/** Answers one S3 request; never throws (failures become S3 error documents). */
export async function handleS3(req: IncomingMessage, res: ServerResponse, ctx: S3Context): Promise<void> {
  let r: S3Request | undefined;
  try {
    r = parseS3Request(req, res, virtualHostBases(ctx));
    await authenticateRequest(ctx, r);
    await dispatch(ctx, r);
  } catch (e) {
    sendError(r ?? { req, res, requestId: randomBytes(8).toString('hex').toUpperCase(), method: req.method ?? 'GET', resource: (req.url ?? '/').split('?')[0]! }, e);
  }
}

