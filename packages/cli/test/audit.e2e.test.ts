/**
 * `ddc audit` and `ddc audit verify` against real node processes: an honest cluster audits
 * clean, a node with faults.badProofs is caught with evidence that verifies offline, and
 * tampered evidence is refused. Node keys persist across restarts and reach cluster.json.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient } from '@ddc/client';
import { fromHex, toHex } from '@ddc/core';
import { randomBytes, runCli, startCluster } from './helpers.js';

async function fill(cluster: import('../src/index.js').DevCluster): Promise<void> {
  const client = createClient({ cluster: cluster.descriptor() });
  try {
    // A coded piece puts one shard on each of the 6 nodes; small pieces are copied 3 times.
    for (const bytes of [randomBytes(3 * 1024 * 1024 + 11), randomBytes(200_000), randomBytes(100), randomBytes(5000)]) await client.put(bytes);
  } finally {
    await client.close();
  }
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

interface AuditJson {
  totals: { passed: number; failed: number; unreachable: number; inconclusive: number };
  nodes: { nodeId: string; keySource: string; passed: number; failed: number; unreachable: number }[];
  challenges: { nodeId: string; outcome: string; reason?: string; proven?: boolean; headersFrom: string[] }[];
  evidenceFile: string | null;
  evidenceItems: number;
}

test('an honest cluster audits clean, with keys from the descriptor or from /info', async () => {
  const env = await startCluster({ nodes: 6, zones: 3, k: 4, m: 2 });
  try {
    await fill(env.cluster);
    const descriptor = await readJson(env.cluster.clusterFile);
    const nodes = descriptor.nodes as { id: string; url: string; publicKey?: string }[];
    for (const n of nodes) {
      assert.match(n.publicKey ?? '', /^[0-9a-f]{64}$/, `${n.id} has its key in cluster.json`);
      const info = (await (await fetch(`${n.url}/info`)).json()) as { publicKey: string };
      assert.equal(info.publicKey, n.publicKey);
    }
    const evidence = join(env.dir, 'clean-evidence.json');
    const r = await runCli(['audit', '--samples', '24', '--cluster', env.cluster.clusterFile, '--evidence', evidence, '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as AuditJson;
    assert.equal(report.totals.failed, 0);
    assert.equal(report.totals.passed, 24, r.stdout);
    assert.ok(report.nodes.every((n) => n.keySource === 'descriptor' && n.passed > 0), 'challenges are spread over every node');
    assert.ok(report.challenges.every((c) => c.headersFrom.length >= 2 && !c.headersFrom.includes(c.nodeId)), 'roots come from at least two other nodes');
    assert.deepEqual((await readJson(evidence)).items, []);
    // Empty evidence proves nothing.
    const v = await runCli(['audit', 'verify', evidence]);
    assert.equal(v.code, 1);
    assert.match(v.stdout, /holds no evidence/);

    // Without keys in the descriptor the auditor asks /info, and says so.
    const keyless = join(env.dir, 'keyless.json');
    await writeFile(keyless, JSON.stringify({ ...descriptor, nodes: nodes.map(({ publicKey: _k, ...n }) => n) }));
    const r2 = await runCli(['audit', '--samples', '12', '--cluster', keyless]);
    assert.equal(r2.code, 0, r2.stdout + r2.stderr);
    assert.match(r2.stdout, /key from \/info \(not in the descriptor\)/);
    assert.match(r2.stdout, /ok: 12 of 12 challenges passed/);

    // A node that is down is unreachable, not failed: the audit still exits 0.
    await env.cluster.stopNode('node-6');
    const r3 = await runCli(['audit', '--samples', '12', '--cluster', env.cluster.clusterFile, '--json']);
    assert.equal(r3.code, 0, r3.stdout + r3.stderr);
    const down = JSON.parse(r3.stdout) as AuditJson;
    assert.equal(down.totals.failed, 0);
    const n6 = down.nodes.find((n) => n.nodeId === 'node-6')!;
    assert.ok(n6.unreachable >= 1 && n6.passed === 0, JSON.stringify(n6));
    assert.ok(down.nodes.filter((n) => n.nodeId !== 'node-6').every((n) => n.unreachable === 0));
  } finally {
    await env.close();
  }
});

test('a node with faults.badProofs is caught by ddc audit; its evidence verifies, tampered evidence does not', async () => {
  const liar = 'node-2';
  const env = await startCluster({ nodes: 6, zones: 3, k: 4, m: 2, nodeConfig: (id) => (id === liar ? { faults: { badProofs: true } } : {}) });
  try {
    await fill(env.cluster);
    const evidence = join(env.dir, 'evidence.json');
    const r = await runCli(['audit', '--samples', '30', '--cluster', env.cluster.clusterFile, '--evidence', evidence, '--json']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as AuditJson;
    for (const n of report.nodes) {
      if (n.nodeId === liar) assert.ok(n.failed >= 5 && n.passed === 0, JSON.stringify(n));
      else assert.equal(n.failed, 0, JSON.stringify(n));
    }
    assert.ok(report.challenges.filter((c) => c.outcome === 'failed').every((c) => c.nodeId === liar && c.proven === true));
    assert.equal(report.evidenceFile, evidence);
    const file = await readJson(evidence);
    assert.equal(file.format, 'ddc-audit-evidence');
    assert.equal(file.version, 1);
    const items = file.items as { nodeId: string; keySource: string; answer: Record<string, unknown>; headers: Record<string, unknown>[] }[];
    assert.equal(items.length, report.evidenceItems);
    assert.ok(items.length >= 5 && items.every((i) => i.nodeId === liar && i.keySource === 'descriptor' && i.headers.length >= 2));

    // A third party re-checks it offline: against the cluster's keys, or the keys in the file.
    const v = await runCli(['audit', 'verify', evidence, '--cluster', env.cluster.clusterFile]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /every item proves misbehaviour/);
    assert.match(v.stdout, /checked against the cluster descriptor/);
    const vj = await runCli(['audit', 'verify', evidence, '--json']);
    assert.equal(vj.code, 0);
    const checks = JSON.parse(vj.stdout) as { proven: boolean; items: { proven: boolean; nodeId: string }[] };
    assert.ok(checks.proven && checks.items.every((c) => c.proven && c.nodeId === liar));

    // Tampering: an answer edited after signing (the leaf "fixed" to look honest, or the proof).
    const first = items[0]!;
    const leaf = Buffer.from(String(first.answer.leaf), 'base64');
    leaf[0]! ^= 1;
    const editedLeaf = join(env.dir, 'edited-leaf.json');
    await writeFile(editedLeaf, JSON.stringify({ ...file, items: [{ ...first, answer: { ...first.answer, leaf: leaf.toString('base64') } }, ...items.slice(1)] }));
    const t1 = await runCli(['audit', 'verify', editedLeaf]);
    assert.equal(t1.code, 1);
    assert.match(t1.stdout, /item 0 \(node-2\): REJECTED bad-signature: .*altered/);
    // A one-leaf shard has an empty proof: then the alteration is an added hash.
    const proof = (first.answer.proof as string[]).slice();
    if (proof.length > 0) proof[0] = toHex(fromHex(proof[0]!).map((b, i) => (i === 0 ? b ^ 1 : b)));
    else proof.push('00'.repeat(32));
    const editedProof = join(env.dir, 'edited-proof.json');
    await writeFile(editedProof, JSON.stringify({ ...file, items: [{ ...first, answer: { ...first.answer, proof } }] }));
    assert.equal((await runCli(['audit', 'verify', editedProof])).code, 1);
    // A header statement edited to make the accused look wrong.
    const h = first.headers[0]!;
    const editedHeader = join(env.dir, 'edited-header.json');
    await writeFile(editedHeader, JSON.stringify({ ...file, items: [{ ...first, headers: [{ ...h, time: Number(h.time) + 1 }, ...first.headers.slice(1)] }] }));
    const t3 = await runCli(['audit', 'verify', editedHeader]);
    assert.equal(t3.code, 1);
    assert.match(t3.stdout, /REJECTED bad-signature/);
    // Another node's key claimed for the accused.
    const otherKeys = join(env.dir, 'other-keys.json');
    const d = await readJson(env.cluster.clusterFile);
    const swapped = (d.nodes as { id: string; publicKey: string }[]).map((n, _i, all) => (n.id === liar ? { ...n, publicKey: all.find((o) => o.id !== liar)!.publicKey } : n));
    await writeFile(otherKeys, JSON.stringify({ ...d, nodes: swapped }));
    const t4 = await runCli(['audit', 'verify', evidence, '--cluster', otherKeys]);
    assert.equal(t4.code, 1);
    assert.match(t4.stdout, /REJECTED wrong-key/);
    // Not evidence at all.
    const junk = join(env.dir, 'junk.json');
    await writeFile(junk, '{"format":"something-else"}');
    const t5 = await runCli(['audit', 'verify', junk]);
    assert.equal(t5.code, 1);
    assert.match(t5.stderr, /DDC_EVIDENCE_INVALID/);
  } finally {
    await env.close();
  }
});

test('a node keeps its key across restarts; a node restarted on an empty folder gets a new one, and cluster.json follows', async () => {
  const env = await startCluster({ nodes: 6, zones: 3, k: 4, m: 2 });
  try {
    const keyOf = async (id: string) => ((await readJson(env.cluster.clusterFile)).nodes as { id: string; publicKey: string }[]).find((n) => n.id === id)!.publicKey;
    const before = await keyOf('node-1');
    await env.cluster.stopNode('node-1');
    const again = await env.cluster.startNode('node-1');
    assert.equal(again.publicKey, before);
    assert.equal(await keyOf('node-1'), before);
    const info = (await (await fetch(`${again.url}/info`)).json()) as { publicKey: string };
    assert.equal(info.publicKey, before);

    await env.cluster.stopNode('node-3');
    const old3 = await keyOf('node-3');
    await rm(join(env.cluster.dir, 'nodes', 'node-3', 'data'), { recursive: true, force: true });
    const fresh = await env.cluster.startNode('node-3');
    assert.notEqual(fresh.publicKey, old3);
    assert.equal(await keyOf('node-3'), fresh.publicKey);
  } finally {
    await env.close();
  }
});
