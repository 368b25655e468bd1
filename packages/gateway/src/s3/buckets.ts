/**
 * Bucket operations: ListBuckets, CreateBucket (a new DDC bucket on the ledger, owned by the
 * gateway's account, named in s3-buckets.json), DeleteBucket (empty buckets only), HeadBucket,
 * GetBucketLocation and GetBucketVersioning.
 */
import { createBucket, removeBucket } from '@ddc/ledger';
import { header } from '../auth/sigv4.js';
import { bucketFor, keyMayUse } from './access.js';
import { checkBucketName } from './bucket-names.js';
import type { S3Context } from './context.js';
import { S3Error } from './errors.js';
import { isoTime, sendEmpty, sendXml, type S3Request } from './request.js';
import { readTextBody } from './xml-body.js';
import { parseXmlBody, xmlDocument } from './xml.js';

export async function listBuckets(ctx: S3Context, r: S3Request): Promise<void> {
  const key = r.accessKey;
  if (!key) throw new S3Error('AccessDenied', 'Access Denied: listing buckets needs a signed request');
  await ctx.buckets.reloadIfStale();
  const visible = ctx.buckets.list().filter((b) => keyMayUse(key, b.name));
  sendXml(r, 200, xmlDocument('ListAllMyBucketsResult', [
    ['Owner', [['ID', ctx.config.keys.evm.address], ['DisplayName', 'ddc']]],
    ['Buckets', visible.map((b) => ['Bucket', [['Name', b.name], ['CreationDate', isoTime(Date.parse(b.created))]]])],
  ]));
}

const creating = new Map<string, Promise<unknown>>();

export async function createBucketOp(ctx: S3Context, r: S3Request): Promise<void> {
  const name = r.bucket!;
  const key = r.accessKey;
  if (!key) throw new S3Error('AccessDenied', 'Access Denied: creating a bucket needs a signed request');
  if (key.token !== undefined) throw new S3Error('AccessDenied', `Access Denied: access key ${key.accessKeyId} acts with a token for one bucket and cannot create buckets`);
  if (!keyMayUse(key, name)) throw new S3Error('AccessDenied', `Access Denied: access key ${key.accessKeyId} is not for bucket ${name}`, { BucketName: name });
  checkBucketName(name);
  const text = await readTextBody(ctx, r);
  if (text.trim() !== '') parseXmlBody(text, 'CreateBucketConfiguration');
  const acl = (header(r, 'x-amz-acl') ?? 'private').trim();
  if (!['private', 'public-read', 'public-read-write', 'authenticated-read'].includes(acl)) throw new S3Error('InvalidArgument', `x-amz-acl ${JSON.stringify(acl.slice(0, 40))}: use private or public-read`, { ArgumentName: 'x-amz-acl' });
  const isPublic = acl === 'public-read' || acl === 'public-read-write';
  const ledger = ctx.config.ledger;
  const clusterId = ctx.config.clusterId;
  if (!ledger?.walletClient || clusterId === undefined) {
    throw new S3Error('NotImplemented', 'This gateway cannot create DDC buckets (it has no ledger account or cluster): create one with `ddc bucket create` and name it with `ddc gateway keys create --bucket NAME --bucket-id ID`');
  }
  // One creation per name at a time: a second request waits, then finds the name taken.
  while (creating.has(name)) await creating.get(name)!.catch(() => {});
  const job = (async () => {
    await ctx.buckets.reload();
    if (ctx.buckets.get(name)) throw new S3Error('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', { BucketName: name });
    const { bucketId } = await createBucket(ledger, { clusterId, isPublic });
    await ctx.buckets.set(name, Number(bucketId));
  })();
  creating.set(name, job);
  try {
    await job;
  } finally {
    creating.delete(name);
  }
  sendEmpty(r, 200, { Location: `/${name}` });
}

export async function deleteBucketOp(ctx: S3Context, r: S3Request): Promise<void> {
  const name = r.bucket!;
  const named = await bucketFor(ctx, r, 'admin');
  if (r.accessKey?.token !== undefined) throw new S3Error('AccessDenied', `Access Denied: access key ${r.accessKey.accessKeyId} acts with a token and cannot delete the bucket`, { BucketName: name });
  const handle = ctx.handle(named, r.accessKey);
  const page = await handle.list({ maxKeys: 1 });
  if (page.objects.length > 0 || page.commonPrefixes.length > 0) throw new S3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty', { BucketName: name });
  for (const u of await ctx.multipart.list(name)) await ctx.multipart.abort(u.uploadId, name, u.key);
  const ledger = ctx.config.ledger;
  if (ledger?.walletClient) await removeBucket(ledger, named.id);
  await ctx.buckets.remove(name);
  sendEmpty(r, 204);
}

export async function headBucket(ctx: S3Context, r: S3Request): Promise<void> {
  await bucketFor(ctx, r, 'list');
  sendEmpty(r, 200, { 'x-amz-bucket-region': ctx.region });
}

export async function bucketLocation(ctx: S3Context, r: S3Request): Promise<void> {
  await bucketFor(ctx, r, 'list');
  // us-east-1 is the empty constraint, as S3 answers.
  sendXml(r, 200, `<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${ctx.region === 'us-east-1' ? '' : ctx.region}</LocationConstraint>`);
}

export async function bucketVersioning(ctx: S3Context, r: S3Request): Promise<void> {
  await bucketFor(ctx, r, 'list');
  // DDC keeps every version (x-amz-version-id, ?versionId=).
  sendXml(r, 200, xmlDocument('VersioningConfiguration', [['Status', 'Enabled']]));
}
