/**
 * The chaos suite, sized for CI: nodes as separate processes, each scenario asserting that
 * every acknowledged object reads back byte-identical and that full redundancy returns
 * within a bound. The long version is `npm run chaos -- --minutes N`.
 */
import { test, before, after } from 'node:test';
import { startCluster } from './helpers.js';
import { killDuringWrites, wipeNode, flipBytes, lyingNode, membershipChange, type ChaosEnv } from '../chaos/scenarios.js';
import { partition, partitionSupport } from '../chaos/partition.js';

let env: ChaosEnv;
let close: () => Promise<void>;

before(async () => {
  const faulty = new Map<string, Record<string, unknown>>();
  const started = await startCluster({ nodes: 6, zones: 3, k: 4, m: 2, nodeConfig: (id) => (faulty.has(id) ? { faults: faulty.get(id) } : {}) });
  close = started.close;
  env = {
    cluster: started.cluster,
    faulty,
    loadSeconds: 6,
    maxObjectSize: 3 * 1024 * 1024,
    redundancyTimeoutMs: 90_000,
    log: (line) => console.log(`# chaos: ${line}`),
  };
});

after(async () => close?.());

test('kill -9 of m nodes during writes and reads', () => killDuringWrites(env).then(() => undefined));
test('a node restarted with its data folder deleted', () => wipeNode(env).then(() => undefined));
test('random bytes flipped in stored shards on several nodes', () => flipBytes(env).then(() => undefined));
test('a node serving wrong bytes and wrong proofs is caught by reads and audits', () => lyingNode(env).then(() => undefined));
test('a node added to and removed from the cluster under load', () => membershipChange(env).then(() => undefined));

const support = await partitionSupport();
test('a network partition between two groups of nodes', { skip: support.ok ? false : support.reason }, () => partition({ seconds: 5, log: (line) => console.log(`# chaos: ${line}`) }).then(() => undefined));
