/**
 * S3 throughput through the gateway with the AWS SDK v3 (what S3 users run): a large object
 * put (one streaming PutObject, and lib-storage's multipart Upload) and read back as a
 * stream, into a public bucket (plaintext, like the SDK's large_put/large_get figures), after
 * a 32 MiB warm-up. Every byte read back is checked against what was sent.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { Readable } from 'node:stream';
import { Agent } from 'node:http';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

export interface S3BenchOptions {
  /** The gateway's URL. */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Bytes of the large object (256 MiB in the full run). */
  bytes: number;
  /** Bucket to create (public-read). Default "bench-s3". */
  bucket?: string;
  /** Multipart part size. Default 16 MiB. */
  partSize?: number;
  log?: (line: string) => void;
}

export interface S3BenchResult {
  /** The faster of the two put modes, in MB/s (1e6 bytes). */
  s3_put_MBps: number;
  s3_get_MBps: number;
  s3_put_single_MBps: number;
  s3_put_multipart_MBps: number;
  /** Which mode s3_put_MBps is. */
  s3_put_mode: 'single' | 'multipart';
}

const MB = 1e6;
const CHUNK = 1024 * 1024;
const WARMUP = 32 * 1024 * 1024;

/** `total` bytes in 1 MiB chunks, each distinct (no dedup can flatter the figure). */
function* data(total: number, hash?: ReturnType<typeof createHash>): Generator<Buffer> {
  const seed = randomFillSync(Buffer.alloc(CHUNK));
  for (let sent = 0, i = 0; sent < total; i++) {
    const n = Math.min(CHUNK, total - sent);
    const c = Buffer.allocUnsafe(n);
    seed.copy(c, 0, 0, n);
    c.writeDoubleBE(i + Math.random(), 0);
    hash?.update(c);
    sent += n;
    yield c;
  }
}

async function readAll(s3: S3Client, Bucket: string, Key: string): Promise<{ bytes: number; sha: string }> {
  const res = await s3.send(new GetObjectCommand({ Bucket, Key }));
  const h = createHash('sha256');
  let bytes = 0;
  for await (const c of res.Body as AsyncIterable<Uint8Array>) {
    h.update(c);
    bytes += c.length;
  }
  return { bytes, sha: h.digest('hex') };
}

export async function benchS3(o: S3BenchOptions): Promise<S3BenchResult> {
  const log = o.log ?? (() => {});
  const Bucket = o.bucket ?? 'bench-s3';
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const s3 = new S3Client({
    endpoint: o.endpoint, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1,
    credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey },
    requestHandler: { httpAgent: agent } as never,
  });
  try {
    await s3.send(new CreateBucketCommand({ Bucket, ACL: 'public-read' }));
    await s3.send(new PutObjectCommand({ Bucket, Key: 'warm', Body: Readable.from(data(WARMUP)), ContentLength: WARMUP }));
    await readAll(s3, Bucket, 'warm');

    log(`S3 PutObject, one stream (${o.bytes / 2 ** 20} MiB)...`);
    const sent = createHash('sha256');
    let t = performance.now();
    await s3.send(new PutObjectCommand({ Bucket, Key: 'single', Body: Readable.from(data(o.bytes, sent)), ContentLength: o.bytes }));
    const single = o.bytes / MB / ((performance.now() - t) / 1000);

    log(`S3 GetObject (${o.bytes / 2 ** 20} MiB)...`);
    t = performance.now();
    const got = await readAll(s3, Bucket, 'single');
    const get = o.bytes / MB / ((performance.now() - t) / 1000);
    if (got.bytes !== o.bytes || got.sha !== sent.digest('hex')) throw new Error('the S3 object read back differently');

    log(`S3 multipart Upload (${o.bytes / 2 ** 20} MiB, ${(o.partSize ?? 16 * CHUNK) / 2 ** 20} MiB parts, 4 in flight)...`);
    const sent2 = createHash('sha256');
    t = performance.now();
    await new Upload({ client: s3, params: { Bucket, Key: 'multipart', Body: Readable.from(data(o.bytes, sent2)) }, partSize: o.partSize ?? 16 * CHUNK, queueSize: 4 }).done();
    const multipart = o.bytes / MB / ((performance.now() - t) / 1000);
    const got2 = await readAll(s3, Bucket, 'multipart');
    if (got2.bytes !== o.bytes || got2.sha !== sent2.digest('hex')) throw new Error('the multipart object read back differently');

    const mode = single >= multipart ? 'single' : 'multipart';
    return { s3_put_MBps: Math.max(single, multipart), s3_get_MBps: get, s3_put_single_MBps: single, s3_put_multipart_MBps: multipart, s3_put_mode: mode };
  } finally {
    s3.destroy();
    agent.destroy();
  }
}
