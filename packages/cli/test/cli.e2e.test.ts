/** The `ddc` command as a user runs it: put, get, stat, verify, with and without --json. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startCluster, randomBytes, runCli } from './helpers.js';
import { repairPass } from '../chaos/redundancy.js';

let env: Awaited<ReturnType<typeof startCluster>>;
before(async () => {
  env = await startCluster({ nodes: 6, zones: 3, k: 4, m: 2 });
});
after(async () => env?.close());

test('put --json, get -o, stat --json and verify on a healthy cluster', async () => {
  const file = join(env.dir, 'input.bin');
  const bytes = randomBytes(3 * 1024 * 1024 + 17);
  await writeFile(file, bytes);
  const cluster = ['--cluster', env.cluster.clusterFile];

  const put = await runCli(['put', file, '--json', ...cluster]);
  assert.equal(put.code, 0, put.stderr);
  const { cid, size } = JSON.parse(put.stdout) as { cid: string; size: number };
  assert.equal(size, bytes.length);
  assert.match(cid, /^bafy/);

  const out = join(env.dir, 'copy.bin');
  const get = await runCli(['get', cid, '-o', out, ...cluster]);
  assert.equal(get.code, 0, get.stderr);
  assert.deepEqual(new Uint8Array(await readFile(out)), bytes);

  const piped = await runCli(['get', cid, '--range', '10-19', ...cluster]);
  assert.equal(piped.code, 0, piped.stderr);
  assert.deepEqual(piped.stdoutBytes, bytes.subarray(10, 20));

  const stat = await runCli(['stat', cid, '--json', ...cluster]);
  assert.equal(stat.code, 0, stat.stderr);
  const s = JSON.parse(stat.stdout) as { size: number; pieces: { shards: { status: string; nodeId: string }[] }[] };
  assert.equal(s.size, bytes.length);
  assert.equal(s.pieces.length, 5); // 4 leaves + 1 root node
  assert.ok(s.pieces.every((p) => p.shards.every((sh) => sh.status === 'present')));

  const verify = await runCli(['verify', cid, ...cluster]);
  assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  assert.match(verify.stdout, /healthy/);

  // Stdin works too, and gives the same CID for the same bytes.
  const fromStdin = await runCli(['put', '-', '--json', ...cluster], { input: bytes });
  assert.equal((JSON.parse(fromStdin.stdout) as { cid: string }).cid, cid);
});

test('verify exits 1 and names what is missing when a node is down', async () => {
  const file = join(env.dir, 'small.bin');
  await writeFile(file, randomBytes(2 * 1024 * 1024));
  const cluster = ['--cluster', env.cluster.clusterFile];
  const { cid } = JSON.parse((await runCli(['put', file, '--json', ...cluster])).stdout) as { cid: string };
  await env.cluster.stopNode('node-1', 'SIGKILL');
  try {
    const verify = await runCli(['verify', cid, '--json', ...cluster]);
    assert.equal(verify.code, 1);
    const r = JSON.parse(verify.stdout) as { healthy: boolean; pieces: { shards: { status: string; nodeId: string }[] }[] };
    assert.equal(r.healthy, false);
    const bad = r.pieces.flatMap((p) => p.shards).filter((s) => s.status !== 'ok');
    assert.ok(bad.length > 0 && bad.every((s) => s.nodeId === 'node-1' && s.status === 'unreachable'));
    // And the data still reads back through the CLI.
    const out = join(env.dir, 'back.bin');
    assert.equal((await runCli(['get', cid, '-o', out, ...cluster])).code, 0);
    await rm(out);
  } finally {
    await env.cluster.startNode('node-1');
  }
});

test('errors: usage is exit 2, typed errors exit 1 with their code in --json', async () => {
  const cluster = ['--cluster', env.cluster.clusterFile];
  assert.equal((await runCli(['frobnicate'])).code, 2);
  assert.equal((await runCli(['put'])).code, 2);
  const bad = await runCli(['get', 'not-a-cid', '--json', ...cluster]);
  assert.equal(bad.code, 1);
  assert.equal((JSON.parse(bad.stdout) as { error: { code: string } }).error.code, 'DDC_INVALID_CID');
  const noCluster = await runCli(['put', '-', '--json', '--cluster', join(env.dir, 'nope.json')], { input: new Uint8Array(3) });
  assert.equal((JSON.parse(noCluster.stdout) as { error: { code: string } }).error.code, 'DDC_INVALID_CLUSTER');
});

test('cluster health: all up and healthy, then a stopped node shows as down', async () => {
  const cluster = ['--cluster', env.cluster.clusterFile];
  // Short stripes are counted by the last repair pass; an earlier test stopped a node, so heal first.
  await repairPass(env.cluster);
  const ok = await runCli(['cluster', 'health', '--json', ...cluster]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  const r = JSON.parse(ok.stdout) as { healthy: boolean; totals: { up: number; down: number; shards: number }; nodes: { nodeId: string; up: boolean; repair?: unknown; scrub?: unknown }[] };
  assert.equal(r.healthy, true);
  assert.equal(r.totals.up, 6);
  assert.ok(r.totals.shards > 0);
  assert.ok(r.nodes.every((n) => n.up && n.repair && n.scrub), 'repair and scrub status reported for every node');
  await env.cluster.stopNode('node-3', 'SIGKILL');
  try {
    const bad = await runCli(['cluster', 'health', '--json', ...cluster]);
    assert.equal(bad.code, 1);
    const b = JSON.parse(bad.stdout) as { healthy: boolean; totals: { down: number }; nodes: { nodeId: string; up: boolean }[] };
    assert.equal(b.healthy, false);
    assert.equal(b.totals.down, 1);
    assert.equal(b.nodes.find((n) => n.nodeId === 'node-3')!.up, false);
    const text = await runCli(['cluster', 'health', ...cluster]);
    assert.match(text.stdout, /DOWN +node-3/);
  } finally {
    await env.cluster.startNode('node-3');
  }
});
