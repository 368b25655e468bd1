/** ChainMembership against a real anvil: the view follows joins, chills and unbonds on chain. */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hex } from 'viem';
import { DevChain, connectLedger, createCluster, registerNode, bond, joinCluster, chill, unbond, nodeIdFromKey, type Ledger } from '@ddc/ledger/node';
import { ChainMembership, type ChainMembershipChange } from '../src/index.js';

let chain: DevChain;
let dir: string;
let manager: Ledger;
let provider: Ledger;
let clusterId: number;
const key = (n: number): Hex => `0x${n.toString(16).padStart(2, '0').repeat(32)}` as Hex;

async function addNode(n: number, zone: string): Promise<void> {
  await registerNode(provider, { nodeKey: key(n), url: `http://127.0.0.1:${7000 + n}`, zone, capacity: 1n << 40n });
  await bond(provider, key(n), 10n);
  await joinCluster(provider, key(n), clusterId);
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ddc-chain-membership-'));
  chain = await DevChain.start({ dir });
  const { deployment } = await chain.ensureDeployment();
  manager = connectLedger({ deployment, rpcUrl: chain.rpcUrl, account: chain.accounts[0]!.privateKey, pollingIntervalMs: 20 });
  provider = connectLedger({ deployment, rpcUrl: chain.rpcUrl, account: chain.accounts[1]!.privateKey, pollingIntervalMs: 20 });
  const terms = { pricePerGbMonth: 0n, pricePerGbTransferred: 0n, pricePerMillionRequests: 0n, treasuryBps: 0, validatorBps: 0, reserveBps: 0, nodeBond: 10n, unbondingDelay: 60, depositUnlockDelay: 60 };
  clusterId = (await createCluster(manager, { layout: { k: 2, m: 1, replicationThreshold: 4096 }, terms })).clusterId;
  for (const [i, zone] of ['a', 'b', 'c'].entries()) await addNode(0x31 + i, zone);
});
after(async () => {
  await chain?.stop();
  await rm(dir, { recursive: true, force: true });
});

function nextChange(m: ChainMembership): Promise<ChainMembershipChange> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no membership change within 10 s (last error: ${m.lastError?.message})`)), 10_000);
    const off = m.onChange((c) => {
      off();
      clearTimeout(timer);
      resolve(c);
    });
  });
}

it('reads the active nodes and layout, then follows joins, chills and unbonds', async () => {
  const reader = connectLedger({ deployment: provider.deployment, rpcUrl: chain.rpcUrl, pollingIntervalMs: 20 });
  const m = await ChainMembership.open({ ledger: reader, clusterId, pollMs: 30 });
  try {
    const view = await m.current();
    assert.deepEqual([view.k, view.m, view.replicationThreshold, view.clusterId], [2, 1, 4096, `chain-31337-${clusterId}`]);
    assert.deepEqual(view.nodes.map((n) => n.zone).sort(), ['a', 'b', 'c']);
    const first = view.nodes.find((n) => n.zone === 'a')!;
    assert.equal(first.id, nodeIdFromKey(key(0x31)));
    assert.equal(first.publicKey, key(0x31).slice(2));
    assert.equal(first.url, 'http://127.0.0.1:7049');

    let change = nextChange(m);
    await addNode(0x40, 'd');
    assert.equal((await change).view.nodes.length, 4);
    change = nextChange(m);
    await addNode(0x41, 'e');
    assert.equal((await change).view.nodes.length, 5);

    change = nextChange(m);
    await chill(provider, key(0x31));
    assert.ok(!(await change).view.nodes.some((n) => n.zone === 'a'), 'a chilled node leaves placement');

    change = nextChange(m);
    await unbond(provider, key(0x32));
    const afterUnbond = (await change).view;
    assert.deepEqual(afterUnbond.nodes.map((n) => n.zone).sort(), ['c', 'd', 'e']);
    assert.equal(m.snapshot?.version, 5);
  } finally {
    await m.close();
  }
});

it('keeps the last good view when the chain has too few nodes for k + m; refuses bad options', async () => {
  const reader = connectLedger({ deployment: provider.deployment, rpcUrl: chain.rpcUrl });
  const m = await ChainMembership.open({ ledger: reader, clusterId, pollMs: 30 });
  try {
    assert.equal((await m.current()).nodes.length, 3);
    assert.equal(m.lastError, undefined);
  } finally {
    await m.close();
  }
  // Now below k + m = 3 active nodes: the first read fails, so current() rejects.
  await chill(provider, key(0x33));
  await chill(provider, key(0x40));
  const m2 = await ChainMembership.open({ ledger: reader, clusterId, pollMs: 30 });
  try {
    await assert.rejects(m2.current(), { code: 'DDC_INVALID_CLUSTER' });
  } finally {
    await m2.close();
  }
  await assert.rejects(ChainMembership.open({ ledger: reader, clusterId: 99 }), { code: 'DDC_LEDGER_REVERT' });
  await assert.rejects(ChainMembership.open({ ledger: reader, clusterId, every: 1 } as never), { code: 'DDC_INVALID_CONFIG' });
});
