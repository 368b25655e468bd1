/**
 * Chaos scenarios over a dev cluster of real node processes. Each one disturbs the
 * cluster under load, then checks that every acknowledged object reads back
 * byte-identical and that full redundancy returns within a bound.
 */
import assert from 'node:assert/strict';
import { rm, mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { createClient, type DdcClient } from '@ddc/client';
import { DDC_BIN, type DevCluster } from '../src/dev/cluster-runner.js';
import { Workload, readBack, randomObject, type AckedObject } from './workload.js';
import { waitForFullRedundancy, type RedundancyReport } from './redundancy.js';
import { damageShard } from './damage.js';

export interface ChaosEnv {
  cluster: DevCluster;
  /** Nodes given test-only faults at their next start (read by the cluster's nodeConfig). */
  faulty: Map<string, Record<string, unknown>>;
  /** Seconds of load around each disturbance. */
  loadSeconds: number;
  maxObjectSize: number;
  /** Bound on the return to full redundancy. */
  redundancyTimeoutMs: number;
  log: (line: string) => void;
}

export interface ScenarioResult {
  name: string;
  acked: number;
  putsFailed: number;
  readsFailed: number;
  redundancy: RedundancyReport;
  notes: Record<string, unknown>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freshClient(env: ChaosEnv): DdcClient {
  return createClient({ cluster: env.cluster.descriptor(), hedgeAfterMs: 150, nodeCooldownMs: 1000 });
}

function pick<T>(items: readonly T[], n: number): T[] {
  const copy = [...items];
  const out: T[] = [];
  while (out.length < n && copy.length) out.push(copy.splice(Math.floor(Math.random() * copy.length), 1)[0]!);
  return out;
}

function memberIds(env: ChaosEnv): string[] {
  return env.cluster.descriptor().nodes.map((n) => n.id);
}

/** Every acknowledged object must read back byte-identical; then redundancy must return. */
async function settle(env: ChaosEnv, name: string, acked: AckedObject[], stats: { putsFailed: number; readsFailed: number }, notes: Record<string, unknown>, scrub = false): Promise<ScenarioResult> {
  const client = freshClient(env);
  try {
    for (const o of acked) assert.ok(await readBack(client, o), `${name}: ${o.cid} (${o.size} bytes) reads back wrong`);
    const redundancy = await waitForFullRedundancy(env.cluster, client, acked, { timeoutMs: env.redundancyTimeoutMs, scrub });
    assert.ok(redundancy.healthy, `${name}: full redundancy did not return within ${env.redundancyTimeoutMs} ms: ${JSON.stringify(redundancy.unhealthy.slice(0, 3))}`);
    const result = { name, acked: acked.length, putsFailed: stats.putsFailed, readsFailed: stats.readsFailed, redundancy, notes };
    env.log(`${name}: ${acked.length} objects acknowledged, all read back; redundancy back after ${redundancy.passes} repair passes, ${redundancy.seconds.toFixed(1)} s`);
    return result;
  } finally {
    await client.close();
  }
}

async function putSome(client: DdcClient, n: number, maxSize: number): Promise<AckedObject[]> {
  const out: AckedObject[] = [];
  const { createHash } = await import('node:crypto');
  for (let i = 0; i < n; i++) {
    const bytes = randomObject(maxSize);
    const { cid } = await client.put(bytes);
    out.push({ cid: cid.toString(), size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
  }
  return out;
}

/** kill -9 of m nodes, one after the other, during a stream of writes and reads. */
export async function killDuringWrites(env: ChaosEnv): Promise<ScenarioResult> {
  const client = freshClient(env);
  const load = new Workload(client, { writers: 2, readers: 2, maxSize: env.maxObjectSize });
  load.start();
  const m = env.cluster.descriptor().m;
  const victims = pick(memberIds(env), m);
  try {
    for (const id of victims) {
      await sleep((env.loadSeconds * 1000) / (m + 2));
      await env.cluster.stopNode(id, 'SIGKILL');
      env.log(`killDuringWrites: kill -9 ${id}`);
    }
    await sleep((env.loadSeconds * 1000) / (m + 2));
    await Promise.all(victims.map((id) => env.cluster.startNode(id)));
    await sleep((env.loadSeconds * 1000) / (m + 2));
  } finally {
    await load.stop();
    await client.close();
  }
  assert.deepEqual(load.stats.mismatches, [], 'no acknowledged object ever read back wrong');
  return settle(env, 'killDuringWrites', load.acked, load.stats, { victims, failureCodes: load.stats.failureCodes });
}

/** A node's data folder is deleted and the node restarted empty. */
export async function wipeNode(env: ChaosEnv): Promise<ScenarioResult> {
  const client = freshClient(env);
  const acked = await putSome(client, 12, env.maxObjectSize);
  await client.close();
  const [victim] = pick(memberIds(env), 1);
  await env.cluster.stopNode(victim!, 'SIGKILL');
  await rm(join(env.cluster.dir, 'nodes', victim!, 'data'), { recursive: true, force: true });
  await env.cluster.startNode(victim!);
  env.log(`wipeNode: ${victim} restarted with an empty data folder`);
  return settle(env, 'wipeNode', acked, { putsFailed: 0, readsFailed: 0 }, { victim });
}

/** Random bytes flipped in stored shards (inside LMDB or in files) of this scenario's objects on several nodes; scrub finds and mends them. */
export async function flipBytes(env: ChaosEnv): Promise<ScenarioResult> {
  const client = freshClient(env);
  const acked = await putSome(client, 8, Math.max(env.maxObjectSize, 2 * 1024 * 1024));
  // Where each shard of these objects lives, and its piece.
  const pieceOf = new Map<string, string>();
  const onNode = new Map<string, Set<string>>();
  for (const o of acked) {
    for (const p of (await client.stat(o.cid)).pieces) {
      for (const sh of p.shards) {
        pieceOf.set(sh.shardId, p.cid);
        onNode.set(sh.nodeId, (onNode.get(sh.nodeId) ?? new Set()).add(sh.shardId));
      }
    }
  }
  await client.close();
  const m = env.cluster.descriptor().m;
  // At most m damaged shards per stripe: more would be real loss, not a test of repair.
  const damagedPerPiece = new Map<string, number>();
  const victims = pick(memberIds(env), 3);
  let flipped = 0;
  const where = new Set<string>();
  for (const id of victims) {
    const chosen: string[] = [];
    for (const shardId of pick([...(onNode.get(id) ?? [])], onNode.get(id)?.size ?? 0)) {
      const piece = pieceOf.get(shardId)!;
      if (chosen.length === 3 || (damagedPerPiece.get(piece) ?? 0) >= m) continue;
      damagedPerPiece.set(piece, (damagedPerPiece.get(piece) ?? 0) + 1);
      chosen.push(shardId);
    }
    for (const shardId of chosen) {
      const randomPositions = (n: number) => Array.from({ length: 4 }, () => Math.floor(Math.random() * n));
      where.add(await damageShard(join(env.cluster.dir, 'nodes', id, 'data'), env.cluster.nodes.get(id)!.url, shardId, randomPositions));
      flipped++;
    }
  }
  assert.ok(flipped > 0, 'some shards of these objects were damaged');
  const check = freshClient(env);
  const damaged = await Promise.all(acked.map((o) => check.verify(o.cid).then((r) => !r.healthy)));
  await check.close();
  assert.ok(damaged.some(Boolean), 'verify sees the damage before scrub mends it');
  env.log(`flipBytes: damaged ${flipped} shards (${[...where].join(' and ')}) on ${victims.join(', ')}`);
  return settle(env, 'flipBytes', acked, { putsFailed: 0, readsFailed: 0 }, { victims, flipped }, true);
}

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [DDC_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A node that serves wrong bytes and wrong proofs: reads stay correct, audits catch it with evidence. */
export async function lyingNode(env: ChaosEnv): Promise<ScenarioResult> {
  const [liar] = pick(memberIds(env), 1);
  env.faulty.set(liar!, { corruptReads: true, badProofs: true });
  await env.cluster.stopNode(liar!);
  await env.cluster.startNode(liar!);
  const client = freshClient(env);
  const load = new Workload(client, { writers: 1, readers: 3, maxSize: env.maxObjectSize });
  load.start();
  await sleep(env.loadSeconds * 500);
  await load.stop();
  await client.close();
  assert.deepEqual(load.stats.mismatches, [], 'reads never returned the liar\'s bytes');
  const work = await mkdtemp(join(tmpdir(), 'ddc-audit-'));
  try {
    const evidence = join(work, 'evidence.json');
    const audit = await runCli(['audit', '--samples', '60', '--cluster', env.cluster.clusterFile, '--evidence', evidence, '--json']);
    assert.equal(audit.code, 1, `audit should fail: ${audit.stdout}${audit.stderr}`);
    const report = JSON.parse(audit.stdout) as { nodes: { nodeId: string; passed: number; failed: number }[] };
    const byNode = new Map(report.nodes.map((n) => [n.nodeId, n]));
    assert.ok((byNode.get(liar!)?.failed ?? 0) > 0, `the liar ${liar} failed challenges`);
    for (const n of report.nodes) if (n.nodeId !== liar) assert.equal(n.failed, 0, `honest ${n.nodeId} passed every challenge`);
    const verified = await runCli(['audit', 'verify', evidence, '--json']);
    assert.equal(verified.code, 0, `ddc audit verify accepts the evidence: ${verified.stdout}${verified.stderr}`);
    env.log(`lyingNode: ${liar} failed ${byNode.get(liar!)!.failed} challenges; evidence verified`);
  } finally {
    await rm(work, { recursive: true, force: true });
    env.faulty.delete(liar!);
    await env.cluster.stopNode(liar!);
    await env.cluster.startNode(liar!);
  }
  // The liar's copies were served wrong but stored right; once honest again the cluster is whole.
  return settle(env, 'lyingNode', load.acked, load.stats, { liar }, true);
}

/** A node joins, then another leaves, while writes and reads go on. */
export async function membershipChange(env: ChaosEnv): Promise<ScenarioResult> {
  const client = freshClient(env);
  const load = new Workload(client, { writers: 2, readers: 2, maxSize: env.maxObjectSize });
  load.start();
  let added = '';
  let removed = '';
  try {
    await sleep(env.loadSeconds * 300);
    added = (await env.cluster.addNode()).id;
    env.log(`membershipChange: added ${added}`);
    await sleep(env.loadSeconds * 300);
    removed = pick(memberIds(env).filter((id) => id !== added), 1)[0]!;
    await env.cluster.removeNode(removed);
    env.log(`membershipChange: removed ${removed} (draining)`);
    await sleep(env.loadSeconds * 400);
  } finally {
    await load.stop();
    await client.close();
  }
  assert.deepEqual(load.stats.mismatches, []);
  const result = await settle(env, 'membershipChange', load.acked, load.stats, { added, removed });
  // Drained: the removed node gives every shard to its new home before deleting it. Full redundancy
  // can return first (repair may have rebuilt a shard at its home), so its last deletions are waited for.
  const heldBy = async () => ((await (await fetch(`${env.cluster.nodes.get(removed)!.url}/info`)).json()) as { shards: number }).shards;
  const drainedBy = Date.now() + env.redundancyTimeoutMs;
  let held = await heldBy();
  while (held > 0 && Date.now() < drainedBy) {
    await sleep(1000);
    held = await heldBy();
  }
  assert.equal(held, 0, `${removed} drained all its shards within ${env.redundancyTimeoutMs} ms`);
  await env.cluster.retireNode(removed);
  return result;
}
