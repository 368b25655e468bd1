/**
 * The maintenance API and workers inside one process: POST /v1/pieces/has, GET /v1/status,
 * the repair/scrub config, and repair, rebalance and scrub over a small in-process cluster
 * whose membership the test sets (the end-to-end tests with node processes are in the CLI).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  buildStripe, cidOf, createErasureCoder, parseClusterDescriptor, placeStripe, splitData, verifyShard,
  type ClusterDescriptor, type ClusterNode, type EncodedShard,
} from '@ddc/core';
import type { Membership } from '@ddc/client';
import { loadNodeConfig, parseNodeConfig, startNode, REPAIR_DEFAULTS, SCRUB_DEFAULTS, type RepairRunSummary, type RunningNode } from '../src/index.js';
import { damageStoredShard, json, makeStripe, putShard, randomBytes, rawRequest, startTestNode, tempDir, type TestNode } from './helpers.js';

const silent = () => undefined;

function post(url: string, body?: unknown) {
  const bytes = body === undefined ? undefined : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return rawRequest(url, { method: 'POST', headers: bytes ? { 'content-type': 'application/json', 'content-length': bytes.length } : { 'content-length': 0 }, ...(bytes ? { body: bytes } : {}) });
}

describe('maintenance API on a node without a cluster', () => {
  let t: TestNode;
  let stripe: EncodedShard[];
  before(async () => {
    t = await startTestNode();
    stripe = makeStripe(10_000, 2, 1);
    for (const i of [0, 2]) assert.equal((await putShard(t.node.url, stripe[i]!)).status, 201);
  });
  after(() => t.cleanup());

  it('POST /v1/pieces/has answers the indexes held, per CID as asked', async () => {
    const cid = stripe[0]!.header.pieceCid;
    const other = makeStripe(100)[0]!.header.pieceCid.toString();
    const r = await post(`${t.node.url}/v1/pieces/has`, { pieces: [cid.toString(), other] });
    assert.equal(r.status, 200);
    assert.deepEqual(json(r), { held: { [cid.toString()]: [0, 2], [other]: [] } });
  });

  it('refuses bad has requests', async () => {
    assert.equal((await rawRequest(`${t.node.url}/v1/pieces/has`)).status, 405);
    for (const body of ['nope', '[]', '{"pieces":"x"}', '{"pieces":[1]}', '{"pieces":["not-a-cid"]}', '{"cids":[]}', '{}']) {
      const r = await post(`${t.node.url}/v1/pieces/has`, body);
      assert.equal(r.status, 400, body);
      assert.match(String(json(r).code), /DDC_INVALID_ARGUMENT|DDC_INVALID_CID/);
    }
    const many = { pieces: Array.from({ length: 10_001 }, () => stripe[0]!.header.pieceCid.toString()) };
    assert.equal((await post(`${t.node.url}/v1/pieces/has`, many)).status, 400);
  });

  it('GET /v1/status works without workers; repair and scrub runs are refused', async () => {
    const r = await rawRequest(`${t.node.url}/v1/status`);
    assert.equal(r.status, 200);
    const s = json(r);
    assert.equal(s.nodeId, 'node-1');
    assert.deepEqual(s.store, { shards: 2, bytes: stripe[0]!.bytes.length + stripe[2]!.bytes.length });
    assert.equal(s.membership, null);
    assert.equal(s.repair, null);
    assert.equal(s.scrub, null);
    for (const path of ['/v1/repair/run', '/v1/scrub/run']) {
      const run = await post(`${t.node.url}${path}`);
      assert.equal(run.status, 400);
      assert.equal(json(run).code, 'DDC_INVALID_CONFIG');
    }
  });
});

describe('repair and scrub config', () => {
  const base = { version: 1, id: 'node-1', zone: 'z', dataDir: '/tmp/x' } as const;
  it('fills documented defaults and keeps overrides', () => {
    const c = parseNodeConfig(base);
    assert.deepEqual(c.repair, REPAIR_DEFAULTS);
    assert.deepEqual(c.scrub, SCRUB_DEFAULTS);
    assert.equal(c.cluster, undefined);
    const o = parseNodeConfig({ ...base, repair: { intervalMs: 5000, priority: 'high' }, scrub: { enabled: false } });
    assert.deepEqual(o.repair, { ...REPAIR_DEFAULTS, intervalMs: 5000, priority: 'high' });
    assert.deepEqual(o.scrub, { ...SCRUB_DEFAULTS, enabled: false });
    assert.deepEqual(parseNodeConfig(o), o, 'idempotent');
  });
  it('refuses unknown keys and bad values, with a hint', () => {
    for (const bad of [
      { repair: { intervalMS: 5 } }, { repair: { priority: 'urgent' } }, { repair: { concurrency: 0 } }, { repair: 'fast' },
      { repair: { bandwidthBytesPerSec: -1 } }, { scrub: { bytesPerSec: 1 } }, { scrub: { pace: 1 } }, { cluster: '' }, { cluster: 7 },
    ]) {
      assert.throws(() => parseNodeConfig({ ...base, ...bad }), (e: unknown) => (e as { code?: string; hint?: string }).code === 'DDC_INVALID_CONFIG' && !!(e as { hint?: string }).hint, JSON.stringify(bad));
    }
  });
  it('resolves cluster relative to the config file', async () => {
    const dir = await tempDir();
    try {
      const file = join(dir.path, 'node.json');
      await writeFile(file, JSON.stringify({ ...base, dataDir: 'data', cluster: '../cluster.json' }));
      const c = await loadNodeConfig(file);
      assert.equal(c.cluster, join(dir.path, '..', 'cluster.json'));
    } finally {
      await dir.remove();
    }
  });
});

/** A membership the test sets by hand. */
class TestMembership implements Membership {
  view: ClusterDescriptor | undefined;
  async current(): Promise<ClusterDescriptor> {
    if (!this.view) throw new Error('no view yet');
    return this.view;
  }
}

function realStripe(length: number, k: number, m: number): EncodedShard[] {
  const piece = randomBytes(length);
  const cid = cidOf(0x55, piece);
  const data = splitData(piece, k);
  return buildStripe(cid, length, k, m, [...data, ...createErasureCoder(k, m).encode(data)]);
}

describe('repair, rebalance and scrub in one process', () => {
  const membership = new TestMembership();
  const nodes: RunningNode[] = [];
  const dirs: { remove(): Promise<void> }[] = [];
  let view: ClusterDescriptor;

  before(async () => {
    for (let i = 1; i <= 5; i++) {
      const dir = await tempDir();
      dirs.push(dir);
      nodes.push(await startNode(
        { version: 1, id: `n${i}`, zone: `z${i % 3}`, dataDir: join(dir.path, 'data'), repair: { enabled: false, settleMs: 0 }, scrub: { enabled: false } },
        { log: silent, membership },
      ));
    }
    view = parseClusterDescriptor({ version: 1, clusterId: 't', k: 2, m: 2, nodes: nodes.slice(0, 4).map((n) => ({ id: n.id, url: n.url, zone: n.zone })) });
    membership.view = view;
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    await Promise.all(dirs.map((d) => d.remove()));
  });

  const byId = (id: string) => nodes.find((n) => n.id === id)!;
  const run = async (n: RunningNode, body?: unknown) => {
    const r = await post(`${n.url}/v1/repair/run`, body);
    assert.equal(r.status, 200, r.body.toString());
    return json(r) as unknown as RepairRunSummary;
  };
  const holds = async (n: RunningNode, s: EncodedShard) => (await rawRequest(`${n.url}/v1/shards/${s.id}?verify=1`)).status === 200;

  it('rebuilds the missing shards of a stripe on their homes, led by the lowest holding home', async () => {
    const stripe = realStripe(200_000, 2, 2);
    const homes = placeStripe(stripe[0]!.header.pieceCid.bytes, view.nodes, 4);
    // Only shards 1 and 3 were stored: home 0 is empty, so home 1 leads the repair.
    for (const i of [1, 3]) assert.equal((await putShard(homes[i]!.url, stripe[i]!)).status, 201);
    const [r1, r3] = [await run(byId(homes[1]!.id)), await run(byId(homes[3]!.id))];
    assert.equal(r1.responsibleStripes, 1);
    assert.equal(r1.shardsRepaired, 2);
    assert.equal(r3.responsibleStripes, 0, 'a lower home holds its shard');
    for (const i of [0, 1, 2, 3]) assert.ok(await holds(byId(homes[i]!.id), stripe[i]!), `shard ${i} on its home`);
    const again = await run(byId(homes[0]!.id));
    assert.equal(again.responsibleStripes, 1);
    assert.equal(again.shortStripes, 0);
  });

  it('a leading home whose own copy is damaged quarantines it; the next pass rebuilds both', async () => {
    const stripe = realStripe(200_000, 2, 2);
    const homes = placeStripe(stripe[0]!.header.pieceCid.bytes, view.nodes, 4);
    for (const i of [0, 1, 2]) assert.equal((await putShard(homes[i]!.url, stripe[i]!)).status, 201);
    const lead = byId(homes[0]!.id);
    await damageStoredShard(lead.dataDir, stripe[0]!);
    const first = await run(lead);
    assert.equal(first.quarantined, 1);
    assert.equal(first.shardsRepaired, 0);
    assert.match(first.failures[0]!.message, /quarantined/);
    // Now home 1 leads: it rebuilds shard 0 (on the lead) and shard 3.
    const second = await run(byId(homes[1]!.id));
    assert.equal(second.shardsRepaired, 2);
    for (const i of [0, 1, 2, 3]) assert.ok(await holds(byId(homes[i]!.id), stripe[i]!), `shard ${i} on its home`);
  });

  it('copies a replicated piece (k = 1)', async () => {
    const piece = randomBytes(3000);
    const copies = buildStripe(cidOf(0x55, piece), piece.length, 1, 2, [piece, piece, piece]);
    const homes = placeStripe(copies[0]!.header.pieceCid.bytes, view.nodes, 3);
    assert.equal((await putShard(homes[2]!.url, copies[2]!)).status, 201);
    const r = await run(byId(homes[2]!.id));
    assert.equal(r.shardsRepaired, 2);
    for (const i of [0, 1]) assert.ok(await holds(byId(homes[i]!.id), copies[i]!));
  });

  it('moves shards to a new member and deletes them only after it confirmed', async () => {
    const stripes = Array.from({ length: 12 }, () => realStripe(70_000, 2, 2));
    for (const st of stripes) {
      const homes = placeStripe(st[0]!.header.pieceCid.bytes, view.nodes, 4);
      for (const [i, h] of homes.entries()) assert.equal((await putShard(h.url, st[i]!)).status, 201);
    }
    const grown = parseClusterDescriptor({ ...view, nodes: [...view.nodes, { id: 'n5', url: byId('n5').url, zone: byId('n5').zone }] });
    membership.view = grown;
    const summaries = await Promise.all(nodes.map((n) => run(n)));
    const moved = summaries.reduce((n, s) => n + s.shardsMoved, 0);
    assert.ok(moved > 0, 'some homes moved to n5');
    for (const st of stripes) {
      const homes = placeStripe(st[0]!.header.pieceCid.bytes, grown.nodes, 4);
      for (const [i, shard] of st.entries()) {
        for (const n of nodes) assert.equal(await holds(n, shard), n.id === homes[i]!.id, `${shard.id.slice(0, 8)} (index ${i}) only on its home ${homes[i]!.id}, checked ${n.id}`);
      }
    }
    view = grown;
  });

  it('scrub quarantines a damaged copy and rebuilds it from siblings', async () => {
    const stripe = realStripe(300_000, 2, 2);
    const homes = placeStripe(stripe[0]!.header.pieceCid.bytes, view.nodes, 4);
    for (const [i, h] of homes.entries()) assert.equal((await putShard(h.url, stripe[i]!)).status, 201);
    const victim = byId(homes[1]!.id);
    await damageStoredShard(victim.dataDir, stripe[1]!);
    const r = await post(`${victim.url}/v1/scrub/run`);
    assert.equal(r.status, 200);
    const pass = json(r) as { bad: number; repaired: number; findings: { id: string; repaired: boolean; quarantined: string }[] };
    assert.equal(pass.bad, 1);
    assert.equal(pass.findings[0]!.id, stripe[1]!.id);
    assert.equal(pass.findings[0]!.repaired, true);
    assert.match(pass.findings[0]!.quarantined, /quarantine/);
    const back = await rawRequest(`${victim.url}/v1/shards/${stripe[1]!.id}?verify=1`);
    assert.equal(back.status, 200);
    verifyShard(back.body, stripe[1]!.id);
  });

  it('scrub reads shards larger than its read buffer: a byte flipped past the first MiB is found, intact copies pass', async () => {
    const stripe = realStripe(5_000_000, 2, 1); // 2.5 MB shards: three reads each
    const homes = placeStripe(stripe[0]!.header.pieceCid.bytes, view.nodes, 3);
    for (const [i, h] of homes.entries()) assert.equal((await putShard(h.url, stripe[i]!)).status, 201);
    const victim = byId(homes[1]!.id);
    const file = join(victim.dataDir, 'shards', stripe[1]!.id.slice(0, 2), stripe[1]!.id);
    const bad = Buffer.from(stripe[1]!.bytes);
    bad[2_200_000]! ^= 1;
    await writeFile(file, bad);
    const mine = new Set(stripe.map((sh) => sh.id));
    const findingsOn = async (n: RunningNode) => {
      const r = await post(`${n.url}/v1/scrub/run`);
      assert.equal(r.status, 200);
      return (json(r) as { findings: { id: string; repaired: boolean }[] }).findings.filter((f) => mine.has(f.id));
    };
    const found = await findingsOn(victim);
    assert.deepEqual(found.map((f) => [f.id, f.repaired]), [[stripe[1]!.id, true]]);
    for (const i of [0, 2]) assert.deepEqual(await findingsOn(byId(homes[i]!.id)), [], `shard ${i} is intact`);
    verifyShard((await rawRequest(`${victim.url}/v1/shards/${stripe[1]!.id}?verify=1`)).body, stripe[1]!.id);
  });
});

describe('repair with a lying source', () => {
  const membership = new TestMembership();
  const nodes: RunningNode[] = [];
  const dirs: { remove(): Promise<void> }[] = [];

  before(async () => {
    for (const [i, faults] of [[1, undefined], [2, undefined], [3, undefined], [4, { corruptReads: true }]] as const) {
      const dir = await tempDir();
      dirs.push(dir);
      nodes.push(await startNode(
        { version: 1, id: i === 4 ? 'liar' : `h${i}`, zone: `z${i % 3}`, dataDir: join(dir.path, 'data'), repair: { enabled: false, settleMs: 0 }, scrub: { enabled: false }, ...(faults ? { faults } : {}) },
        { log: silent, membership },
      ));
    }
    membership.view = parseClusterDescriptor({ version: 1, clusterId: 't', k: 2, m: 2, nodes: nodes.map((n) => ({ id: n.id, url: n.url, zone: n.zone })) });
  });
  after(async () => {
    await Promise.all(nodes.map((n) => n.close()));
    await Promise.all(dirs.map((d) => d.remove()));
  });

  it('its home refuses the unchecked rebuild; the checked one finds the liar and uses another source', async () => {
    const view = membership.view!;
    const byId = (id: string) => nodes.find((n) => n.id === id)!;
    // k = 2: the leader (home 0) has its own shard and fetches one more, in index order: the
    // liar's first when the liar is home 1. Find a stripe placed that way.
    let stripe: EncodedShard[];
    let homes: ClusterNode[];
    do {
      stripe = realStripe(200_000, 2, 2);
      homes = placeStripe(stripe[0]!.header.pieceCid.bytes, view.nodes, 4);
    } while (homes[1]!.id !== 'liar');
    const [l, honest, missing] = [1, 2, 3];
    for (const i of [0, l, honest]) assert.equal((await putShard(byId(homes[i]!.id).url, stripe[i]!)).status, 201);
    const r = await post(`${byId(homes[0]!.id).url}/v1/repair/run`);
    assert.equal(r.status, 200, r.body.toString());
    const summary = json(r) as unknown as RepairRunSummary;
    assert.equal(summary.shardsRepaired, 1);
    assert.equal((await rawRequest(`${byId(homes[missing]!.id).url}/v1/shards/${stripe[missing]!.id}?verify=1`)).status, 200, 'the missing shard is on its home, intact');
    assert.deepEqual(summary.failures.map((f) => [f.node, f.index, f.code]), [['liar', l, 'DDC_SHARD_ROOT_MISMATCH']]);
  });
});
