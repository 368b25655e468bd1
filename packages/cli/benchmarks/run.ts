/**
 * `npm run bench [-- --json] [-- --quick]`: the storage core's figures beside a bare
 * node:http + fsync baseline, all measured in this run on this machine.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { DevCluster } from '../src/dev/cluster-runner.js';
import { benchRepair } from './repair.bench.js';
import { benchErasure } from '@ddc/core/benchmarks/erasure';
import { benchGas } from '@ddc/ledger/benchmarks/gas';

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');
const LARGE = (quick ? 32 : 256) * 1024 * 1024;
const SMALL_OPS = quick ? 2000 : 20_000;
const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));
// The bare node:http + fsync server, shared with the node package's micro benchmark.
const BASELINE_SERVER = fileURLToPath(import.meta.resolve('@ddc/node/benchmarks/serve'));
const log = (s: string) => {
  if (!json) process.stderr.write(`${s}\n`);
};

function runWorker(job: string, args: object): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [here('./sdk-worker.js'), job, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`${job} failed (exit ${code})`))));
  });
}

function startBaseline(dir: string): Promise<{ url: string; stop(): void }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BASELINE_SERVER, 'baseline', dir], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    createInterface({ input: child.stdout! }).once('line', (line) => resolve({ url: (JSON.parse(line) as { url: string }).url, stop: () => child.kill('SIGTERM') }));
    child.once('exit', (code) => reject(new Error(`baseline server exited ${code}`)));
  });
}

const root = await mkdtemp(join(tmpdir(), 'ddc-bench-'));
const results: Record<string, number | string> = {};
try {
  log('erasure coding...');
  Object.assign(results, await benchErasure());
  log('ledger gas (create bucket, deposit, register node)...');
  Object.assign(results, await benchGas());

  const baseline = await startBaseline(join(root, 'baseline'));
  log(`baseline large (${LARGE / 2 ** 20} MiB)...`);
  Object.assign(results, await runWorker('baselineLarge', { baselineUrl: baseline.url, bytes: LARGE }));
  log(`baseline small (${SMALL_OPS} x 4 KiB, 32 in flight)...`);
  Object.assign(results, await runWorker('baselineSmall', { baselineUrl: baseline.url, ops: SMALL_OPS, size: 4096, inFlight: 32 }));
  baseline.stop();

  log('starting a 6-node cluster (k=4, m=2)...');
  // Production worker settings (scrub at 4 MiB/s, repair every 10 min), not `ddc dev`'s eager
  // ones: 128 MiB/s of dev scrubbing would compete with the foreground being measured.
  const cluster = await DevCluster.start({ dataDir: join(root, 'cluster'), nodes: 6, zones: 3, k: 4, m: 2, nodeConfig: () => ({ repair: {}, scrub: {} }) });
  try {
    log(`SDK large (${LARGE / 2 ** 20} MiB)...`);
    Object.assign(results, await runWorker('sdkLarge', { clusterFile: cluster.clusterFile, bytes: LARGE }));
    log(`SDK small (${SMALL_OPS} x 4 KiB, 32 in flight)...`);
    Object.assign(results, await runWorker('sdkSmall', { clusterFile: cluster.clusterFile, ops: SMALL_OPS, size: 4096, inFlight: 32 }));
  } finally {
    await cluster.stop();
  }
  const stored = quick ? 128 * 1024 * 1024 : 1024 * 1024 * 1024;
  log(`repair and scrub (${stored / 2 ** 20} MiB stored, one node wiped)...`);
  Object.assign(results, await benchRepair(join(root, 'repair'), stored));
} finally {
  await rm(root, { recursive: true, force: true });
}

const rounded = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v * 100) / 100 : v]));
const ratio = (a: string, b: string) => Math.round(((rounded[a] as number) / (rounded[b] as number)) * 100) / 100;
Object.assign(rounded, {
  large_object_MiB: LARGE / 2 ** 20,
  small_ops: SMALL_OPS,
  ratio_large_put: ratio('large_put_MBps', 'baseline_put_MBps'),
  ratio_large_get: ratio('large_get_MBps', 'baseline_get_MBps'),
  ratio_small_get: ratio('small_get_ops', 'baseline_small_get_ops'),
  ratio_repair_to_baseline_put: ratio('repair_MBps', 'baseline_put_MBps'),
  method: 'each phase warms up (32 MiB or 1000 ops) before it is timed; nodes run production repair/scrub settings',
});
if (json) process.stdout.write(`${JSON.stringify(rounded)}\n`);
else for (const [k, v] of Object.entries(rounded)) process.stdout.write(`${k.padEnd(28)} ${v}\n`);
