/** Drives repair until every acknowledged object is fully redundant again, within a bound. */
import type { DdcClient, VerifyResult } from '@ddc/client';
import type { DevCluster } from '../src/dev/cluster-runner.js';
import type { AckedObject } from './workload.js';

/** POSTs to `path` on every live node at once and waits for all; a node that is down simply sits the pass out. */
async function onEveryNode(cluster: DevCluster, path: string): Promise<void> {
  await Promise.all(
    [...cluster.nodes.values()]
      .filter((n) => n.process)
      .map(async (n) => {
        try {
          const res = await fetch(`${n.url}${path}`, { method: 'POST' });
          await res.arrayBuffer();
        } catch {
          // down or restarting
        }
      }),
  );
}

/** Every live node runs a repair pass now (POST /v1/repair/run); resolves when all are done. */
export const repairPass = (cluster: DevCluster) => onEveryNode(cluster, '/v1/repair/run');
/** Every live node runs a scrub pass now (POST /v1/scrub/run). */
export const scrubPass = (cluster: DevCluster) => onEveryNode(cluster, '/v1/scrub/run');

export interface RedundancyReport {
  healthy: boolean;
  passes: number;
  seconds: number;
  unhealthy: { cid: string; bad: string[] }[];
}

function badShards(r: VerifyResult): string[] {
  return [
    ...r.pieces.flatMap((p) => p.shards.filter((s) => s.status !== 'ok').map((s) => `${p.cid.slice(0, 16)}#${s.index}@${s.nodeId}:${s.status}`)),
    ...r.unreadable.map((u) => `${u.cid.slice(0, 16)}:${u.code}`),
  ];
}

/**
 * Runs repair passes (and scrub passes if asked) until `verify` reports every object
 * healthy, or `timeoutMs` passes. Returns what stayed unhealthy.
 */
export async function waitForFullRedundancy(
  cluster: DevCluster,
  client: DdcClient,
  objects: readonly AckedObject[],
  options: { timeoutMs: number; scrub?: boolean },
): Promise<RedundancyReport> {
  const started = Date.now();
  let passes = 0;
  let pending = [...objects];
  let unhealthy: RedundancyReport['unhealthy'] = [];
  for (;;) {
    unhealthy = [];
    const still: AckedObject[] = [];
    for (const o of pending) {
      const r = await client.verify(o.cid);
      if (!r.healthy) {
        still.push(o);
        unhealthy.push({ cid: o.cid, bad: badShards(r) });
      }
    }
    pending = still;
    if (pending.length === 0 || Date.now() - started > options.timeoutMs) break;
    if (options.scrub) await scrubPass(cluster);
    await repairPass(cluster);
    passes++;
  }
  return { healthy: pending.length === 0, passes, seconds: (Date.now() - started) / 1000, unhealthy };
}
