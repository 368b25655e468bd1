import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeShardHeader, fromHex, isDdcError, rootFromProof, shardRoot, toHex, verifyShard } from '@ddc/core';
import { startNode, type ChallengeAnswer } from '../src/index.js';
import { damageStoredShard, exists, FILE_PIECE, json, makeShard, nodeConfig, putShard, rawRequest, startTestNode, storedFiles, tempDir, waitFor } from './helpers.js';

const silent = { log: () => undefined };

function challengeVerifies(a: ChallengeAnswer, id: string): boolean {
  const { header } = decodeShardHeader(Buffer.from(a.header, 'base64'));
  const root = rootFromProof(Buffer.from(a.leaf, 'base64'), { leafIndex: a.leafIndex, leafCount: a.leafCount, siblings: a.proof.map(fromHex) });
  return toHex(shardRoot(header, root)) === id;
}

describe('the store across restarts', () => {
  it('keeps data across a restart', async () => {
    const t = await startTestNode();
    const small = makeShard(3000);
    const large = makeShard(FILE_PIECE);
    try {
      for (const s of [small, large]) assert.equal((await putShard(t.node.url, s)).status, 201);
      await t.node.close();
      const again = await startNode(nodeConfig(t.dataDir), silent);
      try {
        for (const s of [small, large]) {
          const r = await rawRequest(`${again.url}/v1/shards/${s.id}`);
          assert.equal(r.status, 200);
          assert.deepEqual(new Uint8Array(r.body), s.bytes);
        }
        const info = json(await rawRequest(`${again.url}/info`));
        assert.equal(info.shards, 2);
        assert.equal(info.bytes, small.bytes.length + large.bytes.length);
        assert.equal((await putShard(again.url, large)).status, 200, 'still known after restart');
      } finally {
        await again.close();
      }
    } finally {
      await t.cleanup();
    }
  });

  it('refuses a second node on the same folder with DDC_STORE_LOCKED, and frees the lock on close', async () => {
    const t = await startTestNode();
    try {
      await assert.rejects(startNode(nodeConfig(t.dataDir, { id: 'node-2' }), silent), (e: unknown) => isDdcError(e, 'DDC_STORE_LOCKED'));
      await t.node.close();
      assert.ok(!(await exists(join(t.dataDir, 'LOCK'))));
      const second = await startNode(nodeConfig(t.dataDir, { id: 'node-2' }), silent);
      await second.close();
    } finally {
      await t.cleanup();
    }
  });

  it('takes over a lock left by a process that died', async () => {
    const dir = await tempDir();
    try {
      const dead = spawnSync(process.execPath, ['-e', '']).pid;
      await writeFile(join(dir.path, 'LOCK'), JSON.stringify({ pid: dead, token: 'x' }));
      const node = await startNode(nodeConfig(dir.path), silent);
      await node.close();
      // A dead node whose pid this process now has (pid reuse after a restart).
      await writeFile(join(dir.path, 'LOCK'), JSON.stringify({ pid: process.pid, token: 'y' }));
      const again = await startNode(nodeConfig(dir.path), silent);
      await again.close();
    } finally {
      await dir.remove();
    }
  });

  it('refuses a folder of another store version with DDC_STORE_VERSION', async () => {
    const dir = await tempDir();
    try {
      await writeFile(join(dir.path, 'FORMAT'), JSON.stringify({ format: 'ddc-node-store', version: 3 }));
      await assert.rejects(startNode(nodeConfig(dir.path), silent), (e: unknown) => isDdcError(e, 'DDC_STORE_VERSION') && /version 3/.test(e.message));
      assert.ok(!(await exists(join(dir.path, 'LOCK'))), 'the lock is released after a refusal');
      await writeFile(join(dir.path, 'FORMAT'), 'not json');
      await assert.rejects(startNode(nodeConfig(dir.path), silent), (e: unknown) => isDdcError(e, 'DDC_STORE_VERSION'));
    } finally {
      await dir.remove();
    }
  });

  it('refuses a non-empty folder that is not a store', async () => {
    const dir = await tempDir();
    try {
      await writeFile(join(dir.path, 'notes.txt'), 'hello');
      await assert.rejects(startNode(nodeConfig(dir.path), silent), (e: unknown) => isDdcError(e, 'DDC_STORE_VERSION'));
    } finally {
      await dir.remove();
    }
  });

  it('writes the format marker, drops temp files and sweeps orphan shard files at open', async () => {
    const t = await startTestNode();
    const kept = makeShard(FILE_PIECE);
    try {
      assert.equal((await putShard(t.node.url, kept)).status, 201);
      await t.node.close();
      assert.deepEqual(JSON.parse(await readFile(join(t.dataDir, 'FORMAT'), 'utf8')), { format: 'ddc-node-store', version: 2 });
      // A crash mid-upload, and a crash between rename and index commit.
      await writeFile(join(t.dataDir, 'tmp', 'deadbeef.part'), 'half a shard');
      const orphan = 'ab'.repeat(32);
      await writeFile(join(t.dataDir, 'shards', 'ab', orphan), 'never indexed');
      const node = await startNode(nodeConfig(t.dataDir), silent);
      try {
        assert.deepEqual((await storedFiles(t.dataDir)).tmp, []);
        await waitFor(async () => !(await exists(join(t.dataDir, 'shards', 'ab', orphan))));
        assert.deepEqual((await storedFiles(t.dataDir)).shards, [`${kept.id.slice(0, 2)}/${kept.id}`]);
        assert.equal((await rawRequest(`${node.url}/v1/shards/${orphan}`)).status, 404);
        assert.equal((await rawRequest(`${node.url}/v1/shards/${kept.id}`)).status, 200);
      } finally {
        await node.close();
      }
    } finally {
      await t.cleanup();
    }
  });
});

describe('damaged and lying reads', () => {
  for (const where of ['file', 'inline'] as const) it(`serves a shard damaged on disk (${where}) as it is (the client catches it); ?verify=1 and challenges catch it too`, async () => {
    const t = await startTestNode();
    const s = makeShard(where === 'file' ? FILE_PIECE : 200_000);
    try {
      await putShard(t.node.url, s);
      assert.equal(await damageStoredShard(t.dataDir, s), where);

      const r = await rawRequest(`${t.node.url}/v1/shards/${s.id}`);
      assert.equal(r.status, 200);
      assert.throws(() => verifyShard(r.body, s.id), (e: unknown) => isDdcError(e, 'DDC_SHARD_ROOT_MISMATCH'));

      const checked = await rawRequest(`${t.node.url}/v1/shards/${s.id}?verify=1`);
      assert.equal(checked.status, 500);
      assert.equal(json(checked).code, 'DDC_SHARD_CORRUPT');

      const leaf = Math.floor((s.header.shardLength - 1) / 16384); // the last byte was flipped
      const a = json(await rawRequest(`${t.node.url}/v1/shards/${s.id}/challenge?leaf=${leaf}`)) as unknown as ChallengeAnswer;
      assert.ok(!challengeVerifies(a, s.id));

      if (where === 'file') {
        await truncate(join(t.dataDir, 'shards', s.id.slice(0, 2), s.id), 1000);
        const cut = await rawRequest(`${t.node.url}/v1/shards/${s.id}`);
        assert.equal(cut.status, 500);
        assert.equal(json(cut).code, 'DDC_SHARD_CORRUPT');
      }
    } finally {
      await t.cleanup();
    }
  });

  it('faults.corruptReads (test only) makes every served shard fail verification', async () => {
    const t = await startTestNode({ faults: { corruptReads: true } });
    try {
      for (const s of [makeShard(3000), makeShard(100_000)]) {
        assert.equal((await putShard(t.node.url, s)).status, 201, 'uploads are still verified and stored');
        for (const path of [`/v1/shards/${s.id}`, `/v1/pieces/${s.header.pieceCid.toString()}/0`]) {
          const r = await rawRequest(`${t.node.url}${path}`);
          assert.equal(r.status, 200);
          assert.equal(r.body.length, s.bytes.length);
          assert.throws(() => verifyShard(r.body, s.id));
        }
        const a = json(await rawRequest(`${t.node.url}/v1/shards/${s.id}/challenge?leaf=0`)) as unknown as ChallengeAnswer;
        assert.ok(!challengeVerifies(a, s.id));
      }
    } finally {
      await t.cleanup();
    }
  });

  it('faults.delayMs (test only) slows shard reads', async () => {
    const t = await startTestNode({ faults: { delayMs: 150 } });
    try {
      const s = makeShard(100);
      await putShard(t.node.url, s);
      const started = Date.now();
      assert.equal((await rawRequest(`${t.node.url}/v1/shards/${s.id}`)).status, 200);
      assert.ok(Date.now() - started >= 140);
    } finally {
      await t.cleanup();
    }
  });
});

describe('config file entry', () => {
  it('runNodeFromConfigFile prints one listening line and resolves a relative dataDir against the file', async () => {
    const dir = await tempDir();
    const { runNodeFromConfigFile } = await import('../src/index.js');
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    try {
      await mkdir(join(dir.path, 'conf'));
      const file = join(dir.path, 'conf', 'node.json');
      await writeFile(file, JSON.stringify({ version: 1, id: 'cfg-node', zone: 'z1', dataDir: 'data' }));
      process.stdout.write = ((chunk: string) => (lines.push(String(chunk)), true)) as typeof process.stdout.write;
      let node;
      try {
        node = await runNodeFromConfigFile(file, silent);
      } finally {
        process.stdout.write = write;
      }
      assert.equal(lines.length, 1);
      assert.deepEqual(JSON.parse(lines[0]!), { event: 'listening', id: 'cfg-node', url: node.url, publicKey: node.publicKey });
      assert.ok(await exists(join(dir.path, 'conf', 'data', 'FORMAT')));
      assert.equal((await rawRequest(`${node.url}/health`)).status, 200);
      await node.close();
      await node.closed;
    } finally {
      process.stdout.write = write;
      await dir.remove();
    }
  });
});
