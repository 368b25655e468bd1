/**
 * Micro benchmark of one storage node against a bare node:http + fsync baseline, both in
 * child processes, measured in the same run: 4 KiB GET/PUT ops/s and 16 MiB PUT/GET MB/s.
 * `node packages/node/dist/benchmarks/node.bench.js [--quick] [--node-first]`
 */
import '@ddc/client/platform/node-crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { randomFillSync } from 'node:crypto';
import { buildStripe, cidOf, generateKeyPair, signRequest, UNSIGNED_PAYLOAD, type EncodedShard } from '@ddc/core';

const quick = process.argv.includes('--quick');
const SMALL_OPS = quick ? 5000 : 20_000;
const LARGE_COUNT = quick ? 8 : 32;
const IN_FLIGHT = 32;

function random(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += 65536) randomFillSync(out.subarray(off, Math.min(n, off + 65536)));
  return out;
}

function shard(payloadBytes: number): EncodedShard {
  const payload = random(payloadBytes);
  return buildStripe(cidOf(0x55, payload), payloadBytes, 1, 0, [payload])[0]!;
}

function serve(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const script = fileURLToPath(new URL('./serve.js', import.meta.url));
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve({ url: (JSON.parse(line) as { url: string }).url, child }));
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
}

const agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
/** Writes to the node are signed (docs/ACCESS.md), as the SDK signs them: the cost is part of the figure. */
const signer = generateKeyPair();
const NODE_ID = 'bench';

function call(url: string, method: string, body?: Uint8Array, sign = false): Promise<number> {
  const headers: Record<string, string | number> = body ? { 'content-length': body.length } : {};
  if (sign) Object.assign(headers, signRequest({ method, path: new URL(url).pathname, contentSha256: UNSIGNED_PAYLOAD, audience: NODE_ID, signing: signer }));
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent, headers }, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => (n += c.length));
      res.on('end', () => (res.statusCode! < 300 ? resolve(n) : reject(new Error(`${method} ${url}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function run(count: number, inFlight: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) await op(next++);
    }),
  );
  return (performance.now() - started) / 1000;
}

async function measure(name: string, url: string, path: (s: EncodedShard) => string): Promise<Record<string, number>> {
  const small = Array.from({ length: 256 }, () => shard(4096 - 100));
  const large = Array.from({ length: LARGE_COUNT }, () => shard(16 * 1024 * 1024 - 512));
  const out: Record<string, number> = {};
  const sign = name === 'node';
  out[`${name}_small_put_ops`] = SMALL_OPS / 4 / (await run(SMALL_OPS / 4, IN_FLIGHT, (i) => call(`${url}${path(small[i % small.length]!)}`, 'PUT', small[i % small.length]!.bytes, sign)));
  out[`${name}_small_get_ops`] = SMALL_OPS / (await run(SMALL_OPS, IN_FLIGHT, (i) => call(`${url}${path(small[i % small.length]!)}`, 'GET')));
  const bytes = LARGE_COUNT * large[0]!.bytes.length;
  out[`${name}_large_put_MBps`] = bytes / 1e6 / (await run(LARGE_COUNT, 4, (i) => call(`${url}${path(large[i]!)}`, 'PUT', large[i]!.bytes, sign)));
  out[`${name}_large_get_MBps`] = bytes / 1e6 / (await run(LARGE_COUNT, 4, (i) => call(`${url}${path(large[i]!)}`, 'GET')));
  return out;
}

const root = await mkdtemp(join(tmpdir(), 'ddc-node-bench-'));
const results: Record<string, number> = {};

async function phase(name: 'baseline' | 'node'): Promise<void> {
  const dir = join(root, name);
  const server = await serve(name === 'node' ? ['node', JSON.stringify({ version: 1, id: NODE_ID, zone: 'z', dataDir: dir })] : ['baseline', dir]);
  Object.assign(results, await measure(name, server.url, (s) => (name === 'node' ? `/v1/shards/${s.id}` : `/${s.id}`)));
  await new Promise((r) => server.child.once('exit', r).kill('SIGTERM'));
  // Free the page cache of this phase's files so the next starts from the same state.
  await rm(dir, { recursive: true, force: true });
}

try {
  // --node-first swaps the order, to check that a figure does not depend on which ran first.
  const order = process.argv.includes('--node-first') ? (['node', 'baseline'] as const) : (['baseline', 'node'] as const);
  for (const name of order) await phase(name);
} finally {
  agent.destroy();
  await rm(root, { recursive: true, force: true });
}
for (const [k, v] of Object.entries(results)) process.stdout.write(`${k.padEnd(28)} ${Math.round(v)}\n`);
for (const m of ['small_put_ops', 'small_get_ops', 'large_put_MBps', 'large_get_MBps']) {
  process.stdout.write(`ratio_${m.padEnd(22)} ${(results[`node_${m}`]! / results[`baseline_${m}`]!).toFixed(2)}\n`);
}
