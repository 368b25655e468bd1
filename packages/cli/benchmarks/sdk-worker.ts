/**
 * One benchmark job in its own process, so its peak RSS is the client's alone.
 * argv: JOB JSON-ARGS; prints one JSON line of results.
 */
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { createClient } from '@ddc/client';
import { DEV_MNEMONIC, deriveUserKeys, toHex } from '@ddc/core';
import { randomStream, smallObject, hashOf } from './data.js';

type Args = {
  clusterFile?: string; baselineUrl?: string; bytes?: number; ops?: number; size?: number; inFlight?: number;
  /** sdkEncrypted: the dev chain the cluster runs on. */
  rpcUrl?: string; deployment?: string; clusterId?: number;
  /** s3: the gateway and an access key pair. */
  endpoint?: string; accessKeyId?: string; secretAccessKey?: string; bucket?: string;
};
const [job, rawArgs] = process.argv.slice(2);
const args = JSON.parse(rawArgs ?? '{}') as Args;
const MB = 1e6;

function rssMB(): number {
  return process.resourceUsage().maxRSS / 1024;
}

async function pool<T>(count: number, inFlight: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    while (next < count) {
      const i = next++;
      out[i] = await fn(i);
    }
  }));
  return out;
}

/**
 * The small objects, made before timing: views of one random block, so that the job's own data
 * is one allocation rather than 20,000 arrays for the collector to trace through the timed phase.
 * Before the gets only each object's first and last byte are kept.
 */
class SmallObjects {
  private readonly block: Uint8Array;
  constructor(private readonly count: number, private readonly size: number) {
    this.block = smallObject(count * size);
  }
  get(i: number): Uint8Array {
    return this.block.subarray(i * this.size, (i + 1) * this.size);
  }
  marks(): { match(i: number, b: Uint8Array): boolean } {
    const { size } = this;
    const first = new Uint8Array(this.count);
    const last = new Uint8Array(this.count);
    for (let i = 0; i < this.count; i++) {
      first[i] = this.block[i * size]!;
      last[i] = this.block[(i + 1) * size - 1]!;
    }
    return { match: (i, b) => b.length === size && b[0] === first[i] && b[size - 1] === last[i] };
  }
}

function p99(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))]!;
}

/** Warm-up before timing: JIT tiers, connection pools and page cache settle for both sides alike. */
const WARMUP_BYTES = 32 * 1024 * 1024;
const WARMUP_OPS = 1000;
/**
 * Small gets warm up longer: in 20,000-get rounds on one cluster the first ran at about half the
 * rate of the fourth (the nodes' and the client's read paths tier up over tens of thousands of
 * requests), and the figure is meant to be the steady rate. The baseline gets the same.
 */
const WARMUP_GET_OPS = 20_000;

async function sdkLarge() {
  const client = createClient({ cluster: JSON.parse(await readFile(args.clusterFile!, 'utf8')) });
  const bytes = args.bytes!;
  const warm = await client.put(randomStream(WARMUP_BYTES));
  for await (const _ of client.get(warm.cid) as unknown as AsyncIterable<Uint8Array>) void _;
  const sent = hashOf();
  let t = performance.now();
  const { cid } = await client.put(randomStream(bytes, (c) => sent.update(c)));
  const putSecs = (performance.now() - t) / 1000;
  const got = hashOf();
  let n = 0;
  t = performance.now();
  const reader = client.get(cid).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    got.update(value);
    n += value.length;
  }
  const getSecs = (performance.now() - t) / 1000;
  const sentHex = sent.hex();
  if (n !== bytes || got.hex() !== sentHex) throw new Error('large object read back differently');
  // The same object again through a BYOB reader that reuses one 1 MiB buffer (no array per piece).
  const byob = hashOf();
  n = 0;
  t = performance.now();
  const byobReader = client.get(cid).getReader({ mode: 'byob' });
  let buffer = new ArrayBuffer(2 ** 20);
  for (;;) {
    const { done, value } = await byobReader.read(new Uint8Array(buffer));
    if (done) break;
    byob.update(value);
    n += value.length;
    buffer = value.buffer as ArrayBuffer;
  }
  const byobSecs = (performance.now() - t) / 1000;
  if (n !== bytes || byob.hex() !== sentHex) throw new Error('large object read back differently through a BYOB reader');
  await client.close();
  return { large_put_MBps: bytes / MB / putSecs, large_get_MBps: bytes / MB / getSecs, large_get_byob_MBps: bytes / MB / byobSecs, peak_rss_MB: rssMB() };
}

async function baselineLarge() {
  const agent = new Agent({ connections: 16 });
  const bytes = args.bytes!;
  const warm = await request(`${args.baselineUrl}/warm`, { method: 'PUT', body: Readable.from(randomStream(WARMUP_BYTES)), dispatcher: agent });
  await warm.body.dump();
  await (await request(`${args.baselineUrl}/warm`, { dispatcher: agent })).body.dump();
  const sent = hashOf();
  let t = performance.now();
  const put = await request(`${args.baselineUrl}/large`, { method: 'PUT', body: Readable.from(randomStream(bytes, (c) => sent.update(c))), dispatcher: agent });
  await put.body.dump();
  const putSecs = (performance.now() - t) / 1000;
  const got = hashOf();
  t = performance.now();
  const res = await request(`${args.baselineUrl}/large`, { dispatcher: agent });
  let n = 0;
  for await (const c of res.body) {
    got.update(c as Uint8Array);
    n += (c as Uint8Array).length;
  }
  const getSecs = (performance.now() - t) / 1000;
  if (n !== bytes || got.hex() !== sent.hex()) throw new Error('baseline read back differently');
  await agent.close();
  return { baseline_put_MBps: bytes / MB / putSecs, baseline_get_MBps: bytes / MB / getSecs };
}

async function sdkSmall() {
  const client = createClient({ cluster: JSON.parse(await readFile(args.clusterFile!, 'utf8')) });
  const { ops, size, inFlight } = args as Required<Args>;
  const warm = await pool(WARMUP_OPS, inFlight, async () => (await client.put(smallObject(size))).cid);
  await pool(WARMUP_GET_OPS, inFlight, async (i) => client.getBytes(warm[i % WARMUP_OPS]!));
  let objects: SmallObjects | undefined = new SmallObjects(ops, size);
  let t = performance.now();
  const cids = await pool(ops, inFlight, async (i) => (await client.put(objects!.get(i))).cid);
  const putSecs = (performance.now() - t) / 1000;
  const marks = objects.marks();
  objects = undefined;
  const latencies: number[] = [];
  t = performance.now();
  await pool(ops, inFlight, async (i) => {
    const s = performance.now();
    const b = await client.getBytes(cids[i]!);
    latencies.push(performance.now() - s);
    if (!marks.match(i, b)) throw new Error('small object read back differently');
  });
  const getSecs = (performance.now() - t) / 1000;
  await client.close();
  return { small_put_ops: ops / putSecs, small_get_ops: ops / getSecs, small_get_p99_ms: p99(latencies) };
}

async function baselineSmall() {
  const agent = new Agent({ connections: 16 });
  const { ops, size, inFlight } = args as Required<Args>;
  await pool(WARMUP_OPS, inFlight, async (i) => {
    await (await request(`${args.baselineUrl}/w${i}`, { method: 'PUT', body: smallObject(size), dispatcher: agent })).body.dump();
    await (await request(`${args.baselineUrl}/w${i}`, { dispatcher: agent })).body.dump();
  });
  await pool(WARMUP_GET_OPS, inFlight, async (i) => {
    await (await request(`${args.baselineUrl}/w${i % WARMUP_OPS}`, { dispatcher: agent })).body.arrayBuffer();
  });
  let objects: SmallObjects | undefined = new SmallObjects(ops, size);
  let t = performance.now();
  await pool(ops, inFlight, async (i) => {
    const r = await request(`${args.baselineUrl}/s${i}`, { method: 'PUT', body: objects!.get(i), dispatcher: agent });
    await r.body.dump();
  });
  const putSecs = (performance.now() - t) / 1000;
  const marks = objects.marks();
  objects = undefined;
  const latencies: number[] = [];
  t = performance.now();
  await pool(ops, inFlight, async (i) => {
    const s = performance.now();
    const r = await request(`${args.baselineUrl}/s${i}`, { dispatcher: agent });
    const b = new Uint8Array(await r.body.arrayBuffer());
    latencies.push(performance.now() - s);
    if (!marks.match(i, b)) throw new Error('baseline small object read back differently');
  });
  const getSecs = (performance.now() - t) / 1000;
  await agent.close();
  return { baseline_small_put_ops: ops / putSecs, baseline_small_get_ops: ops / getSecs, baseline_small_get_p99_ms: p99(latencies) };
}

/**
 * The large object again, into a private bucket through client.bucket: encrypted on the
 * client (chunked AES-256-GCM), shards signed with a bucket token, a record written by
 * quorum; read back through the record, decrypted and compared.
 */
async function sdkEncrypted() {
  // Loaded here only: viem would otherwise add to every job's peak RSS.
  const { connectLedger, createBucket, readDeploymentFile } = await import('@ddc/ledger/node');
  const keys = deriveUserKeys(DEV_MNEMONIC); // the dev chain's funded account 0
  const ledger = connectLedger({ deployment: await readDeploymentFile(args.deployment!), rpcUrl: args.rpcUrl!, account: `0x${toHex(keys.evm.privateKey)}` });
  const { bucketId } = await createBucket(ledger, { clusterId: args.clusterId!, isPublic: false });
  const client = createClient({ cluster: JSON.parse(await readFile(args.clusterFile!, 'utf8')), identity: keys.signing });
  const bucket = client.bucket(bucketId, { keys, ledger });
  const bytes = args.bytes!;
  await bucket.put('warm', randomStream(WARMUP_BYTES));
  for await (const _ of (await bucket.get('warm')).body as unknown as AsyncIterable<Uint8Array>) void _;
  const sent = hashOf();
  let t = performance.now();
  const put = await bucket.put('large', randomStream(bytes, (c) => sent.update(c)));
  const putSecs = (performance.now() - t) / 1000;
  const got = hashOf();
  let n = 0;
  t = performance.now();
  const { record, body } = await bucket.get('large');
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    got.update(value);
    n += value.length;
  }
  const getSecs = (performance.now() - t) / 1000;
  if (record.encryption === null || record.version !== put.version) throw new Error('the large object was not stored encrypted');
  if (n !== bytes || got.hex() !== sent.hex()) throw new Error('encrypted large object read back differently');
  await client.close();
  return { encrypted_put_MBps: bytes / MB / putSecs, encrypted_get_MBps: bytes / MB / getSecs, encrypted_peak_rss_MB: rssMB() };
}

/** The AWS SDK against the gateway, in its own process like the SDK's jobs (not in the runner, whose heap the other phases grew). */
async function s3(): Promise<Record<string, number>> {
  const { benchS3 } = await import('@ddc/gateway/benchmarks/s3');
  const r = await benchS3({ endpoint: args.endpoint!, accessKeyId: args.accessKeyId!, secretAccessKey: args.secretAccessKey!, bytes: args.bytes!, ...(args.bucket ? { bucket: args.bucket } : {}) });
  return r as unknown as Record<string, number>;
}

const jobs: Record<string, () => Promise<Record<string, number>>> = { sdkLarge, baselineLarge, sdkSmall, baselineSmall, sdkEncrypted, s3 };
const result = await jobs[job!]!();
process.stdout.write(`${JSON.stringify(result)}\n`);
