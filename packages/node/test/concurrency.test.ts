import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { startNode } from '../src/index.js';
import { FILE_PIECE, json, makeShard, nodeConfig, putShard, rawRequest, startTestNode, storedFiles, waitFor } from './helpers.js';

async function writes(url: string): Promise<{ running: number; queued: number }> {
  return json(await rawRequest(`${url}/info`)).writes as { running: number; queued: number };
}

describe('write admission and shutdown', () => {
  it('queues writes past maxConcurrentWrites and answers 503 DDC_BUSY past maxQueuedWrites', async () => {
    const t = await startTestNode({ maxConcurrentWrites: 1, maxQueuedWrites: 1 });
    try {
      const [a, b, c] = [makeShard(100_000), makeShard(100_000), makeShard(100_000)];
      const slow = (s: typeof a) =>
        rawRequest(`${t.node.url}/v1/shards/${s.id}`, {
          method: 'PUT',
          headers: { 'content-length': s.bytes.length },
          body: [s.bytes.subarray(0, 1000), s.bytes.subarray(1000)],
          pauseMs: 400,
        });
      const pa = slow(a);
      await waitFor(async () => (await writes(t.node.url)).running === 1);
      const pb = slow(b);
      await waitFor(async () => (await writes(t.node.url)).queued === 1);
      const busy = await putShard(t.node.url, c);
      assert.equal(busy.status, 503);
      assert.equal(json(busy).code, 'DDC_BUSY');
      assert.equal(busy.headers['retry-after'], '1');
      assert.equal((await pa).status, 201);
      assert.equal((await pb).status, 201);
      assert.equal((await putShard(t.node.url, c)).status, 201, 'free again once the queue drained');
      assert.deepEqual(await writes(t.node.url), { running: 0, queued: 0 });
    } finally {
      await t.cleanup();
    }
  });

  it('a client that leaves the queue frees its place', async () => {
    const t = await startTestNode({ maxConcurrentWrites: 1, maxQueuedWrites: 1 });
    try {
      const [a, b] = [makeShard(100_000), makeShard(100_000)];
      const pa = rawRequest(`${t.node.url}/v1/shards/${a.id}`, { method: 'PUT', headers: { 'content-length': a.bytes.length }, body: [a.bytes.subarray(0, 10), a.bytes.subarray(10)], pauseMs: 300 });
      await waitFor(async () => (await writes(t.node.url)).running === 1);
      await assert.rejects(rawRequest(`${t.node.url}/v1/shards/${b.id}`, { method: 'PUT', headers: { 'content-length': b.bytes.length }, body: b.bytes.subarray(0, 10), abortAfterBody: true }));
      await waitFor(async () => (await writes(t.node.url)).queued === 0);
      assert.equal((await pa).status, 201);
      assert.equal((await putShard(t.node.url, b)).status, 201);
      assert.deepEqual((await storedFiles(t.dataDir)).tmp, []);
    } finally {
      await t.cleanup();
    }
  });

  it('concurrent PUTs of one shard store it once, intact', async () => {
    const t = await startTestNode();
    try {
      for (const s of [makeShard(2000), makeShard(FILE_PIECE)]) {
        const results = await Promise.all(Array.from({ length: 8 }, () => putShard(t.node.url, s)));
        const statuses = results.map((r) => r.status).sort();
        assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 200, 201]);
        const r = await rawRequest(`${t.node.url}/v1/shards/${s.id}`);
        assert.deepEqual(new Uint8Array(r.body), s.bytes);
      }
      const files = await storedFiles(t.dataDir);
      assert.equal(files.shards.length, 1);
      assert.deepEqual(files.tmp, []);
      assert.equal(json(await rawRequest(`${t.node.url}/info`)).shards, 2);
    } finally {
      await t.cleanup();
    }
  });

  it('concurrent inline uploads, committed together, each store their own bytes', async () => {
    // 256 KiB bodies arrive in several socket reads, are joined, and commit in shared LMDB
    // transactions (lmdb-js writes from the value's memory after put() returns).
    const t = await startTestNode();
    try {
      const shards = Array.from({ length: 64 }, () => makeShard(256 * 1024));
      const statuses = await Promise.all(shards.map((s) => putShard(t.node.url, s).then((r) => r.status)));
      assert.deepEqual([...new Set(statuses)], [201]);
      assert.deepEqual((await storedFiles(t.dataDir)).shards, [], 'all inline');
      for (const [i, s] of shards.entries()) {
        const r = await rawRequest(`${t.node.url}/v1/shards/${s.id}?verify=1`);
        assert.equal(r.status, 200, `shard ${i}: ${r.body.toString().slice(0, 200)}`);
        assert.equal(Buffer.compare(r.body, s.bytes), 0, `shard ${i} holds its own bytes`);
      }
    } finally {
      await t.cleanup();
    }
  });

  it('close() waits for an in-flight write while /health says 503 and new writes are refused', async () => {
    const t = await startTestNode();
    const s = makeShard(1_900_000);
    const late = makeShard(1000);
    const healthAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    const putAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      assert.equal((await rawRequest(`${t.node.url}/health`, { agent: healthAgent })).status, 200);
      assert.equal((await rawRequest(`${t.node.url}/health`, { agent: putAgent })).status, 200);
      const events: string[] = [];
      const put = rawRequest(`${t.node.url}/v1/shards/${s.id}`, {
        method: 'PUT',
        headers: { 'content-length': s.bytes.length },
        body: [s.bytes.subarray(0, 5000), s.bytes.subarray(5000)],
        pauseMs: 500,
      }).then((r) => (events.push('put'), r));
      await waitFor(async () => (await writes(t.node.url)).running === 1);
      const closing = t.node.close().then(() => events.push('closed'));

      const health = await rawRequest(`${t.node.url}/health`, { agent: healthAgent });
      assert.equal(health.status, 503);
      assert.deepEqual(json(health), { status: 'shutting-down' });
      assert.equal(health.headers.connection, 'close');
      const refused = await rawRequest(`${t.node.url}/v1/shards/${late.id}`, { method: 'PUT', headers: { 'content-length': late.bytes.length }, body: late.bytes, agent: putAgent });
      assert.equal(refused.status, 503);
      assert.equal(json(refused).code, 'DDC_SHUTTING_DOWN');
      await assert.rejects(rawRequest(`${t.node.url}/health`), 'no new connections');

      assert.equal((await put).status, 201);
      await closing;
      assert.deepEqual(events, ['put', 'closed']);

      const again = await startNode(nodeConfig(t.dataDir), { log: () => undefined });
      try {
        assert.equal((await rawRequest(`${again.url}/v1/shards/${s.id}`)).status, 200);
        assert.equal((await rawRequest(`${again.url}/v1/shards/${late.id}`)).status, 404);
      } finally {
        await again.close();
      }
    } finally {
      healthAgent.destroy();
      putAgent.destroy();
      await t.cleanup();
    }
  });

  it('close() cuts off a stalled write after shutdownTimeoutMs and keeps nothing of it', async () => {
    const t = await startTestNode({ shutdownTimeoutMs: 200 });
    const s = makeShard(1_900_000);
    try {
      const stalled = rawRequest(`${t.node.url}/v1/shards/${s.id}`, {
        method: 'PUT',
        headers: { 'content-length': s.bytes.length },
        body: [s.bytes.subarray(0, 100_000), s.bytes.subarray(100_000)],
        pauseMs: 5000,
      });
      stalled.catch(() => undefined);
      await waitFor(async () => (await writes(t.node.url)).running === 1);
      const started = Date.now();
      await t.node.close();
      assert.ok(Date.now() - started < 2000, `close took ${Date.now() - started} ms`);
      await assert.rejects(stalled);
      assert.deepEqual(await storedFiles(t.dataDir), { shards: [], tmp: [] });
    } finally {
      await t.cleanup();
    }
  });
});

/** GETs `paths` pipelined on one connection, reads nothing for `waitMs`, then parses the answers in order. */
function pipelinedGets(url: string, paths: string[], waitMs: number): Promise<{ status: number; body: Buffer }[]> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    socket.pause();
    socket.on('error', reject);
    socket.write(paths.map((p) => `GET ${p} HTTP/1.1\r\nhost: ${hostname}\r\n\r\n`).join(''));
    const chunks: Buffer[] = [];
    setTimeout(() => {
      socket.on('data', (c: Buffer) => {
        chunks.push(c);
        const all = Buffer.concat(chunks);
        const answers: { status: number; body: Buffer }[] = [];
        let at = 0;
        while (answers.length < paths.length) {
          const end = all.indexOf('\r\n\r\n', at);
          if (end < 0) return;
          const head = all.subarray(at, end).toString('latin1');
          const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
          if (all.length < end + 4 + length) return;
          answers.push({ status: Number(head.split(' ')[1]), body: all.subarray(end + 4, end + 4 + length) });
          at = end + 4 + length;
        }
        socket.destroy();
        resolve(answers);
      });
      socket.resume();
    }, waitMs);
  });
}

describe('reads from reused memory', () => {
  it('answers queued behind a slow reader keep their bytes while later reads reuse memory', async () => {
    // Whole-shard reads share pooled buffers that go back once the socket has sent them. Answers
    // pipelined to a reader that waits sit in the node's socket queue; a buffer given back too
    // early would be refilled by the reads that come next and show here as another shard's bytes.
    const t = await startTestNode();
    try {
      const shards = Array.from({ length: 8 }, () => makeShard(1_900_000));
      for (const s of shards) assert.equal((await putShard(t.node.url, s)).status, 201);
      const paths = shards.map((s) => `/v1/shards/${s.id}`);
      const slow = pipelinedGets(t.node.url, paths, 400);
      await new Promise((r) => setTimeout(r, 150));
      const fast = await Promise.all([...paths].reverse().map((p) => rawRequest(`${t.node.url}${p}`)));
      const answers = [...(await slow), ...fast.reverse()];
      answers.forEach((a, i) => {
        assert.equal(a.status, 200);
        assert.ok(Buffer.from(shards[i % shards.length]!.bytes).equals(a.body), `answer ${i} holds other bytes`);
      });
    } finally {
      await t.cleanup();
    }
  });
});
