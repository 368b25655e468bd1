/**
 * `npm run chaos -- --minutes N [--json]`: runs the chaos scenarios in random order on one
 * dev cluster until N minutes have passed, with more load than the CI suite.
 */
import { parseArgs } from 'node:util';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DevCluster } from '../src/dev/cluster-runner.js';
import { killDuringWrites, wipeNode, flipBytes, lyingNode, membershipChange, type ChaosEnv, type ScenarioResult } from './scenarios.js';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, json: { type: 'boolean' } } });
const minutes = Number(values.minutes);
const dir = await mkdtemp(join(tmpdir(), 'ddc-chaos-'));
const faulty = new Map<string, Record<string, unknown>>();
const cluster = await DevCluster.start({ dataDir: join(dir, 'ddc'), nodes: 6, zones: 3, k: 4, m: 2, nodeConfig: (id) => (faulty.has(id) ? { faults: faulty.get(id) } : {}) });
const env: ChaosEnv = {
  cluster,
  faulty,
  loadSeconds: 20,
  maxObjectSize: 8 * 1024 * 1024,
  redundancyTimeoutMs: 180_000,
  log: (line) => {
    if (!values.json) console.error(`[${new Date().toISOString()}] ${line}`);
  },
};
const scenarios = [killDuringWrites, wipeNode, flipBytes, lyingNode, membershipChange];
const results: ScenarioResult[] = [];
const deadline = Date.now() + minutes * 60_000;
let failure: unknown;
try {
  while (Date.now() < deadline) {
    const scenario = scenarios[Math.floor(Math.random() * scenarios.length)]!;
    results.push(await scenario(env));
  }
} catch (e) {
  failure = e;
} finally {
  await cluster.stop();
  await rm(dir, { recursive: true, force: true });
}
const summary = {
  minutes,
  scenarios: results.length,
  acknowledged: results.reduce((n, r) => n + r.acked, 0),
  worstRedundancySeconds: Math.max(0, ...results.map((r) => r.redundancy.seconds)),
  failed: failure ? String((failure as Error).message ?? failure) : null,
};
if (values.json) console.log(JSON.stringify({ ...summary, results }));
else console.log(summary);
process.exitCode = failure ? 1 : 0;
