/**
 * Self-healing figures for `npm run bench`: repair_MBps is the rate at which a node whose
 * data folder was deleted gets all its shards back (bytes it held / time until it holds
 * them again); scrub_MBps is the rate at which the nodes re-read and verify their shards.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient } from '@ddc/client';
import { generateKeyPair, sha256, signRequest, toHex } from '@ddc/core';
import { DevCluster } from '../src/dev/cluster-runner.js';
import { randomStream } from './data.js';

interface NodeInfo {
  shards: number;
  bytes: number;
}

async function info(url: string): Promise<NodeInfo> {
  const res = await fetch(`${url}/info`);
  return (await res.json()) as NodeInfo;
}

/** POSTs to nodes are signed (docs/ACCESS.md); any key may ask for a pass. */
const signer = generateKeyPair();

async function post(url: string, path: string): Promise<Record<string, unknown>> {
  const { nodeId } = (await (await fetch(`${url}/info`)).json()) as { nodeId: string };
  const headers = signRequest({ method: 'POST', path, contentSha256: toHex(sha256(new Uint8Array(0))), audience: nodeId, signing: signer });
  const res = await fetch(`${url}${path}`, { method: 'POST', headers });
  return (await res.json()) as Record<string, unknown>;
}

export async function benchRepair(dataDir: string, storedBytes: number): Promise<{ repair_MBps: number; scrub_MBps: number; repair_bytes: number; repair_seconds: number }> {
  // Timers off: the measurement triggers passes itself; no bandwidth cap.
  const cluster = await DevCluster.start({
    dataDir,
    nodes: 6,
    zones: 3,
    k: 4,
    m: 2,
    // Production repair concurrency (4): 16 measured slower, the CPU being saturated either way.
    nodeConfig: () => ({ repair: { enabled: false, bandwidthBytesPerSec: 0, settleMs: 0 }, scrub: { enabled: false, bytesPerSec: 2 ** 40 } }),
  });
  try {
    const client = createClient({ cluster: cluster.descriptor() });
    await client.put(randomStream(storedBytes));
    await client.close();
    const nodes = [...cluster.nodes.values()];

    // Scrub: every node re-reads and verifies everything it holds, all at once.
    let t = performance.now();
    const scrubbed = await Promise.all(nodes.map((n) => post(n.url, '/v1/scrub/run')));
    const scrubSecs = (performance.now() - t) / 1000;
    const scrubBytes = scrubbed.reduce((sum, s) => sum + Number((s as { bytesChecked?: number }).bytesChecked ?? 0), 0);

    const victim = nodes[2]!;
    const before = await info(victim.url);
    await cluster.stopNode(victim.id, 'SIGKILL');
    await rm(join(cluster.dir, 'nodes', victim.id, 'data'), { recursive: true, force: true });
    const restarted = await cluster.startNode(victim.id);
    t = performance.now();
    for (let pass = 0; pass < 10; pass++) {
      await Promise.all([...cluster.nodes.values()].map((n) => post(n.url, '/v1/repair/run')));
      if ((await info(restarted.url)).shards >= before.shards) break;
    }
    const repairSecs = (performance.now() - t) / 1000;
    const after = await info(restarted.url);
    if (after.shards < before.shards) throw new Error(`repair left ${victim.id} with ${after.shards} of ${before.shards} shards`);
    return { repair_MBps: before.bytes / 1e6 / repairSecs, scrub_MBps: scrubBytes / 1e6 / scrubSecs, repair_bytes: before.bytes, repair_seconds: repairSecs };
  } finally {
    await cluster.stop();
  }
}
