/**
 * The dev cluster on the dev chain, end to end (real anvil, real node processes): nodes are
 * registered, bonded and joined on chain with their identity keys and take membership from
 * the chain; a node joined mid-test receives shards after rebalancing; a node that unbonds
 * has its shards moved off before its stake unlocks, and only then can it leave.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChainMembership, createClient, type DdcClient } from '@ddc/client';
import { isDdcError } from '@ddc/core';
import { connectLedger, getCluster, getClusterNodes, getNode, nodeIdFromKey, type Ledger } from '@ddc/ledger/node';
import type { DevChainFile } from '../src/index.js';
import { startCluster, randomBytes } from './helpers.js';
import { repairAll, repairRun, status, total, waitForMembership } from './maintenance-helpers.js';

const MiB = 1024 * 1024;
const UNBONDING_DELAY = 15;
let env: Awaited<ReturnType<typeof startCluster>>;
let reader: Ledger;
let membership: ChainMembership;
let client: DdcClient;
const stored = new Map<string, Uint8Array>();

before(async () => {
  env = await startCluster({
    nodes: 6, zones: 3, k: 4, m: 2,
    chain: { terms: { unbondingDelay: UNBONDING_DELAY }, pollMs: 200 },
    // Passes run when the test asks (POST /v1/repair/run), not on timers.
    nodeConfig: () => ({ repair: { enabled: false, settleMs: 300 }, scrub: { enabled: false } }),
  });
  const chain = env.cluster.chain!;
  // A client that reads membership from the chain, as any client without a descriptor does.
  reader = connectLedger({ deployment: chain.ledger.deployment, rpcUrl: chain.chain.rpcUrl, pollingIntervalMs: 50 });
  membership = await ChainMembership.open({ ledger: reader, clusterId: chain.clusterId, pollMs: 200 });
  client = createClient({ cluster: membership, hedgeAfterMs: 200, nodeCooldownMs: 300 });
});

after(async () => {
  await client?.close();
  await membership?.close();
  await env?.close();
});

async function shardsOn(url: string): Promise<number> {
  const info = (await (await fetch(`${url}/info`)).json()) as { shards: number };
  return info.shards;
}

/** The chain's view has reached this process's ChainMembership and every running node. */
async function allSeeChain(): Promise<void> {
  await membership.reload();
  assert.deepEqual(await membership.current(), env.cluster.descriptor(), 'the client and the runner see the same chain view');
  await waitForMembership(env.cluster);
}

/**
 * Repair passes on every running node until one has nothing left to do. Passes that run at
 * once may see a shard in flight between nodes and record a failure the next pass retries;
 * the pass that finds nothing to move or rebuild must also have no failures.
 */
async function rebalance(): Promise<{ moved: number; passes: number }> {
  let moved = 0;
  for (let pass = 1; pass <= 6; pass++) {
    const passes = await repairAll(env.cluster);
    moved += total(passes, 'shardsMoved');
    if (total(passes, 'shardsMoved') + total(passes, 'shardsRepaired') === 0) {
      assert.equal(total(passes, 'failureCount'), 0, JSON.stringify([...passes.values()].flatMap((s) => s.failures)));
      return { moved, passes: pass };
    }
  }
  assert.fail('repair passes kept finding work');
}

async function assertAllHealthy(why: string): Promise<void> {
  for (const [cid, bytes] of stored) {
    const r = await client.verify(cid);
    const bad = r.pieces.flatMap((p) => p.shards.filter((s) => s.status !== 'ok').map((s) => `${p.cid.slice(-8)}#${s.index}@${s.nodeId}:${s.status}`));
    assert.ok(r.healthy, `${why}: ${bad.slice(0, 6).join(', ')}`);
    assert.deepEqual(await client.getBytes(cid), bytes, `${why}: bytes`);
  }
}

test('the dev cluster comes up on the chain: every node registered with its key and active, named by it', async () => {
  const { chain, ledger, clusterId } = env.cluster.chain!;
  const file = JSON.parse(await readFile(env.cluster.chainFile, 'utf8')) as DevChainFile;
  assert.equal(file.rpcUrl, chain.rpcUrl);
  assert.equal(file.clusterId, clusterId);
  assert.equal((await getCluster(ledger, clusterId)).terms.unbondingDelay, UNBONDING_DELAY);
  const onChain = await getClusterNodes(ledger, clusterId);
  assert.equal(onChain.length, 6);
  assert.ok(onChain.every((n) => n.status === 'active'));
  const keys = new Set(onChain.map((n) => n.nodeKey.slice(2).toLowerCase()));
  for (const n of env.cluster.nodes.values()) {
    assert.ok(keys.has(n.publicKey!), `${n.id}'s identity key is on chain`);
    const info = (await (await fetch(`${n.url}/info`)).json()) as { nodeId: string; publicKey: string };
    assert.equal(info.nodeId, nodeIdFromKey(`0x${n.publicKey!}`), 'the node calls itself what the chain calls it');
    assert.equal(env.cluster.memberId(n.id), info.nodeId);
  }
  // cluster.json mirrors the chain for descriptor readers.
  const fileView = JSON.parse(await readFile(env.cluster.clusterFile, 'utf8')) as { nodes: { id: string }[] };
  assert.deepEqual(fileView.nodes.map((n) => n.id), (await membership.current()).nodes.map((n) => n.id));
  await allSeeChain();
  for (const size of [3 * MiB + 5, 2 * MiB, 100_000, 3000]) {
    const bytes = randomBytes(size);
    stored.set((await client.put(bytes)).cid.toString(), bytes);
  }
  await assertAllHealthy('stored');
});

test('a node registered and joined on chain mid-test receives shards after rebalancing', async () => {
  const { ledger } = env.cluster.chain!;
  const added = await env.cluster.addNode();
  assert.equal((await getNode(ledger, `0x${added.publicKey!}`)).status, 'active');
  assert.equal(await shardsOn(added.url), 0);
  await allSeeChain();
  assert.equal((await membership.current()).nodes.length, 7);
  const { moved } = await rebalance();
  assert.ok(moved > 0, 'shards moved to their new home');
  assert.ok((await shardsOn(added.url)) > 0, 'the new node holds shards');
  await assertAllHealthy('after the join');
});

test('a node that unbonds on chain has its shards moved off before its stake unlocks, then leaves', async () => {
  const { ledger } = env.cluster.chain!;
  const victim = env.cluster.nodes.get('node-2')!;
  const key = `0x${victim.publicKey!}` as const;
  const held = await shardsOn(victim.url);
  assert.ok(held > 0);
  await env.cluster.removeNode(victim.id); // unbond on chain
  const unbonding = await getNode(ledger, key);
  assert.equal(unbonding.status, 'unbonding');
  const unlockAt = Number(unbonding.unlockAt);
  await allSeeChain();
  assert.ok(!(await membership.current()).nodes.some((n) => n.id === env.cluster.memberId(victim.id)), 'out of placement');
  assert.equal((await status(victim.url)).membership!.nodes, 6, 'the victim sees the cluster without itself');

  // The unbonding node pushes every shard it holds to its new home, then the others settle theirs.
  const drained = await repairRun(victim.url);
  assert.equal(drained.failureCount, 0, JSON.stringify(drained.failures));
  assert.equal(drained.shardsMoved, held, 'the unbonding node moved all its shards away');
  assert.equal(await shardsOn(victim.url), 0, 'it holds no shards');
  await rebalance();
  assert.equal(await shardsOn(victim.url), 0, 'and gets none back');
  await assertAllHealthy('after the drain');
  const block = await ledger.publicClient.getBlock({ blockTag: 'latest' });
  assert.ok(Number(block.timestamp) < unlockAt && Date.now() / 1000 < unlockAt, 'all of that before the stake unlocked');

  // Leaving is refused while the stake is locked; the node keeps running meanwhile.
  await assert.rejects(env.cluster.retireNode(victim.id), (e: unknown) => isDdcError(e, 'DDC_LEDGER_REVERT') && (e.details as { errorName?: string }).errorName === 'StakeLocked');
  assert.ok(victim.process, 'still running');
  // The stake unlocks on chain time: wait for a block past it (CI once saw the leave refused by a block a second behind the wall clock).
  while ((await minedBlockTime(ledger)) < unlockAt) await sleep(250);
  await env.cluster.retireNode(victim.id);
  const left = await getNode(ledger, key);
  assert.equal(left.status, 'idle');
  assert.equal(left.bond, 0n, 'the bond came back');
  await assertAllHealthy('after the leave');
});

/** Mines a block and returns its timestamp: the time the next call is checked against. */
async function minedBlockTime(ledger: Ledger): Promise<number> {
  await ledger.publicClient.request({ method: 'evm_mine', params: [] } as never);
  return Number((await ledger.publicClient.getBlock({ blockTag: 'latest' })).timestamp);
}
