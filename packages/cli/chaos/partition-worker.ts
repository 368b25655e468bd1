/**
 * The client side of the partition scenario, run inside the router namespace (the only
 * place that reaches both node groups). It talks to the test over stdin/stdout lines:
 * the test partitions and heals the network, the worker loads the cluster and checks it.
 */
import { createInterface } from 'node:readline';
import { createClient } from '@ddc/client';
import { readFile } from 'node:fs/promises';
import { Workload, readBack } from './workload.js';
import { waitForFullRedundancy, repairPass } from './redundancy.js';
import type { DevCluster } from '../src/dev/cluster-runner.js';

const [clusterFile, seconds] = process.argv.slice(2);
const descriptor = JSON.parse(await readFile(clusterFile!, 'utf8')) as { nodes: { id: string; url: string }[] };
const client = createClient({ cluster: descriptor, hedgeAfterMs: 150, nodeCooldownMs: 1000 });
// waitForFullRedundancy only needs the nodes' URLs from a cluster.
const clusterView = { nodes: new Map(descriptor.nodes.map((n) => [n.id, { ...n, process: {} }])) } as unknown as DevCluster;
const lines = createInterface({ input: process.stdin });
const next = () => new Promise<string>((r) => lines.once('line', r));
const say = (msg: object) => process.stdout.write(`${JSON.stringify(msg)}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const load = new Workload(client, { writers: 2, readers: 2, maxSize: 2 * 1024 * 1024 });
load.start();
await sleep(Number(seconds) * 300);
say({ event: 'ready-to-partition' });
await next(); // partitioned
await sleep(Number(seconds) * 300);
// Repair passes during the split: nodes see the other side as down; nothing may break.
await repairPass(clusterView);
say({ event: 'ready-to-heal' });
await next(); // healed
await sleep(Number(seconds) * 200);
const stats = await load.stop();
let wrong = 0;
for (const o of load.acked) if (!(await readBack(client, o))) wrong++;
const redundancy = await waitForFullRedundancy(clusterView, client, load.acked, { timeoutMs: 90_000 });
say({ event: 'done', acked: load.acked.length, wrong, mismatches: stats.mismatches.length, putsFailed: stats.putsFailed, readsFailed: stats.readsFailed, redundancy });
await client.close();
process.exit(0);
