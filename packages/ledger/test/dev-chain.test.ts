/** The dev chain keeps its state across restarts; the deployment file is written once and reused. */
import { after, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as L from './imports.js';

const dir = await mkdtemp(join(tmpdir(), 'ddc-devchain-test-'));
after(() => rm(dir, { recursive: true, force: true }));

const terms: L.ClusterTerms = { pricePerGbMonth: 0n, pricePerGbTransferred: 0n, pricePerMillionRequests: 0n, treasuryBps: 0, validatorBps: 0, reserveBps: 0, nodeBond: 1n, unbondingDelay: 1, depositUnlockDelay: 1 };

it('deploys on first start, funds dev accounts, and keeps everything across a restart', async () => {
  const lines: string[] = [];
  let chain = await L.DevChain.start({ dir, log: (l) => lines.push(l) });
  let bucketId: bigint;
  let first: L.Deployment;
  try {
    assert.match(chain.rpcUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    const r = await chain.ensureDeployment({ fund: '500' });
    assert.equal(r.created, true);
    first = r.deployment;
    assert.deepEqual(L.parseDeployment(JSON.parse(await readFile(chain.deploymentFile, 'utf8'))), first);
    // The accounts derived from the printed mnemonic are the ones anvil funds.
    const client = L.connectLedger({ deployment: first, rpcUrl: chain.rpcUrl, account: chain.accounts[1]!.privateKey });
    const anvilAccounts = (await client.publicClient.request({ method: 'eth_accounts' } as never)) as string[];
    assert.deepEqual(anvilAccounts.map((a) => a.toLowerCase()), chain.accounts.map((a) => a.address.toLowerCase()));
    assert.equal(await L.tokenBalance(client, chain.accounts[9]!.address), L.parseCere('500'));
    const { clusterId } = await L.createCluster(client, { layout: { k: 1, m: 0, replicationThreshold: 0 }, terms });
    bucketId = (await L.createBucket(client, { clusterId, isPublic: true })).bucketId;
  } finally {
    await chain.stop();
  }
  chain = await L.DevChain.start({ dir });
  try {
    const r = await chain.ensureDeployment();
    assert.equal(r.created, false);
    assert.deepEqual(r.deployment, first);
    const client = L.connectLedger({ deployment: r.deployment, rpcUrl: chain.rpcUrl });
    assert.equal((await L.getBucket(client, bucketId)).owner, chain.accounts[1]!.address);
  } finally {
    await chain.stop();
  }
  assert.ok(lines.some((l) => l.includes('dev chain: anvil on')));
});

it('redeploys when the state was wiped but the deployment file remains', async () => {
  await rm(join(dir, 'chain-state.json'), { force: true });
  const chain = await L.DevChain.start({ dir });
  try {
    const r = await chain.ensureDeployment();
    assert.equal(r.created, true);
  } finally {
    await chain.stop();
  }
});

it('refuses unknown options and a damaged deployment file', async () => {
  await assert.rejects(L.DevChain.start({ dir, colour: 'red' } as never), { code: 'DDC_INVALID_CONFIG' });
  const path = join(dir, 'bad.json');
  await writeFile(path, '{"format":"ddc-ledger-deployment","version":2}');
  await assert.rejects(L.readDeploymentFile(path), { code: 'DDC_LEDGER_DEPLOYMENT', message: /version 2/ });
  await assert.rejects(L.readDeploymentFile(join(dir, 'missing.json')), { code: 'DDC_LEDGER_DEPLOYMENT' });
});

it('parses deployments strictly', () => {
  const good = {
    format: 'ddc-ledger-deployment', version: 1, chainId: 31337, deployBlock: 1, deployer: '0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266', devToken: true,
    contracts: Object.fromEntries(['token', 'clusters', 'nodes', 'buckets', 'deposits', 'validators'].map((k, i) => [k, `0x${String(i + 1).repeat(40)}`])),
  };
  const d = L.parseDeployment(good);
  assert.equal(d.deployer, '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
  assert.throws(() => L.parseDeployment({ ...good, extra: 1 }), { code: 'DDC_LEDGER_DEPLOYMENT', message: /unknown key "extra"/ });
  assert.throws(() => L.parseDeployment({ ...good, contracts: { ...good.contracts, nodes: '0x12' } }), { message: /contracts.nodes is not an address/ });
  assert.throws(() => L.parseDeployment({ ...good, chainId: 0 }), { code: 'DDC_LEDGER_DEPLOYMENT' });
  assert.deepEqual(L.parseDeployment(JSON.parse(L.serializeDeployment(d))), d);
  assert.equal(L.nodeIdFromKey(`0x${'ab'.repeat(32)}`), `n${'ab'.repeat(12)}`);
});

it('ensureDevCluster creates, registers, bonds and joins once, and follows changed URLs', async () => {
  const d = await mkdtemp(join(tmpdir(), 'ddc-devcluster-test-'));
  const chain = await L.DevChain.start({ dir: d });
  try {
    const { deployment } = await chain.ensureDeployment();
    const ledger = L.connectLedger({ deployment, rpcUrl: chain.rpcUrl, account: chain.accounts[0]!.privateKey, pollingIntervalMs: 20 });
    const nodes = [1, 2, 3].map((i) => ({ nodeKey: `0x${String(i).repeat(64)}` as `0x${string}`, url: `http://127.0.0.1:${7000 + i}`, zone: `z${i}` }));
    const layout = { k: 2, m: 1, replicationThreshold: 65536 };
    const first = await L.ensureDevCluster(ledger, { layout, nodes });
    assert.equal(first.clusterId, 1);
    assert.equal(first.changed.length, 1 + 3 * 3);
    assert.deepEqual((await L.getClusterNodes(ledger, 1)).map((n) => n.status), ['active', 'active', 'active']);
    assert.deepEqual((await L.ensureDevCluster(ledger, { layout, nodes })).changed, []);
    const moved = await L.ensureDevCluster(ledger, { layout, nodes: nodes.map((n, i) => (i === 0 ? { ...n, url: 'http://127.0.0.1:9001' } : n)) });
    assert.equal(moved.changed.length, 1);
    assert.equal((await L.getNode(ledger, nodes[0]!.nodeKey)).url, 'http://127.0.0.1:9001');
    await assert.rejects(L.ensureDevCluster(ledger, { layout: { ...layout, k: 3 }, nodes }), { code: 'DDC_INVALID_CONFIG' });
  } finally {
    await chain.stop();
    await rm(d, { recursive: true, force: true });
  }
});
