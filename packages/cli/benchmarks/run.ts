/**
 * `npm run bench [-- --json] [-- --quick] [-- --only large,encrypted] [-- --large-mib N]`:
 * the storage core's figures beside a bare node:http + fsync baseline, all measured in this
 * run on this machine. --only runs some phases (erasure, gas, baseline, large, encrypted,
 * small, s3, repair); --large-mib sets the large object's size (default 256, --quick 32).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { DevCluster } from '../src/dev/cluster-runner.js';
import { benchRepair } from './repair.bench.js';
import { benchGatewayS3 } from './gateway-s3.js';
import type { S3BenchOptions, S3BenchResult } from '@ddc/gateway/benchmarks/s3';
import { benchErasure } from '@ddc/core/benchmarks/erasure';
import { benchGas } from '@ddc/ledger/benchmarks/gas';

const json = process.argv.includes('--json');
const quick = process.argv.includes('--quick');

/** The value of `--name V` or `--name=V`. */
function flagValue(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0) return process.argv[i + 1];
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

const PHASES = ['erasure', 'gas', 'baseline', 'large', 'encrypted', 'small', 's3', 'repair'] as const;
type Phase = (typeof PHASES)[number];
const only = flagValue('only')?.split(',').map((p) => p.trim()).filter(Boolean);
const unknownPhases = only?.filter((p) => !(PHASES as readonly string[]).includes(p)) ?? [];
if (only && (only.length === 0 || unknownPhases.length)) {
  process.stderr.write(`--only takes a comma-separated list of ${PHASES.join(', ')}${unknownPhases.length ? `; unknown: ${unknownPhases.join(', ')}` : ''}\n`);
  process.exit(2);
}
const phases = new Set<Phase>((only as Phase[] | undefined) ?? PHASES);
const largeMiB = flagValue('large-mib');
if (largeMiB !== undefined && !/^[1-9]\d*$/.test(largeMiB)) {
  process.stderr.write('--large-mib takes a whole number of MiB\n');
  process.exit(2);
}
const LARGE = (largeMiB ? Number(largeMiB) : quick ? 32 : 256) * 1024 * 1024;
const SMALL_OPS = quick ? 2000 : 20_000;
/** SDK/S3 pairs: single pairs' put ratios ranged from 0.60 to 0.89 within one run, so the median of three is reported. */
const S3_ROUNDS = quick ? 1 : 3;
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

/** The index of the median value (the lower middle one of an even count). */
function medianIndex(values: number[]): number {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  return order[Math.floor((order.length - 1) / 2)]![1];
}

const median = (values: number[]) => values[medianIndex(values)]!;
const round2 = (n: number) => Math.round(n * 100) / 100;

interface S3Round {
  sdk: Record<string, number>;
  s3: S3BenchResult;
}

const putRatio = (r: S3Round) => r.s3.s3_put_MBps / r.sdk['large_put_MBps']!;

/** S3 and its adjacent SDK figures: medians over the rounds, each round's ratios beside them. */
function s3Figures(rounds: S3Round[]): Record<string, number | string> {
  const putRatios = rounds.map(putRatio);
  const getRatios = rounds.map((r) => r.s3.s3_get_MBps / r.sdk['large_get_MBps']!);
  return {
    s3_rounds: rounds.length,
    s3_put_MBps: median(rounds.map((r) => r.s3.s3_put_MBps)),
    s3_get_MBps: median(rounds.map((r) => r.s3.s3_get_MBps)),
    s3_sdk_put_MBps: median(rounds.map((r) => r.sdk['large_put_MBps']!)),
    s3_sdk_get_MBps: median(rounds.map((r) => r.sdk['large_get_MBps']!)),
    s3_vs_sdk_put: round2(median(putRatios)),
    s3_vs_sdk_get: round2(median(getRatios)),
    s3_vs_sdk_put_rounds: putRatios.map(round2).join(' '),
    s3_vs_sdk_get_rounds: getRatios.map(round2).join(' '),
  };
}

const root = await mkdtemp(join(tmpdir(), 'ddc-bench-'));
const results: Record<string, number | string> = {};
try {
  if (phases.has('erasure')) {
    log('erasure coding...');
    Object.assign(results, await benchErasure());
  }
  if (phases.has('gas')) {
    log('ledger gas (create bucket, deposit, register node)...');
    Object.assign(results, await benchGas());
  }

  if (phases.has('baseline')) {
    const baseline = await startBaseline(join(root, 'baseline'));
    log(`baseline large (${LARGE / 2 ** 20} MiB)...`);
    Object.assign(results, await runWorker('baselineLarge', { baselineUrl: baseline.url, bytes: LARGE }));
    log(`baseline small (${SMALL_OPS} x 4 KiB, 32 in flight)...`);
    Object.assign(results, await runWorker('baselineSmall', { baselineUrl: baseline.url, ops: SMALL_OPS, size: 4096, inFlight: 32 }));
    baseline.stop();
  }

  if (phases.has('large') || phases.has('encrypted') || phases.has('small') || phases.has('s3')) {
    // The encrypted and s3 phases need buckets, so the cluster runs on a dev chain then (nodes take
    // membership from it; plain shard PUTs and GETs do not touch the chain).
    const chain = phases.has('encrypted') || phases.has('s3');
    log(`starting a 6-node cluster (k=4, m=2)${chain ? ' on a dev chain' : ''}...`);
    // Production worker settings (scrub at 4 MiB/s, repair every 10 min), not `ddc dev`'s eager
    // ones: 128 MiB/s of dev scrubbing would compete with the foreground being measured.
    const cluster = await DevCluster.start({ dataDir: join(root, 'cluster'), nodes: 6, zones: 3, k: 4, m: 2, nodeConfig: () => ({ repair: {}, scrub: {} }), ...(chain ? { chain: true } : {}) });
    try {
      if (phases.has('large')) {
        log(`SDK large (${LARGE / 2 ** 20} MiB)...`);
        Object.assign(results, await runWorker('sdkLarge', { clusterFile: cluster.clusterFile, bytes: LARGE }));
      }
      if (phases.has('encrypted')) {
        const c = cluster.chain!;
        log(`SDK large, encrypted into a private bucket (${LARGE / 2 ** 20} MiB)...`);
        Object.assign(results, await runWorker('sdkEncrypted', { clusterFile: cluster.clusterFile, bytes: LARGE, rpcUrl: c.chain.rpcUrl, deployment: c.chain.deploymentFile, clusterId: c.clusterId }));
      }
      if (phases.has('small')) {
        log(`SDK small (${SMALL_OPS} x 4 KiB, 32 in flight)...`);
        Object.assign(results, await runWorker('sdkSmall', { clusterFile: cluster.clusterFile, ops: SMALL_OPS, size: 4096, inFlight: 32 }));
      }
      if (phases.has('s3')) {
        // Each round: the SDK once more, then S3, on the cluster as it now is (earlier phases and
        // rounds have filled it): each S3 figure is compared with the SDK's right before it.
        const rounds: S3Round[] = [];
        const runClient = async (o: S3BenchOptions) => {
          // The gateway is a long-running service: one S3 job, not measured, brings its code paths
          // (S3 parsing, aws-chunked, MD5, the SDK inside) to steady state, as the SDK's own jobs
          // reach it within their 32 MiB warm-up (a 128 MiB one gained nothing there).
          if (!quick) {
            log(`S3 warm-up job, not measured (${LARGE / 2 ** 20} MiB)...`);
            await runWorker('s3', { ...o, bucket: 'bench-s3-warm' });
          }
          for (let i = 1; i <= S3_ROUNDS; i++) {
            log(`SDK large beside S3, round ${i} of ${S3_ROUNDS} (${LARGE / 2 ** 20} MiB)...`);
            const sdk = await runWorker('sdkLarge', { clusterFile: cluster.clusterFile, bytes: LARGE });
            log(`S3 through the gateway with the AWS SDK, round ${i} of ${S3_ROUNDS} (${LARGE / 2 ** 20} MiB)...`);
            rounds.push({ sdk, s3: (await runWorker('s3', { ...o, bucket: `bench-s3-${i}` })) as unknown as S3BenchResult });
          }
          return rounds[medianIndex(rounds.map(putRatio))]!.s3;
        };
        Object.assign(results, await benchGatewayS3(cluster, join(root, 'gateway'), LARGE, log, runClient));
        Object.assign(results, s3Figures(rounds));
      }
    } finally {
      await cluster.stop();
    }
  }
  if (phases.has('repair')) {
    const stored = quick ? 128 * 1024 * 1024 : 1024 * 1024 * 1024;
    log(`repair and scrub (${stored / 2 ** 20} MiB stored, one node wiped)...`);
    Object.assign(results, await benchRepair(join(root, 'repair'), stored));
  }
} finally {
  await rm(root, { recursive: true, force: true });
}

const rounded = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v * 100) / 100 : v]));
// A ratio only when both figures were measured in this run (--only may leave one out).
const ratios: Record<string, number> = {};
const ratio = (name: string, a: string, b: string) => {
  if (typeof rounded[a] === 'number' && typeof rounded[b] === 'number') ratios[name] = Math.round(((rounded[a] as number) / (rounded[b] as number)) * 100) / 100;
};
ratio('ratio_large_put', 'large_put_MBps', 'baseline_put_MBps');
ratio('ratio_large_get', 'large_get_MBps', 'baseline_get_MBps');
ratio('ratio_large_get_byob', 'large_get_byob_MBps', 'baseline_get_MBps');
ratio('ratio_small_get', 'small_get_ops', 'baseline_small_get_ops');
ratio('ratio_repair_to_baseline_put', 'repair_MBps', 'baseline_put_MBps');
ratio('encrypted_vs_plain_put', 'encrypted_put_MBps', 'large_put_MBps');
ratio('encrypted_vs_plain_get', 'encrypted_get_MBps', 'large_get_MBps');
ratio('s3_vs_large_put', 's3_put_MBps', 'large_put_MBps');
ratio('s3_vs_large_get', 's3_get_MBps', 'large_get_MBps');
Object.assign(rounded, {
  large_object_MiB: LARGE / 2 ** 20,
  small_ops: SMALL_OPS,
  ...ratios,
  ...(only ? { phases: [...phases].join(',') } : {}),
  method: 'each phase warms up (32 MiB or 1000 ops, small gets 20000 gets; repair: the same node wiped and rebuilt three times in a row, repair_MBps the last round, repair_rounds_MBps every round) before it is timed; nodes run production repair/scrub settings; encrypted_* is the same large object put into a private bucket (client-side AES-256-GCM, signed record) on the same cluster; s3_* is the same size through a gateway process (edge cache off: its first-read fill is the cache\'s cost, not S3\'s) with the AWS SDK v3 defaults (CRC32 checksums) into a public bucket; S3 runs in rounds after one unmeasured S3 job that warms the gateway (a long-running service), each round right after an SDK large put/get on the same cluster: s3_*, s3_sdk_* and s3_vs_sdk_* are medians over the rounds (s3_vs_sdk_*_rounds lists the ratio of every round), s3_vs_large_* divide by the large phase',
});
if (json) process.stdout.write(`${JSON.stringify(rounded)}\n`);
else for (const [k, v] of Object.entries(rounded)) process.stdout.write(`${k.padEnd(28)} ${v}\n`);
