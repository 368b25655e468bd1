/**
 * Rebalancing end to end: nodes added to and removed from the descriptor file while the
 * node processes run. Shards whose home moved are copied there and deleted from the old
 * holder only once the new home confirmed them; a removed node drains.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, type DdcClient } from '@ddc/client';
import { parseCid, placeStripe, stripeLayout, type ClusterDescriptor } from '@ddc/core';
import { startCluster, randomBytes } from './helpers.js';
import { repairAll, repairUntilQuiet, status, total, waitForMembership } from './maintenance-helpers.js';

const MiB = 1024 * 1024;
let env: Awaited<ReturnType<typeof startCluster>>;
const stored = new Map<string, Uint8Array>();

before(async () => {
  env = await startCluster({
    nodes: 6, zones: 3, k: 4, m: 2,
    nodeConfig: () => ({ repair: { enabled: false, settleMs: 200 }, scrub: { enabled: false } }),
  });
  await waitForMembership(env.cluster);
  const client = createClient({ cluster: env.cluster.descriptor() });
  try {
    for (const size of [3 * MiB + 5, 2 * MiB, 100_000, 3000, 5 * MiB - 1]) {
      const bytes = randomBytes(size);
      stored.set((await client.put(bytes)).cid.toString(), bytes);
    }
  } finally {
    await client.close();
  }
});

after(async () => env?.close());

function clientFor(view: ClusterDescriptor): DdcClient {
  return createClient({ cluster: view, hedgeAfterMs: 200, nodeCooldownMs: 300 });
}

/** Every object verifies and reads back byte-identical on the cluster as the descriptor now describes it. */
async function assertAllHealthy(why: string): Promise<void> {
  const client = clientFor(env.cluster.descriptor());
  try {
    for (const [cid, bytes] of stored) {
      const r = await client.verify(cid);
      const bad = r.pieces.flatMap((p) => p.shards.filter((s) => s.status !== 'ok').map((s) => `${p.cid.slice(-8)}#${s.index}@${s.nodeId}:${s.status}`));
      assert.ok(r.healthy, `${why}: ${bad.slice(0, 6).join(', ')}`);
      assert.deepEqual(await client.getBytes(cid), bytes, `${why}: bytes`);
    }
  } finally {
    await client.close();
  }
}

/** Where every shard of every object lives under `view`, and how many shards there are in all. */
async function expectedHomes(view: ClusterDescriptor): Promise<{ perNode: Map<string, number>; count: number }> {
  const client = clientFor(view);
  const perNode = new Map<string, number>(view.nodes.map((n) => [n.id, 0]));
  let count = 0;
  try {
    for (const cid of stored.keys()) {
      for (const p of (await client.stat(cid)).pieces) {
        const homes = placeStripe(parseCid(p.cid).bytes, view.nodes, stripeLayout(p.length, view).count);
        for (const h of homes) perNode.set(h.id, perNode.get(h.id)! + 1);
        count += homes.length;
      }
    }
  } finally {
    await client.close();
  }
  return { perNode, count };
}

/** Every shard each running node holds (GET /v1/shards), as "piece#index/k/m" keys. */
async function holdings(): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  for (const n of env.cluster.nodes.values()) {
    if (!n.process) continue;
    const keys = new Set<string>();
    let after: string | null = null;
    do {
      const page = (await (await fetch(`${n.url}/v1/shards?limit=1000${after ? `&after=${after}` : ''}`)).json()) as { shards: { pieceCid: string; index: number; k: number; m: number }[]; next: string | null };
      for (const sh of page.shards) keys.add(`${sh.pieceCid}#${sh.index}/${sh.k}/${sh.m}`);
      after = page.next;
    } while (after);
    out.set(n.id, keys);
  }
  return out;
}

function homeOf(view: ClusterDescriptor, key: string): string {
  const [cid, rest] = key.split('#') as [string, string];
  const [index, k, m] = rest.split('/').map(Number) as [number, number, number];
  return placeStripe(parseCid(cid).bytes, view.nodes, k + m)[index]!.id;
}

async function shardCounts(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const n of env.cluster.nodes.values()) if (n.process) out.set(n.id, (await status(n.url)).store.shards);
  return out;
}

test('a node added: shards whose home moved go there, and leave the old holder only after it confirmed', async () => {
  await assertAllHealthy('before');
  const before = await holdings();
  const added = await env.cluster.addNode();
  // First the new node is in the descriptor but down: no copy bound for it may be deleted.
  await env.cluster.stopNode(added.id);
  await waitForMembership(env.cluster);
  const view = env.cluster.descriptor();
  const bound = [...before].flatMap(([node, keys]) => [...keys].filter((k) => homeOf(view, k) === added.id).map((k) => [node, k] as const));
  assert.ok(bound.length > 0, 'some shards are bound for the new node');
  const blocked = await repairAll(env.cluster);
  assert.ok(total(blocked, 'failureCount') > 0, 'the moves to the unreachable node failed');
  assert.ok([...blocked.values()].flatMap((s) => s.failures).every((f) => f.node === added.id), 'only the new node failed');
  const during = await holdings();
  for (const [node, key] of bound) assert.ok(during.get(node)!.has(key), `${node} still holds ${key}: its new home has not confirmed it`);
  const sum = (h: Map<string, Set<string>>) => [...h.values()].reduce((n, s) => n + s.size, 0);
  assert.equal(sum(during), sum(before), 'moves between live nodes keep one copy per shard');

  await env.cluster.startNode(added.id);
  await waitForMembership(env.cluster);
  const passes = await repairUntilQuiet(env.cluster);
  const last = passes[passes.length - 1]!;
  assert.equal(total(last, 'failureCount') + total(last, 'shardsMoved') + total(last, 'shardsRepaired'), 0, `repair settles: ${JSON.stringify([...last.values()].flatMap((s) => s.failures))}`);
  const sumOver = (field: 'shardsMoved' | 'shardsRepaired') => passes.reduce((n, p) => n + total(p, field), 0);
  assert.ok(sumOver('shardsMoved') > 0, 'some shards moved to the new node');
  const want = await expectedHomes(env.cluster.descriptor());
  const after = await shardCounts();
  assert.deepEqual(after, want.perNode, 'every node holds exactly the shards it is home to: moved copies were deleted');
  // Each shard on the new node came by a move or a rebuild (a race may count one by both).
  assert.ok(after.get(added.id)! <= sumOver('shardsMoved') + sumOver('shardsRepaired'));
  await assertAllHealthy('after adding a node');
});

test('a node removed from the descriptor but still running drains to the new homes', async () => {
  const victim = 'node-2';
  const held = (await status(env.cluster.nodes.get(victim)!.url)).store.shards;
  assert.ok(held > 0);
  await env.cluster.removeNode(victim);
  await waitForMembership(env.cluster);
  const passes = await repairUntilQuiet(env.cluster);
  const last = passes[passes.length - 1]!;
  assert.equal(total(last, 'failureCount'), 0, JSON.stringify([...last.values()].flatMap((s) => s.failures)));
  const movedOff = passes.reduce((n, p) => n + p.get(victim)!.shardsMoved, 0);
  assert.ok(movedOff > 0, 'the removed node moved its shards');
  assert.equal(movedOff, held, 'all of them');
  const s = await status(env.cluster.nodes.get(victim)!.url);
  assert.equal(s.store.shards, 0, 'drained');
  assert.equal(s.membership!.nodes, 6, 'it sees the descriptor without itself');
  const want = await expectedHomes(env.cluster.descriptor());
  const counts = await shardCounts();
  counts.delete(victim);
  assert.deepEqual(counts, want.perNode);
  await assertAllHealthy('after removing a node');
  await env.cluster.retireNode(victim);
});
