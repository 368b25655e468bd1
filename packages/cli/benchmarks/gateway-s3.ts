/**
 * The S3 phase of `npm run bench`: a gateway process (`ddc gateway start`, the dev identity,
 * on the cluster's dev chain) and the AWS SDK driving it from this process (@ddc/gateway's
 * benchS3): s3_put_MBps and s3_get_MBps beside the SDK's large_put/large_get.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { AccessKeyStore } from '@ddc/gateway';
import type { S3BenchOptions, S3BenchResult } from '@ddc/gateway/benchmarks/s3';
import { DDC_BIN, type DevCluster } from '../src/dev/cluster-runner.js';

/** Peak RSS of a running process in MB (Linux /proc; undefined elsewhere). */
async function peakRssMB(pid: number | undefined): Promise<number | undefined> {
  const kb = await readFile(`/proc/${pid}/status`, 'utf8').then((s) => /VmHWM:\s+(\d+) kB/.exec(s)?.[1], () => undefined);
  return kb === undefined ? undefined : Number(kb) / 1024;
}

/** `runClient` drives the AWS SDK (in a child process, as the SDK's own jobs run). */
export async function benchGatewayS3(
  cluster: DevCluster, dataDir: string, bytes: number, log: (s: string) => void, runClient: (o: S3BenchOptions) => Promise<S3BenchResult>,
): Promise<S3BenchResult & { s3_gateway_peak_rss_MB?: number }> {
  const c = cluster.chain;
  if (!c) throw new Error('the S3 phase needs the cluster on a dev chain (the gateway creates its bucket there)');
  const child = spawn(process.execPath, [
    DDC_BIN, 'gateway', 'start', '--json', '--data', dataDir, '--keystore', join(cluster.dir, 'keystore.json'),
    '--rpc', c.chain.rpcUrl, '--deployment', c.chain.deploymentFile, '--cluster-id', String(c.clusterId),
    // The edge cache off: filling it on a first read is the cache's cost (measured on its own), not the S3 API's.
    '--cache-bytes', '0',
  ], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, DDC_PASSPHRASE: '' } });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        try {
          const m = JSON.parse(line) as { event?: string; url?: string };
          if (m.event === 'listening' && m.url) resolve(m.url);
        } catch {
          // not JSON
        }
      });
      child.once('exit', (code) => reject(new Error(`the gateway exited (${code}) before listening`)));
    });
    const key = await (await AccessKeyStore.open(dataDir)).create({ buckets: ['*'], createBuckets: true });
    log(`S3 PutObject, GetObject and multipart Upload (${bytes / 2 ** 20} MiB each)...`);
    const result = await runClient({ endpoint: url, accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, bytes });
    // The gateway streams: its memory should not grow with the object.
    const rss = await peakRssMB(child.pid);
    return { ...result, ...(rss !== undefined ? { s3_gateway_peak_rss_MB: rss } : {}) };
  } finally {
    const exited = new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
    child.kill('SIGTERM');
    await exited;
  }
}
