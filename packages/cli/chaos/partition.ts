/** Network partition between two groups of nodes: needs root and `ip netns`; skipped with a reason elsewhere. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { DevCluster } from '../src/dev/cluster-runner.js';
import { createTestNetwork } from './netns.js';

export async function partitionSupport(): Promise<{ ok: boolean; reason: string }> {
  if (process.getuid?.() !== 0) return { ok: false, reason: 'a network partition needs root (ip netns); skipped' };
  const probe = spawnSync('ip', ['netns', 'add', `ddc-probe${process.pid}`], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return { ok: false, reason: `ip netns is not available here (${probe.stderr?.trim() || probe.error?.message}); skipped` };
  spawnSync('ip', ['netns', 'del', `ddc-probe${process.pid}`]);
  return { ok: true, reason: '' };
}

const WORKER = fileURLToPath(new URL('./partition-worker.js', import.meta.url));

/** Whether a process in namespace `ns` can reach `url` within a second. */
function reachable(ns: string, url: string): boolean {
  const probe = `fetch(${JSON.stringify(`${url}/health`)}, { signal: AbortSignal.timeout(1000) }).then(() => process.exit(0), () => process.exit(1))`;
  return spawnSync('ip', ['netns', 'exec', ns, process.execPath, '-e', probe]).status === 0;
}

export interface PartitionResult {
  acked: number;
  wrong: number;
  putsFailed: number;
  readsFailed: number;
  redundancy: { healthy: boolean; passes: number; seconds: number };
}

/** Six nodes, four on one side and two on the other; the split lasts while writes and reads go on. */
export async function partition(options: { seconds?: number; log?: (s: string) => void } = {}): Promise<PartitionResult> {
  const log = options.log ?? (() => undefined);
  const net = createTestNetwork();
  const dir = await mkdtemp(join(tmpdir(), 'ddc-partition-'));
  const side = (id: string) => (Number(id.split('-')[1]) <= 4 ? 0 : 1);
  let cluster: DevCluster | undefined;
  try {
    cluster = await DevCluster.start({
      dataDir: join(dir, 'ddc'),
      nodes: 6,
      zones: 3,
      k: 4,
      m: 2,
      launcher: (id) => ['ip', 'netns', 'exec', net.groups[side(id)].ns],
      nodeConfig: (id) => ({ host: net.groups[side(id)].ip }),
    });
    const worker = spawn('ip', ['netns', 'exec', net.router, process.execPath, WORKER, cluster.clusterFile, String(options.seconds ?? 8)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = createInterface({ input: worker.stdout! });
    const result = await new Promise<PartitionResult>((resolve, reject) => {
      lines.on('line', (line) => {
        const msg = JSON.parse(line) as { event: string } & PartitionResult;
        if (msg.event === 'ready-to-partition') {
          const across = cluster!.nodes.get('node-5')!.url;
          if (!reachable(net.groups[0].ns, across)) return reject(new Error('the two groups cannot reach each other even before the partition'));
          net.partition();
          if (reachable(net.groups[0].ns, across)) return reject(new Error('the partition did not cut group A off from group B'));
          log('partition: nodes 1-4 cut off from nodes 5-6 (checked)');
          worker.stdin!.write('partitioned\n');
        } else if (msg.event === 'ready-to-heal') {
          net.heal();
          log('partition: healed');
          worker.stdin!.write('healed\n');
        } else if (msg.event === 'done') resolve(msg);
      });
      worker.once('exit', (code) => reject(new Error(`partition worker exited with ${code}`)));
    });
    assert.equal(result.wrong, 0, 'every acknowledged object reads back byte-identical');
    assert.ok(result.acked > 0, 'writes were acknowledged');
    assert.ok(result.redundancy.healthy, 'full redundancy returned after the partition healed');
    log(`partition: ${result.acked} objects acknowledged, all read back; redundancy back after ${result.redundancy.passes} passes, ${result.redundancy.seconds.toFixed(1)} s`);
    return result;
  } finally {
    await cluster?.stop();
    net.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}
