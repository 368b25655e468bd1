/**
 * Crash safety: a node process is killed with SIGKILL at random moments while clients
 * write, 50 times. After each restart the store opens, every acknowledged shard reads
 * back verified, and no shard is ever served half-written or corrupt.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { Agent, request } from 'undici';
import { verifyShard, type EncodedShard } from '@ddc/core';
import { tempDir, makeStripe, signedHeaders } from './helpers.js';

const RUN_NODE = fileURLToPath(new URL('./fixtures/run-node.js', import.meta.url));
const ROUNDS = Number(process.env.DDC_CRASH_ROUNDS ?? 50);

function startProcess(configFile: string): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUN_NODE, configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { event?: string; url?: string };
        if (msg.event === 'listening') resolve({ child, url: msg.url! });
      } catch {
        // log line
      }
    });
    child.once('exit', (code) => reject(new Error(`node exited before listening (${code}): ${err}`)));
  });
}

function kill9(child: ChildProcess): Promise<void> {
  return new Promise((r) => {
    if (child.exitCode !== null || child.signalCode !== null) return r();
    child.once('exit', () => r());
    child.kill('SIGKILL');
  });
}

async function getShard(agent: Agent, url: string, id: string): Promise<{ status: number; bytes: Uint8Array }> {
  const res = await request(`${url}/v1/shards/${id}`, { dispatcher: agent });
  return { status: res.statusCode, bytes: new Uint8Array(await res.body.arrayBuffer()) };
}

test(`SIGKILL during writes, ${ROUNDS} times: acknowledged shards survive intact, partial ones never appear`, async () => {
  const dir = await tempDir();
  const dataDir = join(dir.path, 'data');
  const configFile = join(dir.path, 'node.json');
  await writeFile(configFile, JSON.stringify({ version: 1, id: 'crash-node', zone: 'z', dataDir, port: 0 }));
  // A pool of shards inside LMDB (3 KB and 350 KB, a 1 MiB piece's shard size class) and as files (700 KB).
  const sizes: [pieceLength: number, k: number][] = [[3000, 1], [700_000, 2], [1_400_000, 2]];
  const pool: EncodedShard[] = [];
  for (let i = 0; i < 42; i++) pool.push(makeStripe(sizes[i % 3]![0], sizes[i % 3]![1], 1)[0]!);
  const acked = new Map<string, EncodedShard>();
  const attempted = new Map<string, EncodedShard>();
  let agent = new Agent({ connections: 8 });
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const { child, url } = await startProcess(configFile);
      // The store opened: whatever it holds must be whole and verified.
      for (const [id, shard] of attempted) {
        const { status, bytes } = await getShard(agent, url, id);
        if (acked.has(id)) assert.equal(status, 200, `round ${round}: acknowledged shard ${id} is gone`);
        if (status === 200) {
          assert.equal(verifyShard(bytes, id).id, id, `round ${round}: shard ${id} served corrupt`);
          assert.deepEqual(bytes, shard.bytes);
          acked.set(id, shard);
        } else assert.equal(status, 404);
      }
      // Writers run until the kill; each write waits for its acknowledgement.
      let stop = false;
      const writers = Array.from({ length: 6 }, async (_, w) => {
        for (let n = 0; !stop; n++) {
          const shard = pool[(round * 7 + w * 5 + n) % pool.length]!;
          attempted.set(shard.id, shard);
          try {
            const target = `${url}/v1/shards/${shard.id}`;
            const res = await request(target, { method: 'PUT', body: shard.bytes, headers: await signedHeaders({ method: 'PUT', url: target }), dispatcher: agent });
            await res.body.dump();
            if (res.statusCode < 300) acked.set(shard.id, shard);
          } catch {
            return; // the node died under us
          }
        }
      });
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 250));
      stop = true;
      await kill9(child);
      await Promise.allSettled(writers);
      // Connections to the dead process are useless: start fresh.
      await agent.destroy();
      agent = new Agent({ connections: 8 });
    }
    const { child, url } = await startProcess(configFile);
    try {
      assert.ok(acked.size > 0, 'some writes were acknowledged');
      for (const [id, shard] of acked) {
        const { status, bytes } = await getShard(agent, url, id);
        assert.equal(status, 200);
        assert.deepEqual(bytes, shard.bytes);
      }
      assert.deepEqual(await readdir(join(dataDir, 'tmp')), [], 'no temporary files survive an open');
    } finally {
      await kill9(child);
    }
  } finally {
    await agent.close();
    await dir.remove();
  }
});
