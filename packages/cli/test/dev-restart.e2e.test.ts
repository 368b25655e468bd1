/**
 * `ddc dev` as a user runs it, with its dev chain: start, store a file, Ctrl-C, start again.
 * The second start finds the same chain state (same deployment, same cluster, same node ids)
 * and everything stored before reads back byte for byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DDC_BIN } from '../src/index.js';
import { tempDir, randomBytes, runCli } from './helpers.js';

interface Ready {
  event: 'ready';
  clusterFile: string;
  nodes: { id: string }[];
  chain?: { deployment: string; clusterId: string | number; rpcUrl: string };
}

function startDev(dataDir: string): Promise<{ child: ChildProcess; ready: Ready }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DDC_BIN, 'dev', '--data', dataDir, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const msg = JSON.parse(line) as Ready;
        if (msg.event === 'ready') resolve({ child, ready: msg });
      } catch {
        // not JSON
      }
    });
    child.once('exit', (code) => reject(new Error(`ddc dev exited (${code}) before it was ready: ${err}`)));
  });
}

function interrupt(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill('SIGINT');
  });
}

test('ddc dev restarts with its chain state and data in step', async () => {
  const dir = await tempDir();
  const dataDir = join(dir.path, '.ddc');
  let dev: ChildProcess | undefined;
  try {
    const first = await startDev(dataDir);
    dev = first.child;
    assert.ok(first.ready.chain, 'ddc dev runs the dev chain');
    const file = join(dir.path, 'input.bin');
    const bytes = randomBytes(2 * 1024 * 1024 + 3);
    await writeFile(file, bytes);
    const put = await runCli(['put', file, '--json', '--cluster', first.ready.clusterFile]);
    assert.equal(put.code, 0, put.stderr);
    const { cid } = JSON.parse(put.stdout) as { cid: string };
    const deployment = await readFile(first.ready.chain.deployment, 'utf8');
    // Chain state: a bucket made now must still be there after the restart.
    const ledger = (r: Ready) => ['--rpc', r.chain!.rpcUrl, '--deployment', r.chain!.deployment, '--json'];
    const made = await runCli(['bucket', 'create', '--cluster-id', String(first.ready.chain.clusterId), ...ledger(first.ready)]);
    assert.equal(made.code, 0, made.stdout + made.stderr);
    const { bucketId } = JSON.parse(made.stdout) as { bucketId: number };
    assert.equal(await interrupt(dev), 0, 'Ctrl-C stops ddc dev cleanly');

    const second = await startDev(dataDir);
    dev = second.child;
    assert.equal(await readFile(second.ready.chain!.deployment, 'utf8'), deployment, 'the contracts were not deployed again');
    assert.equal(second.ready.chain!.clusterId, first.ready.chain.clusterId);
    const shown = await runCli(['bucket', 'show', String(bucketId), ...ledger(second.ready)]);
    assert.equal(shown.code, 0, `the bucket made before the restart is still on chain: ${shown.stdout}${shown.stderr}`);
    const next = await runCli(['bucket', 'create', '--cluster-id', String(second.ready.chain!.clusterId), ...ledger(second.ready)]);
    assert.equal((JSON.parse(next.stdout) as { bucketId: number }).bucketId, bucketId + 1, 'bucket ids go on where they were');
    assert.deepEqual(second.ready.nodes.map((n) => n.id).sort(), first.ready.nodes.map((n) => n.id).sort(), 'the same nodes, by the ids their keys give');
    const out = join(dir.path, 'copy.bin');
    const get = await runCli(['get', cid, '-o', out, '--cluster', second.ready.clusterFile]);
    assert.equal(get.code, 0, get.stderr);
    assert.deepEqual(new Uint8Array(await readFile(out)), bytes);
    const verify = await runCli(['verify', cid, '--cluster', second.ready.clusterFile]);
    assert.equal(verify.code, 0, verify.stdout);
    assert.equal(await interrupt(dev), 0);
    dev = undefined;
  } finally {
    if (dev && dev.exitCode === null) await interrupt(dev);
    await dir.remove();
  }
});
