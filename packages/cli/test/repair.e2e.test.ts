/**
 * Repair and scrub end to end: real node processes (DevCluster) watching the descriptor
 * file, passes triggered with POST /v1/repair/run and /v1/scrub/run (timers off, so every
 * pass in these tests is one the test asked for).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient, type DdcClient } from '@ddc/client';
import { parseCid, placeStripe, stripeLayout } from '@ddc/core';
import { startCluster, randomBytes } from './helpers.js';
import { nodeIdentity, repairAll, repairRun, scrubRun, signedHeaders, status, total, waitForMembership } from './maintenance-helpers.js';

const MiB = 1024 * 1024;
let env: Awaited<ReturnType<typeof startCluster>>;
let client: DdcClient;
const stored = new Map<string, Uint8Array>();

before(async () => {
  env = await startCluster({
    nodes: 6, zones: 3, k: 4, m: 2,
    // Shards above 68 KiB as files (the default keeps a 1 MiB piece's shards inside LMDB): these
    // tests damage and delete shard files; storage and self-heal damage shards inside LMDB.
    nodeConfig: () => ({ repair: { enabled: false, settleMs: 200 }, scrub: { enabled: false, bytesPerSec: 256 * MiB }, inlineThreshold: 68 * 1024 }),
  });
  client = createClient({ cluster: env.cluster.descriptor(), hedgeAfterMs: 200, nodeCooldownMs: 300 });
  await waitForMembership(env.cluster);
});

after(async () => {
  await client?.close();
  await env?.close();
});

async function assertHealthy(cid: string, why: string): Promise<void> {
  const r = await client.verify(cid);
  const bad = r.pieces.flatMap((p) => p.shards.filter((s) => s.status !== 'ok').map((s) => `${p.cid}#${s.index}@${s.nodeId}:${s.status}`));
  assert.ok(r.healthy, `${why}: ${bad.slice(0, 5).join(', ')}`);
  assert.deepEqual(await client.getBytes(cid), stored.get(cid), `${why}: bytes read back`);
}

async function putObject(size: number): Promise<{ cid: string; missing: number }> {
  const bytes = randomBytes(size);
  const r = await client.put(bytes);
  stored.set(r.cid.toString(), bytes);
  return { cid: r.cid.toString(), missing: r.missingShards.length };
}

test('a degraded write is filled in once the node is back and a pass runs; exactly one node repairs each stripe', async () => {
  const victim = 'node-3';
  await env.cluster.stopNode(victim, 'SIGKILL');
  let big: { cid: string; missing: number };
  let small: { cid: string; missing: number };
  const fresh = createClient({ cluster: env.cluster.descriptor(), hedgeAfterMs: 200 });
  try {
    const b1 = randomBytes(3 * MiB + 12345);
    const b2 = randomBytes(5000);
    const r1 = await fresh.put(b1);
    const r2 = await fresh.put(b2);
    stored.set(r1.cid.toString(), b1);
    stored.set(r2.cid.toString(), b2);
    big = { cid: r1.cid.toString(), missing: r1.missingShards.length };
    small = { cid: r2.cid.toString(), missing: r2.missingShards.length };
  } finally {
    await fresh.close();
    await env.cluster.startNode(victim);
  }
  assert.ok(big.missing > 0, 'some shards belonged on the stopped node');
  await waitForMembership(env.cluster);
  assert.equal((await client.verify(big.cid)).healthy, false, 'degraded before repair');

  const passes = await repairAll(env.cluster);
  assert.equal(total(passes, 'failureCount'), 0, JSON.stringify([...passes.values()].flatMap((s) => s.failures)));
  // One responsible node per stripe: every missing shard rebuilt exactly once.
  assert.equal(total(passes, 'shardsRepaired'), big.missing + small.missing);
  assert.equal(passes.get(victim)!.shardsRepaired, 0);
  await assertHealthy(big.cid, 'after repair');
  await assertHealthy(small.cid, 'small piece after repair');

  // A second pass finds nothing to do.
  const again = await repairAll(env.cluster);
  assert.equal(total(again, 'shardsRepaired'), 0);
  assert.equal(total(again, 'shortStripes'), 0);
});

test('a node restarted with its data folder deleted gets every shard back, byte-identical', async () => {
  const objects = [await putObject(2 * MiB + 7), await putObject(40_000), await putObject(MiB)];
  const victim = 'node-5';
  const before = await status(env.cluster.nodes.get(victim)!.url);
  assert.ok(before.store.shards > 0);
  await env.cluster.stopNode(victim, 'SIGKILL');
  await rm(join(env.cluster.dir, 'nodes', victim, 'data'), { recursive: true, force: true });
  await env.cluster.startNode(victim);
  await waitForMembership(env.cluster);
  assert.equal((await status(env.cluster.nodes.get(victim)!.url)).store.shards, 0);

  const passes = await repairAll(env.cluster);
  assert.equal(total(passes, 'failureCount'), 0, JSON.stringify([...passes.values()].flatMap((s) => s.failures)));
  assert.equal(total(passes, 'shardsRepaired'), before.store.shards);
  const after = await status(env.cluster.nodes.get(victim)!.url);
  assert.equal(after.store.shards, before.store.shards);
  assert.equal(after.store.bytes, before.store.bytes);
  for (const o of objects) await assertHealthy(o.cid, 'after rebuilding the wiped node');
  for (const cid of stored.keys()) await assertHealthy(cid, 'every object');
});

async function shardFiles(dataDir: string): Promise<string[]> {
  const out: string[] = [];
  const root = join(dataDir, 'shards');
  for (const fan of await readdir(root)) for (const f of await readdir(join(root, fan))) out.push(join(root, fan, f));
  return out;
}

test('flipped bytes in a shard file: scrub finds, quarantines and repairs the copy', async () => {
  const { cid } = await putObject(3 * MiB);
  const node = env.cluster.nodes.get('node-2')!;
  const files = await shardFiles(join(env.cluster.dir, 'nodes', 'node-2', 'data'));
  assert.ok(files.length > 0, 'node-2 holds file shards');
  const file = files[0]!;
  const id = file.slice(file.lastIndexOf('/') + 1);
  const original = await readFile(file);
  const damaged = Buffer.from(original);
  for (const at of [original.length - 1, original.length >> 1, original.length - 5000]) damaged[at]! ^= 0x5a;
  await writeFile(file, damaged);

  const pass = await scrubRun(node.url);
  assert.equal(pass.error, null);
  assert.equal(pass.bad, 1);
  assert.equal(pass.repaired, 1);
  const finding = pass.findings[0]!;
  assert.equal(finding.id, id);
  assert.equal(finding.repaired, true, JSON.stringify(finding));
  assert.match(finding.error.code, /DDC_SHARD_ROOT_MISMATCH|DDC_SHARD_MALFORMED/);
  assert.ok(finding.quarantined, 'the bad copy was kept');
  assert.deepEqual(await readFile(finding.quarantined), damaged, 'quarantine holds the damaged bytes');
  assert.deepEqual(await readFile(file), original, 'the rebuilt copy is the original shard');
  const s = await status(node.url);
  assert.equal(s.scrub!.findings.length, 1);
  assert.ok(s.scrub!.lastFullPassAt);

  const clean = await scrubRun(node.url);
  assert.equal(clean.bad, 0);
  assert.ok(clean.shardsChecked > 0 && clean.bytesChecked > 0);
  await assertHealthy(cid, 'after scrub');
  for (const cid of stored.keys()) await assertHealthy(cid, 'every object');
});

test('a shard file deleted from disk is found by scrub and rebuilt', async () => {
  const node = env.cluster.nodes.get('node-4')!;
  const files = await shardFiles(join(env.cluster.dir, 'nodes', 'node-4', 'data'));
  const file = files[files.length - 1]!;
  const original = await readFile(file);
  await rm(file);
  const pass = await scrubRun(node.url);
  assert.equal(pass.bad, 1);
  assert.equal(pass.findings[0]!.error.code, 'DDC_SHARD_NOT_FOUND');
  assert.equal(pass.findings[0]!.repaired, true);
  assert.deepEqual(await readFile(file), original);
  assert.ok((await stat(file)).size > 0);
});

test('two nodes repairing the same stripe at once store one correct shard', async () => {
  const { cid } = await putObject(4 * MiB);
  const view = env.cluster.descriptor();
  // The first leaf piece: a coded stripe of k + m shards.
  const r = await client.stat(cid);
  const pieces = r.pieces.filter((p) => !p.replicated).slice(0, 3);
  assert.ok(pieces.length > 0);
  for (const [n, piece] of pieces.entries()) {
    const layout = stripeLayout(piece.length, view);
    const homes = placeStripe(parseCid(piece.cid).bytes, view.nodes, layout.count);
    const lost = n % layout.count;
    const lostShard = piece.shards[lost]!;
    // Deleting a shard takes a peer's signature: here the node's own key.
    const target = `${homes[lost]!.url}/v1/shards/${lostShard.shardId}`;
    const del = await fetch(target, { method: 'DELETE', headers: await signedHeaders('DELETE', target, undefined, await nodeIdentity(env.cluster, homes[lost]!.id)) });
    assert.equal(del.status, 204);
    // Two other homes both run the repair routine for this stripe, forced past the responsibility rule.
    const [a, b] = homes.filter((_, i) => i !== lost).slice(0, 2);
    const [ra, rb] = await Promise.all([repairRun(a!.url, { pieces: [piece.cid], force: true }), repairRun(b!.url, { pieces: [piece.cid], force: true })]);
    assert.equal(ra.failureCount + rb.failureCount, 0, JSON.stringify([ra.failures, rb.failures]));
    // Both rebuilt and sent the shard; the home stored it once (201) and answered the other 200.
    assert.equal(ra.shardsRepaired + ra.alreadyPresent, 1);
    assert.equal(rb.shardsRepaired + rb.alreadyPresent, 1);
    assert.equal(ra.shardsRepaired + rb.shardsRepaired, 1);
    const check = await fetch(`${homes[lost]!.url}/v1/pieces/${piece.cid}/${lost}?verify=1`);
    assert.equal(check.status, 200, 'the stored copy verifies');
    assert.equal(check.headers.get('x-ddc-shard-id'), lostShard.shardId);
    await check.arrayBuffer();
    const listed = (await (await fetch(`${homes[lost]!.url}/v1/pieces/${piece.cid}`)).json()) as { shards: { id: string; index: number }[] };
    assert.deepEqual(listed.shards.map((s) => [s.index, s.id]), [[lost, lostShard.shardId]], 'one copy, under its id');
  }
  await assertHealthy(cid, 'after concurrent repairs');
});

test('status shows membership, store, repair and scrub', async () => {
  const s = await status(env.cluster.nodes.get('node-1')!.url);
  assert.equal(s.nodeId, 'node-1');
  assert.equal(s.membership!.nodes, 6);
  assert.match(s.membership!.hash!, /^[0-9a-f]{16}$/);
  assert.ok(s.store.shards > 0);
  assert.ok(s.repair!.last, 'the last pass is kept');
  assert.equal(s.repair!.running, false);
});
