/**
 * The S3 API end to end with the AWS SDK v3 (what S3 users run) against a real gateway on a
 * dev cluster and dev chain: every operation (buckets, objects, ranges, conditional reads,
 * copies, batch deletes, listings v1 and v2 with paging, multipart with lib-storage and by
 * hand, presigned URLs, path and virtual-host style), and bad input: each refusal has the S3
 * code a client expects, and no failed upload leaves anything visible.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand,
  DeleteBucketCommand, DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListBucketsCommand,
  ListMultipartUploadsCommand, ListObjectsCommand, ListObjectsV2Command, ListPartsCommand, PutObjectCommand, UploadPartCommand,
  UploadPartCopyCommand, type S3Client, type S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { DEV_MNEMONIC, importFileTo, issueRootToken, signDelegation, tokenToText } from '@ddc/core';
import { AccessKeyStore, type RunningGateway } from '@ddc/gateway';
import { startGatewayEnv, randomBytes, type GatewayEnv } from './cluster.js';
import { chunkSigner, md5Hex, s3Client, signedRequest, type Creds } from './s3-helpers.js';

const MiB = 1024 * 1024;
let env: GatewayEnv;
let gw: RunningGateway;
let creds: Creds;
let s3: S3Client;
/** Sends CRC32 checksums (headers and aws-chunked trailers), as the SDK does by default. */
let s3Checksums: S3Client;

before(async () => {
  env = await startGatewayEnv();
  // The dev identity: its ledger account is funded, so S3 CreateBucket can make DDC buckets.
  gw = await env.gateway({ identity: { mnemonic: DEV_MNEMONIC } });
  const keys = await AccessKeyStore.open(gw.config.dataDir);
  const key = await keys.create({ buckets: ['*'], createBuckets: true });
  creds = { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
  s3 = s3Client(gw.url, creds, { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  s3Checksums = s3Client(gw.url, creds);
});

after(async () => {
  s3?.destroy();
  s3Checksums?.destroy();
  await env?.close();
});

/** The S3 error code (and HTTP status) a command fails with. */
async function s3Error(p: Promise<unknown>): Promise<{ code: string; status: number | undefined }> {
  try {
    await p;
  } catch (e) {
    const err = e as S3ServiceException;
    return { code: err.name, status: err.$metadata?.httpStatusCode };
  }
  assert.fail('expected an S3 error');
}

async function bytesOf(s3c: S3Client, Bucket: string, Key: string, extra: Record<string, unknown> = {}): Promise<Buffer> {
  const r = await s3c.send(new GetObjectCommand({ Bucket, Key, ...extra }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

test('buckets: create (private and public-read), head, list, the same name again, a bad name, delete only when empty', async () => {
  await s3.send(new CreateBucketCommand({ Bucket: 'private-one' }));
  await s3.send(new CreateBucketCommand({ Bucket: 'public-one', ACL: 'public-read' }));
  await s3.send(new HeadBucketCommand({ Bucket: 'private-one' }));
  const listed = await s3.send(new ListBucketsCommand({}));
  assert.deepEqual(listed.Buckets?.map((b) => b.Name), ['private-one', 'public-one']);
  assert.deepEqual(await s3Error(s3.send(new CreateBucketCommand({ Bucket: 'private-one' }))), { code: 'BucketAlreadyOwnedByYou', status: 409 });
  assert.deepEqual(await s3Error(s3.send(new CreateBucketCommand({ Bucket: 'Bad_Name' }))), { code: 'InvalidBucketName', status: 400 });
  assert.deepEqual(await s3Error(s3.send(new HeadBucketCommand({ Bucket: 'nope-nope' }))), { code: 'NotFound', status: 404 });
  await s3.send(new CreateBucketCommand({ Bucket: 'short-lived' }));
  await s3.send(new PutObjectCommand({ Bucket: 'short-lived', Key: 'x', Body: 'x' }));
  assert.deepEqual(await s3Error(s3.send(new DeleteBucketCommand({ Bucket: 'short-lived' }))), { code: 'BucketNotEmpty', status: 409 });
  await s3.send(new DeleteObjectCommand({ Bucket: 'short-lived', Key: 'x' }));
  await s3.send(new DeleteBucketCommand({ Bucket: 'short-lived' }));
  assert.deepEqual(await s3Error(s3.send(new GetObjectCommand({ Bucket: 'short-lived', Key: 'x' }))), { code: 'NoSuchBucket', status: 404 });
});

test('objects: put (string, bytes, stream with checksums), get, head with ETag = MD5, metadata, content type and stored headers', async () => {
  const small = await s3.send(new PutObjectCommand({
    Bucket: 'private-one', Key: 'docs/hello.txt', Body: 'hello world', ContentType: 'text/plain; charset=utf-8',
    Metadata: { author: 'ana', note: 'naïve café' }, CacheControl: 'max-age=60', ContentDisposition: 'attachment; filename="h.txt"',
  }));
  assert.equal(small.ETag, `"${md5Hex('hello world')}"`);
  assert.match(small.VersionId!, /^[0-9a-f]{20}$/);
  const got = await s3.send(new GetObjectCommand({ Bucket: 'private-one', Key: 'docs/hello.txt' }));
  assert.equal(await got.Body!.transformToString(), 'hello world');
  assert.equal(got.ETag, small.ETag);
  assert.equal(got.ContentType, 'text/plain; charset=utf-8');
  assert.equal(got.ContentLength, 11);
  assert.deepEqual(got.Metadata, { author: 'ana', note: '=?UTF-8?B?bmHDr3ZlIGNhZsOp?=' });
  assert.equal(got.CacheControl, 'max-age=60');
  assert.equal(got.ContentDisposition, 'attachment; filename="h.txt"');
  assert.equal(got.VersionId, small.VersionId);

  // 3 MiB from a stream, with the SDK's default CRC32 checksums (aws-chunked with a trailer).
  const data = randomBytes(3 * MiB + 17);
  const streamed = await s3Checksums.send(new PutObjectCommand({ Bucket: 'private-one', Key: 'bin/three.bin', Body: Readable.from([data.subarray(0, MiB), data.subarray(MiB)]), ContentLength: data.length }));
  assert.equal(streamed.ETag, `"${md5Hex(data)}"`);
  const buffered = await s3Checksums.send(new PutObjectCommand({ Bucket: 'public-one', Key: 'bin/three.bin', Body: data }));
  assert.equal(buffered.ETag, streamed.ETag);
  assert.deepEqual(await bytesOf(s3Checksums, 'private-one', 'bin/three.bin'), Buffer.from(data));
  assert.deepEqual(await bytesOf(s3, 'public-one', 'bin/three.bin'), Buffer.from(data));
  const head = await s3.send(new HeadObjectCommand({ Bucket: 'private-one', Key: 'bin/three.bin' }));
  assert.equal(head.ContentLength, data.length);
  assert.equal(head.ETag, streamed.ETag);
  assert.equal(head.ContentType, 'application/octet-stream');
  const empty = await s3.send(new PutObjectCommand({ Bucket: 'private-one', Key: 'empty', Body: '' }));
  assert.equal(empty.ETag, `"${md5Hex('')}"`);
  assert.equal((await bytesOf(s3, 'private-one', 'empty')).length, 0);
  assert.deepEqual(await s3Error(s3.send(new GetObjectCommand({ Bucket: 'private-one', Key: 'missing' }))), { code: 'NoSuchKey', status: 404 });
  assert.deepEqual(await s3Error(s3.send(new HeadObjectCommand({ Bucket: 'private-one', Key: 'missing' }))), { code: 'NotFound', status: 404 });
});

test('ranges and conditional reads: 206 with Content-Range, suffix and open ranges, 416 InvalidRange, 304 and 412', async () => {
  const data = randomBytes(2 * MiB + 5);
  const put = await s3.send(new PutObjectCommand({ Bucket: 'private-one', Key: 'ranged.bin', Body: data }));
  const r1 = await s3.send(new GetObjectCommand({ Bucket: 'private-one', Key: 'ranged.bin', Range: 'bytes=1048570-1048600' }));
  assert.equal(r1.ContentRange, `bytes 1048570-1048600/${data.length}`);
  assert.equal(r1.$metadata.httpStatusCode, 206);
  assert.deepEqual(Buffer.from(await r1.Body!.transformToByteArray()), Buffer.from(data.subarray(1048570, 1048601)));
  assert.deepEqual(await bytesOf(s3, 'private-one', 'ranged.bin', { Range: 'bytes=-10' }), Buffer.from(data.subarray(data.length - 10)));
  assert.deepEqual(await bytesOf(s3, 'private-one', 'ranged.bin', { Range: `bytes=${data.length - 3}-` }), Buffer.from(data.subarray(data.length - 3)));
  assert.deepEqual(await bytesOf(s3, 'public-one', 'bin/three.bin', { Range: 'bytes=0-0' }), Buffer.from((await bytesOf(s3, 'public-one', 'bin/three.bin')).subarray(0, 1)));
  assert.deepEqual(await s3Error(s3.send(new GetObjectCommand({ Bucket: 'private-one', Key: 'ranged.bin', Range: `bytes=${data.length}-` }))), { code: 'InvalidRange', status: 416 });

  const etag = put.ETag!;
  // The SDK has no name for a 304: the status is what a client acts on.
  assert.equal((await s3Error(s3.send(new GetObjectCommand({ Bucket: 'private-one', Key: 'ranged.bin', IfNoneMatch: etag })))).status, 304);
  assert.deepEqual(await s3Error(s3.send(new GetObjectCommand({ Bucket: 'private-one', Key: 'ranged.bin', IfMatch: '"0123"' }))), { code: 'PreconditionFailed', status: 412 });
  assert.equal((await s3Error(s3.send(new GetObjectCommand({ Bucket: 'private-one', Key: 'ranged.bin', IfModifiedSince: new Date(Date.now() + 3600_000) })))).status, 304);
  assert.deepEqual(await s3Error(s3.send(new GetObjectCommand({ Bucket: 'private-one', Key: 'ranged.bin', IfUnmodifiedSince: new Date(Date.now() - 3600_000) }))), { code: 'PreconditionFailed', status: 412 });
  assert.equal((await bytesOf(s3, 'private-one', 'ranged.bin', { IfMatch: etag, IfModifiedSince: new Date(Date.now() - 3600_000) })).length, data.length);
  assert.equal((await s3.send(new HeadObjectCommand({ Bucket: 'private-one', Key: 'ranged.bin', IfNoneMatch: '"other"' }))).ETag, etag);
});

test('versions, delete (a marker), batch delete with a per-key report, and copies (same bucket, across buckets, metadata REPLACE)', async () => {
  const v1 = await s3.send(new PutObjectCommand({ Bucket: 'private-one', Key: 'ver.txt', Body: 'one' }));
  const v2 = await s3.send(new PutObjectCommand({ Bucket: 'private-one', Key: 'ver.txt', Body: 'two' }));
  assert.equal((await bytesOf(s3, 'private-one', 'ver.txt')).toString(), 'two');
  assert.equal((await bytesOf(s3, 'private-one', 'ver.txt', { VersionId: v1.VersionId })).toString(), 'one');
  const del = await s3.send(new DeleteObjectCommand({ Bucket: 'private-one', Key: 'ver.txt' }));
  assert.equal(del.DeleteMarker, true);
  assert.deepEqual(await s3Error(s3.send(new GetObjectCommand({ Bucket: 'private-one', Key: 'ver.txt' }))), { code: 'NoSuchKey', status: 404 });
  assert.equal((await bytesOf(s3, 'private-one', 'ver.txt', { VersionId: v2.VersionId })).toString(), 'two');

  const copy = await s3.send(new CopyObjectCommand({ Bucket: 'private-one', Key: 'docs/copy.txt', CopySource: 'private-one/docs/hello.txt' }));
  assert.equal(copy.CopyObjectResult?.ETag, `"${md5Hex('hello world')}"`);
  const c = await s3.send(new GetObjectCommand({ Bucket: 'private-one', Key: 'docs/copy.txt' }));
  assert.equal(await c.Body!.transformToString(), 'hello world');
  assert.deepEqual(c.Metadata, { author: 'ana', note: '=?UTF-8?B?bmHDr3ZlIGNhZsOp?=' });
  await s3.send(new CopyObjectCommand({ Bucket: 'public-one', Key: 'from-private.txt', CopySource: '/private-one/docs/hello.txt', MetadataDirective: 'REPLACE', ContentType: 'text/x-copied', Metadata: { fresh: 'yes' } }));
  const x = await s3.send(new GetObjectCommand({ Bucket: 'public-one', Key: 'from-private.txt' }));
  assert.equal(await x.Body!.transformToString(), 'hello world');
  assert.equal(x.ContentType, 'text/x-copied');
  assert.deepEqual(x.Metadata, { fresh: 'yes' });
  assert.equal(x.ETag, `"${md5Hex('hello world')}"`);
  assert.deepEqual(await s3Error(s3.send(new CopyObjectCommand({ Bucket: 'private-one', Key: 'docs/hello.txt', CopySource: 'private-one/docs/hello.txt' }))), { code: 'InvalidRequest', status: 400 });
  assert.deepEqual(await s3Error(s3.send(new CopyObjectCommand({ Bucket: 'private-one', Key: 'z', CopySource: 'private-one/nothing-here' }))), { code: 'NoSuchKey', status: 404 });

  for (const k of ['batch/a', 'batch/b', 'batch/c']) await s3.send(new PutObjectCommand({ Bucket: 'private-one', Key: k, Body: k }));
  const batch = await s3Checksums.send(new DeleteObjectsCommand({ Bucket: 'private-one', Delete: { Objects: [{ Key: 'batch/a' }, { Key: 'batch/b' }, { Key: 'batch/never' }, { Key: 'x'.repeat(1100) }] } }));
  assert.deepEqual(batch.Deleted?.map((d) => d.Key).sort(), ['batch/a', 'batch/b', 'batch/never']);
  assert.deepEqual(batch.Errors?.map((e) => e.Code), ['KeyTooLongError']);
  const left = await s3.send(new ListObjectsV2Command({ Bucket: 'private-one', Prefix: 'batch/' }));
  assert.deepEqual(left.Contents?.map((o) => o.Key), ['batch/c']);
});

test('listings: V2 and V1 with prefix, delimiter, max-keys and continuation are stable and complete; ETags match', async () => {
  const keys = Array.from({ length: 25 }, (_, i) => `list/${i % 3 === 0 ? 'sub/' : ''}k${String(i).padStart(2, '0')}`);
  await Promise.all(keys.map((k) => s3.send(new PutObjectCommand({ Bucket: 'public-one', Key: k, Body: k }))));
  const seen: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: 'public-one', Prefix: 'list/', MaxKeys: 7, ContinuationToken: token }));
    assert.ok((page.KeyCount ?? 0) <= 7);
    for (const o of page.Contents ?? []) {
      seen.push(o.Key!);
      assert.equal(o.ETag, `"${md5Hex(o.Key!)}"`, 'listing ETag is the MD5');
      assert.equal(o.Size, o.Key!.length);
    }
    token = page.NextContinuationToken;
    pages++;
  } while (token);
  assert.equal(pages, 4);
  assert.deepEqual(seen, [...keys].sort());
  const top = await s3.send(new ListObjectsV2Command({ Bucket: 'public-one', Prefix: 'list/', Delimiter: '/' }));
  assert.deepEqual(top.CommonPrefixes?.map((p) => p.Prefix), ['list/sub/']);
  assert.equal(top.Contents?.length, 16);
  const after = await s3.send(new ListObjectsV2Command({ Bucket: 'public-one', Prefix: 'list/', StartAfter: 'list/k23' }));
  assert.deepEqual(after.Contents?.map((o) => o.Key), keys.filter((k) => k.startsWith('list/sub/')).sort());
  const v1seen: string[] = [];
  let marker: string | undefined;
  for (;;) {
    const page = await s3.send(new ListObjectsCommand({ Bucket: 'public-one', Prefix: 'list/', MaxKeys: 10, Marker: marker }));
    v1seen.push(...(page.Contents ?? []).map((o) => o.Key!));
    if (!page.IsTruncated) break;
    marker = page.NextMarker ?? page.Contents!.at(-1)!.Key;
  }
  assert.deepEqual(v1seen, [...keys].sort());
  assert.deepEqual(await s3Error(s3.send(new ListObjectsV2Command({ Bucket: 'public-one', ContinuationToken: 'garbage!' }))), { code: 'InvalidArgument', status: 400 });
});

test('multipart with lib-storage: 12 MiB in 5 MiB parts, ETag md5-of-md5s-3, bytes intact', async () => {
  const data = randomBytes(12 * MiB + 3);
  const up = new Upload({ client: s3Checksums, params: { Bucket: 'private-one', Key: 'big/twelve.bin', Body: Readable.from([data]), ContentType: 'application/x-test' }, partSize: 5 * MiB, queueSize: 2 });
  const done = await up.done();
  const parts = [data.subarray(0, 5 * MiB), data.subarray(5 * MiB, 10 * MiB), data.subarray(10 * MiB)];
  const expected = `"${createHash('md5').update(Buffer.concat(parts.map((p) => createHash('md5').update(p).digest()))).digest('hex')}-3"`;
  assert.equal(done.ETag, expected);
  const got = await s3.send(new GetObjectCommand({ Bucket: 'private-one', Key: 'big/twelve.bin' }));
  assert.equal(got.ETag, expected);
  assert.equal(got.ContentType, 'application/x-test');
  assert.deepEqual(Buffer.from(await got.Body!.transformToByteArray()), Buffer.from(data));
});

/** The CID a single put of `bytes` gets (the IPFS importer's), to compare with what the gateway stored. */
async function cidOfBytes(bytes: Uint8Array): Promise<string> {
  return (await importFileTo([bytes], () => {})).cid.toString();
}

/** The CID the gateway stored `key` under: the plain HTTP read's ETag. */
async function storedCid(bucket: string, key: string): Promise<string> {
  const res = await fetch(`${gw.url}/ddc/${bucket}/${key}`, { method: 'HEAD' });
  assert.equal(res.status, 200);
  return res.headers.get('etag')!.replace(/"/g, '');
}

test('multipart into a public bucket: parts of whole MiBs compose into the CID of a single put; other sizes are read back and put again', async () => {
  const Bucket = 'public-one';
  const data = randomBytes(12 * MiB + 3);
  const up = new Upload({ client: s3Checksums, params: { Bucket, Key: 'big/composed.bin' , Body: Readable.from([data]) }, partSize: 5 * MiB, queueSize: 2 });
  const done = await up.done();
  assert.match(done.ETag!, /-3"$/);
  assert.deepEqual(await bytesOf(s3, Bucket, 'big/composed.bin'), Buffer.from(data));
  assert.equal(await storedCid(Bucket, 'big/composed.bin'), await cidOfBytes(data));

  // 5 MiB + 7 bytes is a legal part but not whole MiBs: the leaves do not line up, so the bytes are put again.
  const Key = 'big/uneven.bin';
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key }));
  const p1 = randomBytes(5 * MiB + 7);
  const p2 = randomBytes(100);
  const e1 = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: p1 }));
  const e2 = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 2, Body: p2 }));
  // A public bucket's parts went to DDC as they came: the gateway keeps only their leaves.
  const kept = (await readdir(join(gw.config.dataDir, 's3-multipart', UploadId!))).filter((n) => !n.endsWith('.json')).map((n) => n.replace(/^\d{5}-[0-9a-f]{12}/, ''));
  assert.deepEqual(kept, ['.leaves', '.leaves']);
  await s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1.ETag! }, { PartNumber: 2, ETag: e2.ETag! }] } }));
  const whole = Buffer.concat([p1, p2]);
  assert.deepEqual(await bytesOf(s3, Bucket, Key), whole);
  assert.equal(await storedCid(Bucket, Key), await cidOfBytes(whole));
});

test('bodies of 4 MiB and more are hashed off the request thread: every checksum algorithm passes when right and is refused when wrong', async () => {
  const data = randomBytes(5 * MiB + 11);
  for (const ChecksumAlgorithm of ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const) {
    const put = await s3Checksums.send(new PutObjectCommand({ Bucket: 'public-one', Key: `sums/${ChecksumAlgorithm}.bin`, Body: data, ChecksumAlgorithm }));
    assert.equal(put.ETag, `"${md5Hex(data)}"`, ChecksumAlgorithm);
    assert.deepEqual(await bytesOf(s3, 'public-one', `sums/${ChecksumAlgorithm}.bin`), Buffer.from(data));
  }
  // A signed payload (SHA-256 in the signature) with a wrong CRC-64/NVME header, then a payload that is not the signed one.
  const wrongSum = await signedRequest(gw.url, creds, { method: 'PUT', path: '/public-one/sums/wrong.bin', body: data, headers: { 'x-amz-checksum-crc64nvme': Buffer.alloc(8).toString('base64') } });
  assert.deepEqual([wrongSum.status, wrongSum.code], [400, 'BadDigest']);
  const wrongSha = await signedRequest(gw.url, creds, { method: 'PUT', path: '/public-one/sums/wrong.bin', body: data, contentSha256: createHash('sha256').update('other').digest('hex') });
  assert.deepEqual([wrongSha.status, wrongSha.code], [400, 'XAmzContentSHA256Mismatch']);
  assert.deepEqual(await s3Error(s3.send(new HeadObjectCommand({ Bucket: 'public-one', Key: 'sums/wrong.bin' }))), { code: 'NotFound', status: 404 });
});

test('multipart by hand: upload part, upload part copy with a range, list parts and uploads, complete; abort; every bad completion refused with nothing visible', async () => {
  const Bucket = 'public-one';
  const Key = 'mp/hand.bin';
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key, Metadata: { kind: 'hand' } }));
  const p1 = randomBytes(5 * MiB);
  const e1 = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 1, Body: p1 }));
  assert.equal(e1.ETag, `"${md5Hex(p1)}"`);
  const src = await bytesOf(s3, 'private-one', 'bin/three.bin');
  const e2 = await s3.send(new UploadPartCopyCommand({ Bucket, Key, UploadId, PartNumber: 2, CopySource: 'private-one/bin/three.bin', CopySourceRange: 'bytes=100-1099' }));
  assert.equal(e2.CopyPartResult?.ETag, `"${md5Hex(src.subarray(100, 1100))}"`);
  const parts = await s3.send(new ListPartsCommand({ Bucket, Key, UploadId }));
  assert.deepEqual(parts.Parts?.map((p) => [p.PartNumber, p.Size, p.ETag]), [[1, 5 * MiB, e1.ETag], [2, 1000, e2.CopyPartResult?.ETag]]);
  const uploads = await s3.send(new ListMultipartUploadsCommand({ Bucket }));
  assert.deepEqual(uploads.Uploads?.map((u) => [u.Key, u.UploadId]), [[Key, UploadId]]);

  const complete = (Parts: { PartNumber: number; ETag: string }[]) => s3.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts } }));
  assert.deepEqual(await s3Error(complete([{ PartNumber: 2, ETag: e2.CopyPartResult!.ETag! }, { PartNumber: 1, ETag: e1.ETag! }])), { code: 'InvalidPartOrder', status: 400 });
  assert.deepEqual(await s3Error(complete([{ PartNumber: 1, ETag: e1.ETag! }, { PartNumber: 3, ETag: e1.ETag! }])), { code: 'InvalidPart', status: 400 });
  assert.deepEqual(await s3Error(complete([{ PartNumber: 1, ETag: '"00000000000000000000000000000000"' }])), { code: 'InvalidPart', status: 400 });
  assert.deepEqual(await s3Error(complete([{ PartNumber: 1, ETag: e1.ETag! }, { PartNumber: 1, ETag: e1.ETag! }])), { code: 'InvalidPartOrder', status: 400 });
  // Part 2 (1000 bytes) is not the last here: too small.
  const p3 = randomBytes(10);
  const e3 = await s3.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: 3, Body: p3 }));
  assert.deepEqual(await s3Error(complete([{ PartNumber: 1, ETag: e1.ETag! }, { PartNumber: 2, ETag: e2.CopyPartResult!.ETag! }, { PartNumber: 3, ETag: e3.ETag! }])), { code: 'EntityTooSmall', status: 400 });
  assert.deepEqual(await s3Error(s3.send(new HeadObjectCommand({ Bucket, Key }))), { code: 'NotFound', status: 404 }, 'no failed completion made the object visible');

  const ok = await complete([{ PartNumber: 1, ETag: e1.ETag! }, { PartNumber: 2, ETag: e2.CopyPartResult!.ETag! }]);
  assert.match(ok.ETag!, /-2"$/);
  const got = await s3.send(new GetObjectCommand({ Bucket, Key }));
  assert.deepEqual(Buffer.from(await got.Body!.transformToByteArray()), Buffer.concat([p1, src.subarray(100, 1100)]));
  assert.deepEqual(got.Metadata, { kind: 'hand' });
  assert.equal(got.PartsCount, 2);
  assert.deepEqual(await s3Error(s3.send(new ListPartsCommand({ Bucket, Key, UploadId }))), { code: 'NoSuchUpload', status: 404 });

  const second = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key: 'mp/aborted.bin' }));
  await s3.send(new UploadPartCommand({ Bucket, Key: 'mp/aborted.bin', UploadId: second.UploadId, PartNumber: 1, Body: 'abc' }));
  await s3.send(new AbortMultipartUploadCommand({ Bucket, Key: 'mp/aborted.bin', UploadId: second.UploadId }));
  assert.deepEqual(await s3Error(s3.send(new UploadPartCommand({ Bucket, Key: 'mp/aborted.bin', UploadId: second.UploadId, PartNumber: 2, Body: 'x' }))), { code: 'NoSuchUpload', status: 404 });
  assert.deepEqual(await s3Error(s3.send(new CompleteMultipartUploadCommand({ Bucket, Key: 'mp/aborted.bin', UploadId: second.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: `"${md5Hex('abc')}"` }] } }))), { code: 'NoSuchUpload', status: 404 });
  assert.deepEqual(await s3Error(s3.send(new HeadObjectCommand({ Bucket, Key: 'mp/aborted.bin' }))), { code: 'NotFound', status: 404 });
  assert.deepEqual(await s3Error(s3.send(new UploadPartCommand({ Bucket, Key, UploadId: 'x'.repeat(32), PartNumber: 10001, Body: 'x' }))), { code: 'InvalidArgument', status: 400 });
});

test('presigned URLs: GET and PUT work with plain fetch; an expired or edited URL is refused', async () => {
  const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'private-one', Key: 'docs/hello.txt' }), { expiresIn: 60 });
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'hello world');
  const put = await getSignedUrl(s3, new PutObjectCommand({ Bucket: 'private-one', Key: 'presigned/up.txt' }), { expiresIn: 60 });
  assert.equal((await fetch(put, { method: 'PUT', body: 'sent by fetch' })).status, 200);
  assert.equal((await bytesOf(s3, 'private-one', 'presigned/up.txt')).toString(), 'sent by fetch');
  const edited = await fetch(url.replace('docs%2Fhello.txt', 'docs/hello.txt').replace('hello.txt', 'hello.txT'));
  assert.equal(edited.status, 403);
  assert.match(await edited.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
  const short = await getSignedUrl(s3, new GetObjectCommand({ Bucket: 'private-one', Key: 'docs/hello.txt' }), { expiresIn: 1 });
  await sleep(2100);
  const expired = await fetch(short);
  assert.equal(expired.status, 403);
  const text = await expired.text();
  assert.match(text, /<Code>AccessDenied<\/Code>/);
  assert.match(text, /Request has expired/);
  const week = await fetch(url.replace(/X-Amz-Expires=\d+/, 'X-Amz-Expires=604801'));
  assert.equal(week.status, 400);
  assert.match(await week.text(), /AuthorizationQueryParametersError/);
});

test('virtual-host style (bucket.localhost) reaches the same objects; anonymous reads only of public buckets', async () => {
  const port = new URL(gw.url).port;
  const vh = s3Client(`http://localhost:${port}`, creds, { forcePathStyle: false, requestChecksumCalculation: 'WHEN_REQUIRED' });
  try {
    assert.equal((await bytesOf(vh, 'private-one', 'docs/hello.txt')).toString(), 'hello world');
    await vh.send(new PutObjectCommand({ Bucket: 'public-one', Key: 'vh/one.txt', Body: 'virtual' }));
    assert.equal((await bytesOf(s3, 'public-one', 'vh/one.txt')).toString(), 'virtual');
  } finally {
    vh.destroy();
  }
  assert.equal(await (await fetch(`${gw.url}/public-one/vh/one.txt`)).text(), 'virtual');
  const denied = await fetch(`${gw.url}/private-one/docs/hello.txt`);
  assert.equal(denied.status, 403);
  assert.match(await denied.text(), /<Code>AccessDenied<\/Code>/);
  assert.equal((await fetch(`${gw.url}/public-one/anon.txt`, { method: 'PUT', body: 'x' })).status, 403);
});

test('bad signatures and bodies: wrong secret, unknown key, skewed clock, malformed XML, oversized part, bad chunk signature, bad payload hash, bad CRC32 trailer; nothing half-written is visible', async () => {
  const wrong = s3Client(gw.url, { ...creds, secretAccessKey: 'not-the-secret-not-the-secret' }, { requestChecksumCalculation: 'WHEN_REQUIRED' });
  const unknown = s3Client(gw.url, { accessKeyId: 'AKIDNOTKNOWNHERE0000', secretAccessKey: 'x'.repeat(40) });
  try {
    assert.deepEqual(await s3Error(wrong.send(new PutObjectCommand({ Bucket: 'private-one', Key: 'docs/hello.txt', Body: 'overwritten?' }))), { code: 'SignatureDoesNotMatch', status: 403 });
    assert.deepEqual(await s3Error(unknown.send(new ListObjectsV2Command({ Bucket: 'private-one' }))), { code: 'InvalidAccessKeyId', status: 403 });
  } finally {
    wrong.destroy();
    unknown.destroy();
  }
  const skewed = await signedRequest(gw.url, creds, { method: 'GET', path: '/private-one/docs/hello.txt', signingDate: new Date(Date.now() - 20 * 60_000) });
  assert.equal(skewed.code, 'RequestTimeTooSkewed');

  const bad = await signedRequest(gw.url, creds, { method: 'POST', path: '/private-one', query: { delete: '' }, body: '<Delete><Object><Key>docs/hello.txt</Key></Object>' });
  assert.deepEqual([bad.status, bad.code], [400, 'MalformedXML']);
  const entity = await signedRequest(gw.url, creds, { method: 'POST', path: '/private-one', query: { delete: '' }, body: '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "docs/hello.txt">]><Delete><Object><Key>&x;</Key></Object></Delete>' });
  assert.deepEqual([entity.status, entity.code], [400, 'MalformedXML']);
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'private-one', Key: 'mp/bad.bin' }));
  const badComplete = await signedRequest(gw.url, creds, { method: 'POST', path: '/private-one/mp/bad.bin', query: { uploadId: UploadId! }, body: '<CompleteMultipartUpload><Part><PartNumber>one</PartNumber></Part></CompleteMultipartUpload>' });
  assert.deepEqual([badComplete.status, badComplete.code], [400, 'MalformedXML']);
  const huge = await signedRequest(gw.url, creds, { method: 'PUT', path: '/private-one/mp/bad.bin', query: { partNumber: '1', uploadId: UploadId! }, declaredLength: 5 * 1024 ** 3 + 1, contentSha256: 'UNSIGNED-PAYLOAD' });
  assert.deepEqual([huge.status, huge.code], [400, 'EntityTooLarge']);
  const hugePut = await signedRequest(gw.url, creds, { method: 'PUT', path: '/private-one/huge.bin', declaredLength: 5 * 1024 ** 3 + 1, contentSha256: 'UNSIGNED-PAYLOAD' });
  assert.deepEqual([hugePut.status, hugePut.code], [400, 'EntityTooLarge']);
  assert.deepEqual((await s3.send(new ListPartsCommand({ Bucket: 'private-one', Key: 'mp/bad.bin', UploadId }))).Parts ?? [], []);

  // A payload whose SHA-256 is not the signed one: refused, the old version stays.
  const mismatch = await signedRequest(gw.url, creds, { method: 'PUT', path: '/private-one/docs/hello.txt', body: 'replaced!', contentSha256: createHash('sha256').update('something else').digest('hex') });
  assert.deepEqual([mismatch.status, mismatch.code], [400, 'XAmzContentSHA256Mismatch']);
  assert.equal((await bytesOf(s3, 'private-one', 'docs/hello.txt')).toString(), 'hello world');

  // aws-chunked: good chunks, then one with a wrong signature (after 2 MiB were already streamed).
  const payload = randomBytes(3 * MiB);
  const chunked = (corruptAt: number | null, trailer: 'none' | 'good' | 'bad') => (seed: string, date: string) => {
    const sign = chunkSigner(creds.secretAccessKey, date);
    const out: Buffer[] = [];
    let prev = seed;
    const pieces = [payload.subarray(0, MiB), payload.subarray(MiB, 2 * MiB), payload.subarray(2 * MiB), new Uint8Array(0)];
    pieces.forEach((p, i) => {
      const sig = sign.chunk(prev, p);
      prev = sig;
      out.push(Buffer.from(`${p.length.toString(16)};chunk-signature=${i === corruptAt ? '0'.repeat(64) : sig}\r\n`), Buffer.from(p), Buffer.from('\r\n'));
    });
    out.pop();
    if (trailer === 'none') out.push(Buffer.from('\r\n'));
    else {
      const crc = Buffer.alloc(4);
      crc.writeUInt32BE(trailer === 'good' ? crc32(payload) >>> 0 : 0);
      const line = `x-amz-checksum-crc32:${crc.toString('base64')}\n`;
      out.push(Buffer.from(line.replace('\n', '\r\n')), Buffer.from(`x-amz-trailer-signature:${sign.trailer(prev, line)}\r\n\r\n`));
    }
    return Buffer.concat(out);
  };
  const streaming = (mode: string, trailer: boolean) => ({
    'x-amz-content-sha256': mode, 'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': String(payload.length),
    ...(trailer ? { 'x-amz-trailer': 'x-amz-checksum-crc32' } : {}),
  });
  const good = await signedRequest(gw.url, creds, { method: 'PUT', path: '/private-one/chunked.bin', headers: streaming('STREAMING-AWS4-HMAC-SHA256-PAYLOAD', false), contentSha256: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', bodyFromSeed: chunked(null, 'none') });
  assert.equal(good.status, 200, good.body);
  assert.equal(good.headers.etag, `"${md5Hex(payload)}"`);
  assert.deepEqual(await bytesOf(s3, 'private-one', 'chunked.bin'), Buffer.from(payload));
  const goodTrailer = await signedRequest(gw.url, creds, { method: 'PUT', path: '/private-one/chunked-trailer.bin', headers: streaming('STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', true), contentSha256: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', bodyFromSeed: chunked(null, 'good') });
  assert.equal(goodTrailer.status, 200, goodTrailer.body);
  for (const [name, body, want] of [
    ['bad chunk signature', chunked(2, 'none'), 'SignatureDoesNotMatch'],
    ['bad final chunk signature', chunked(3, 'none'), 'SignatureDoesNotMatch'],
  ] as const) {
    const r = await signedRequest(gw.url, creds, { method: 'PUT', path: '/private-one/chunked.bin', headers: streaming('STREAMING-AWS4-HMAC-SHA256-PAYLOAD', false), contentSha256: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', bodyFromSeed: body });
    assert.equal(r.code, want, name);
  }
  const badCrc = await signedRequest(gw.url, creds, { method: 'PUT', path: '/private-one/chunked.bin', headers: streaming('STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', true), contentSha256: 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', bodyFromSeed: chunked(null, 'bad') });
  assert.equal(badCrc.code, 'BadDigest');
  // Every refused upload left the good version in place.
  const head = await s3.send(new HeadObjectCommand({ Bucket: 'private-one', Key: 'chunked.bin' }));
  assert.equal(head.ETag, `"${md5Hex(payload)}"`);
  assert.equal(head.VersionId, good.headers['x-amz-version-id']);
});

test('a key acting with a capability token for someone else\'s bucket: what the token allows works, the rest is AccessDenied', async () => {
  // A second gateway with its own (generated) identity; the dev identity owns a private bucket
  // and delegates get, list and put under shared/ to that gateway's key.
  const other = await env.gateway();
  const owner = env.owner;
  const bucket = await env.newBucket(false);
  const now = Math.floor(Date.now() / 1000);
  const delegation = signDelegation({ account: owner.evm.address, signingKey: owner.signing.publicKey, notBefore: now - 300, expiry: now + 3600, chainId: env.ledger.deployment.chainId }, owner.evm.privateKey);
  const token = issueRootToken({ signing: owner.signing, delegation, audience: other.keys.signing.publicKey, bucket, ops: ['get', 'list', 'put'], prefix: 'shared/', expiry: now + 3600 });
  const key = await (await AccessKeyStore.open(other.config.dataDir)).create({ buckets: ['theirs'], token: tokenToText(token) });
  const t = s3Client(other.url, { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey }, { requestChecksumCalculation: 'WHEN_REQUIRED' });
  try {
    const put = await t.send(new PutObjectCommand({ Bucket: 'theirs', Key: 'shared/a.txt', Body: 'via a token' }));
    assert.equal(put.ETag, `"${md5Hex('via a token')}"`);
    assert.equal((await bytesOf(t, 'theirs', 'shared/a.txt')).toString(), 'via a token');
    assert.deepEqual((await t.send(new ListObjectsV2Command({ Bucket: 'theirs', Prefix: 'shared/' }))).Contents?.map((o) => o.Key), ['shared/a.txt']);
    // The owner sees the object the gateway wrote (a record signed with the delegated token).
    const listed = await env.client.bucket(bucket, { keys: owner, ledger: env.ledger }).list({ prefix: 'shared/' });
    assert.deepEqual(listed.objects.map((o) => o.key), ['shared/a.txt']);
    assert.deepEqual(await s3Error(t.send(new PutObjectCommand({ Bucket: 'theirs', Key: 'elsewhere.txt', Body: 'x' }))), { code: 'AccessDenied', status: 403 });
    assert.deepEqual(await s3Error(t.send(new DeleteObjectCommand({ Bucket: 'theirs', Key: 'shared/a.txt' }))), { code: 'AccessDenied', status: 403 });
    assert.deepEqual(await s3Error(t.send(new GetObjectCommand({ Bucket: 'private-one', Key: 'docs/hello.txt' }))), { code: 'AccessDenied', status: 403 });
    assert.deepEqual(await s3Error(t.send(new CreateBucketCommand({ Bucket: 'theirs-too' }))), { code: 'AccessDenied', status: 403 });
  } finally {
    t.destroy();
  }
});
