/** The ledger commands through the real `ddc` binary against a real anvil. */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import { encodeKeyFile, generateKeyPair } from '@ddc/core';
import { createTestClient, http } from 'viem';
import { DevChain } from '@ddc/ledger/node';
import { runCli, tempDir } from './helpers.js';

let chain: DevChain;
let dir: { path: string; remove(): Promise<void> };
let flags: string[];
let env: Record<string, string>;

before(async () => {
  dir = await tempDir('ddc-ledger-cli-');
  chain = await DevChain.start({ dir: join(dir.path, 'chain') });
  await chain.ensureDeployment();
  flags = ['--rpc', chain.rpcUrl, '--deployment', chain.deploymentFile];
  env = { DDC_PRIVATE_KEY: chain.accounts[1]!.privateKey };
});
after(async () => {
  await chain?.stop();
  await dir?.remove();
});

async function ddc(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | null; json: Record<string, unknown>; stderr: string }> {
  const r = await runCli([...args, ...flags, '--json'], { env: { ...env, ...extraEnv } });
  return { code: r.code, json: JSON.parse(r.stdout.trim().split('\n').pop() || '{}') as Record<string, unknown>, stderr: r.stderr };
}

const NODE_KEY = `0x${'5a'.repeat(32)}`;

it('chain status, cluster create and show', async () => {
  const s = await ddc(['chain', 'status']);
  assert.equal(s.code, 0, s.stderr);
  assert.equal(s.json.chainId, 31337);
  const c = await ddc(['cluster', 'create', '--k', '2', '--m', '1', '--node-bond', '10', '--unbonding-delay', '1', '--deposit-unlock-delay', '3600']);
  assert.deepEqual(c.json, { clusterId: 1 });
  const show = await ddc(['cluster', 'show', '1']);
  assert.deepEqual(show.json.layout, { k: 2, m: 1, replicationThreshold: 65536 });
  assert.equal((show.json.terms as { nodeBond: string }).nodeBond, '100000000000');
});

it('bucket create|show|ls|rm, with --private; strangers cannot remove', async () => {
  assert.deepEqual((await ddc(['bucket', 'create'])).json, { bucketId: 1 });
  assert.deepEqual((await ddc(['bucket', 'create', '--private'])).json, { bucketId: 2 });
  const shown = await ddc(['bucket', 'show', '2']);
  assert.equal(shown.json.public, false);
  assert.equal(shown.json.owner, chain.accounts[1]!.address);
  const ls = await ddc(['bucket', 'ls']);
  assert.deepEqual((ls.json.buckets as { bucketId: number }[]).map((b) => b.bucketId), [1, 2]);
  const stranger = await ddc(['bucket', 'rm', '1'], { DDC_PRIVATE_KEY: chain.accounts[2]!.privateKey });
  assert.equal(stranger.code, 1);
  assert.equal((stranger.json.error as { details: { errorName: string } }).details.errorName, 'NotBucketOwner');
  assert.equal((await ddc(['bucket', 'rm', '1'])).code, 0);
  const gone = await ddc(['bucket', 'show', '1']);
  assert.equal(gone.code, 1);
  assert.equal((gone.json.error as { code: string }).code, 'DDC_LEDGER_REVERT');
});

it('node register, bond, join, unbond, leave; BondTooSmall says how much is missing', async () => {
  const k = ['--node-key', NODE_KEY];
  assert.equal((await ddc(['node', 'register', ...k, '--url', 'http://127.0.0.1:7001', '--zone', 'z1'])).json.status, 'idle');
  const early = await runCli(['node', 'join', ...k, ...flags], { env });
  assert.equal(early.code, 1);
  assert.match(early.stderr, /DDC_LEDGER_REVERT: NodeRegistry.joinCluster reverted with BondTooSmall: the node's bond is 0 CERE but the cluster requires 10 CERE\. Bond at least 10 CERE more/);
  assert.equal((await ddc(['node', 'bond', ...k, '10'])).json.bond, '10');
  assert.equal((await ddc(['node', 'join', ...k])).json.status, 'active');
  assert.equal((await ddc(['node', 'unbond', ...k])).json.status, 'unbonding');
  // Wait out the delay on the chain's clock.
  const testClient = createTestClient({ mode: 'anvil', transport: http(chain.rpcUrl) });
  await testClient.increaseTime({ seconds: 10 });
  await testClient.mine({ blocks: 1 });
  const left = await ddc(['node', 'leave', ...k]);
  assert.equal(left.code, 0, JSON.stringify(left.json));
  assert.deepEqual([left.json.status, left.json.clusterId], ['idle', 0]);
});

it('deposit, unlock, balance; withdraw before the delay is refused', async () => {
  assert.equal((await ddc(['deposit', '25'])).json.available, '25');
  const u = await ddc(['unlock', '10']);
  assert.deepEqual([u.json.available, u.json.unlocking], ['15', '10']);
  const w = await ddc(['withdraw']);
  assert.equal((w.json.error as { details: { errorName: string } }).details.errorName, 'DepositLocked');
  const b = await ddc(['balance', '--account', chain.accounts[1]!.address]);
  assert.equal(b.json.unlocking, '10');
});

it('secrets never come from flags; a bad key is DDC_LEDGER_ACCOUNT', async () => {
  const flag = await runCli(['bucket', 'create', '--private-key', chain.accounts[1]!.privateKey, ...flags], { env });
  assert.equal(flag.code, 2);
  const bad = await ddc(['bucket', 'create'], { DDC_PRIVATE_KEY: '0x1234' });
  assert.equal((bad.json.error as { code: string }).code, 'DDC_LEDGER_ACCOUNT');
});

it('chain deploy writes a deployment file that the other commands use', async () => {
  const out = join(dir.path, 'deployed.json');
  const r = await runCli(['chain', 'deploy', '--rpc', chain.rpcUrl, '--out', out, '--json'], { env });
  assert.equal(r.code, 0, r.stderr);
  const s = await runCli(['chain', 'status', '--rpc', chain.rpcUrl, '--deployment', out, '--json'], { env });
  const status = JSON.parse(s.stdout) as { clusters: number; contracts: { nodes: string } };
  assert.equal(status.clusters, 0);
  const dev = JSON.parse(await readFile(chain.deploymentFile, 'utf8')) as { contracts: { nodes: string } };
  assert.notEqual(status.contracts.nodes, dev.contracts.nodes, 'a second, separate deployment');
});

it('node register --identity reads the public key from the node identity file', async () => {
  const pair = generateKeyPair();
  const file = join(dir.path, 'identity.key');
  await writeFile(file, encodeKeyFile(pair.secretKey));
  const r = await ddc(['node', 'register', '--identity', file, '--url', 'http://127.0.0.1:7002', '--zone', 'z2']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json.nodeKey, `0x${Buffer.from(pair.publicKey).toString('hex')}`);
});
