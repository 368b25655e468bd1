/**
 * `npm run bench:floor [-- --json]`: the least CPU a 256 MiB put can cost on this machine, beside
 * what the SDK's put and the baseline's put cost, all measured in this run.
 *
 * The floor is the sum of the work every put must do, each part timed alone at full speed: the
 * benchmark's own data and hash (the baseline pays it too), the piece CIDs, Reed-Solomon, the
 * Merkle roots of the k+m shards on the client and again on the nodes that check them, sending
 * 1.5x the bytes over loopback TCP, and writing them durably. No implementation can do less, so
 * a put can be no faster than that many core-seconds spread over this machine's cores. The
 * baseline's floor (the data, its bytes once over TCP and to disk) is measured alike, so each
 * put's core-seconds over its floor show how much each implementation adds. CPU is counted
 * machine-wide (/proc/stat), so kernel and helper threads are in every figure.
 */
import { spawn } from 'node:child_process';
import { closeSync, fdatasyncSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { Agent, request } from 'undici';
import { createClient } from '@ddc/client';
import { DEFAULT_CHUNK_SIZE, createErasureCoder, merkleRoot, sha256 } from '@ddc/core';
import { DevCluster } from '../src/dev/cluster-runner.js';
import { hashOf, randomStream } from './data.js';

const json = process.argv.includes('--json');
const MiB = 2 ** 20;
const BYTES = 256 * MiB;
const K = 4;
const M = 2;
const CODED = (BYTES / K) * (K + M);
const ROUNDS = 3;
const BASELINE_SERVER = fileURLToPath(import.meta.resolve('@ddc/node/benchmarks/serve'));
const log = (s: string) => {
  if (!json) process.stderr.write(`${s}\n`);
};

/** Busy core-seconds of the whole machine so far (every process, kernel threads and interrupts too). */
function machineBusy(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const idle = fields[3]! + fields[4]!;
  return (fields.reduce((a, b) => a + b, 0) - idle) / 100;
}

/** The machine's busy core-seconds and the wall time of `fn`, the least of ROUNDS runs (the floor wants each part at its best). */
async function cost(fn: () => Promise<void> | void, rounds = ROUNDS): Promise<{ coreS: number; wallS: number }> {
  let best = { coreS: Infinity, wallS: Infinity };
  for (let i = 0; i < rounds; i++) {
    const b0 = machineBusy();
    const t0 = performance.now();
    await fn();
    const wallS = (performance.now() - t0) / 1000;
    const coreS = machineBusy() - b0;
    if (coreS < best.coreS) best = { coreS, wallS };
  }
  return best;
}

async function benchData(): Promise<void> {
  const h = hashOf();
  for await (const chunk of randomStream(BYTES, (c) => h.update(c))) void chunk;
  h.hex();
}

/** `bytes` over one loopback TCP connection to a process that reads and drops them. */
function loopback(bytes: number): Promise<void> {
  const sink = `const s=require('node:net').createServer((c)=>{let n=0;c.on('data',(d)=>{n+=d.length;if(n>=${bytes})c.end('k')})});s.listen(0,'127.0.0.1',()=>process.send(s.address().port));process.on('disconnect',()=>process.exit(0))`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', sink], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.once('message', (port) => {
      const part = Buffer.alloc(256 * 1024, 7);
      const socket = connect(port as number, '127.0.0.1', () => {
        void (async () => {
          for (let sent = 0; sent < bytes; sent += part.length) if (!socket.write(part)) await new Promise((r) => socket.once('drain', r));
        })();
      });
      socket.once('data', () => {
        socket.destroy();
        child.disconnect();
        resolve();
      });
      socket.once('error', reject);
    });
    child.once('error', reject);
  });
}

/**
 * `bytes` written to a new file in 4 MiB batches, each made durable (a node's batched commit). The
 * file is deleted after, so later rounds write into page-cache memory used before: on this VM the
 * first write to guest memory never touched since boot cost about 0.9 core-s per 384 MiB against
 * 0.08 for memory used before (docs/BENCHMARKS.md), a cost a long-running machine no longer pays.
 */
async function durableWrite(dir: string, bytes: number): Promise<void> {
  const path = join(dir, 'durable');
  const fd = openSync(path, 'w');
  const batch = Buffer.alloc(4 * MiB, 5);
  for (let written = 0; written < bytes; written += batch.length) {
    writeSync(fd, batch);
    fdatasyncSync(fd);
  }
  closeSync(fd);
  unlinkSync(path);
}

async function floorParts(dir: string) {
  const pieces: Uint8Array[] = [];
  for await (const chunk of randomStream(BYTES)) pieces.push(chunk);
  const coder = await createErasureCoder(K, M);
  const shard = new Uint8Array(DEFAULT_CHUNK_SIZE / K).fill(3);
  const parts = {
    data_and_hash: await cost(benchData),
    piece_cids: await cost(() => void pieces.forEach((p) => sha256(p))),
    reed_solomon: await cost(() => {
      const q = DEFAULT_CHUNK_SIZE / K;
      for (const p of pieces) coder.encode([0, 1, 2, 3].map((i) => p.subarray(i * q, (i + 1) * q)));
    }),
    // Once on the client (for the headers) and once on the nodes (the check): the same work twice.
    merkle_roots: await cost(() => {
      for (let i = 0; i < CODED / shard.length; i++) merkleRoot(shard);
    }),
    loopback_tcp: await cost(() => loopback(CODED)),
    durable_write: await cost(() => durableWrite(dir, CODED)),
  };
  const coreS = parts.data_and_hash.coreS + parts.piece_cids.coreS + parts.reed_solomon.coreS + 2 * parts.merkle_roots.coreS + parts.loopback_tcp.coreS + parts.durable_write.coreS;
  // The baseline's floor: the same data and hash, the object's bytes once over TCP and to disk.
  const baselineCoreS = parts.data_and_hash.coreS + (await cost(() => loopback(BYTES))).coreS + (await cost(() => durableWrite(dir, BYTES))).coreS;
  return { parts, coreS, baselineCoreS };
}

async function sdkPuts(dir: string): Promise<{ coreS: number[]; MBps: number[] }> {
  const cluster = await DevCluster.start({ dataDir: join(dir, 'cluster'), nodes: K + M, zones: 3, k: K, m: M, nodeConfig: () => ({ repair: {}, scrub: {} }) });
  const client = createClient({ cluster: JSON.parse(await readFile(cluster.clusterFile, 'utf8')) });
  try {
    await client.put(randomStream(32 * MiB));
    const out = { coreS: [] as number[], MBps: [] as number[] };
    for (let i = 0; i < ROUNDS; i++) {
      const h = hashOf();
      const c = await cost(async () => void (await client.put(randomStream(BYTES, (x) => h.update(x)))), 1);
      out.coreS.push(c.coreS);
      out.MBps.push(BYTES / 1e6 / c.wallS);
    }
    return out;
  } finally {
    await client.close();
    await cluster.stop();
  }
}

async function baselinePuts(dir: string): Promise<{ coreS: number[]; MBps: number[] }> {
  const child = spawn(process.execPath, [BASELINE_SERVER, 'baseline', dir], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`baseline server exited ${code}`)));
  });
  const agent = new Agent({ connections: 16 });
  const put = async (name: string, bytes: number) => {
    const h = hashOf();
    const res = await request(`${url}/${name}`, { method: 'PUT', body: Readable.from(randomStream(bytes, (c) => h.update(c))), dispatcher: agent });
    await res.body.dump();
  };
  try {
    await put('warm', 32 * MiB);
    const out = { coreS: [] as number[], MBps: [] as number[] };
    for (let i = 0; i < ROUNDS; i++) {
      const c = await cost(() => put(`large${i}`, BYTES), 1);
      out.coreS.push(c.coreS);
      out.MBps.push(BYTES / 1e6 / c.wallS);
    }
    return out;
  } finally {
    await agent.close();
    child.kill('SIGTERM');
  }
}

const round2 = (x: number) => Math.round(x * 100) / 100;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

const root = await mkdtemp(join(tmpdir(), 'ddc-floor-'));
try {
  const cores = availableParallelism();
  log('floor: each part of a put alone...');
  const floor = await floorParts(root);
  log('the SDK put on a 6-node cluster...');
  const sdk = await sdkPuts(root);
  log('the baseline put...');
  const baseline = await baselinePuts(join(root, 'baseline'));
  const floorMBps = BYTES / 1e6 / (floor.coreS / cores);
  const baselineMBps = median(baseline.MBps);
  const result = {
    cores,
    ...Object.fromEntries(Object.entries(floor.parts).map(([k, v]) => [`floor_${k}_core_s`, round2(v.coreS)])),
    floor_core_s: round2(floor.coreS),
    floor_put_MBps: round2(floorMBps),
    put_core_s: round2(median(sdk.coreS)),
    put_MBps: round2(median(sdk.MBps)),
    put_over_floor_core_s: round2(median(sdk.coreS) / floor.coreS),
    baseline_floor_core_s: round2(floor.baselineCoreS),
    baseline_put_core_s: round2(median(baseline.coreS)),
    baseline_over_floor_core_s: round2(median(baseline.coreS) / floor.baselineCoreS),
    baseline_put_MBps: round2(baselineMBps),
    ratio_floor_put: round2(floorMBps / baselineMBps),
    ratio_put: round2(median(sdk.MBps) / baselineMBps),
    method: `${BYTES / MiB} MiB, k=${K} m=${M}; core-seconds are machine-wide (/proc/stat); floor parts are each the least of ${ROUNDS} runs alone, merkle_roots counted twice (client and nodes); floor_put_MBps spreads the floor over every core with no idle time; put and baseline figures are medians of ${ROUNDS} puts after a 32 MiB warm-up`,
  };
  if (json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else for (const [k, v] of Object.entries(result)) process.stdout.write(`${k.padEnd(34)} ${v}\n`);
} finally {
  await rm(root, { recursive: true, force: true });
}
