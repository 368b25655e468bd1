/**
 * Small reads in flight together go to each node as batch requests (POST /v1/pieces/batch):
 * on real node processes, the bytes are right, a lying node is still caught and skipped, an
 * older node without the route is read one shard at a time, and an abort ends only its read.
 */
import { after, before, describe, it } from 'node:test';
import { createServer, type Socket } from 'node:net';
import assert from 'node:assert/strict';
import { DdcError, type BatchEntry, type BatchWant } from '@ddc/core';
import { FetchTransport, UndiciTransport, createClient, type DdcClient } from '@ddc/client';
import { startCluster, randomBytes } from './helpers.js';

/** The real transport, counting what goes over the wire; `refuseBatches` answers batches as a node without the route would. */
class CountingTransport extends UndiciTransport {
  singles = 0;
  batches = 0;
  batchedShards = 0;
  refuseBatches = false;

  override getPieceShard(baseUrl: string, pieceCid: string, index: number, signal?: AbortSignal): Promise<Uint8Array> {
    this.singles++;
    return super.getPieceShard(baseUrl, pieceCid, index, signal);
  }

  override getPieceShards(baseUrl: string, wants: readonly BatchWant[], signal?: AbortSignal): Promise<BatchEntry[]> {
    this.batches++;
    this.batchedShards += wants.length;
    if (this.refuseBatches) return Promise.reject(new DdcError('DDC_NOT_FOUND', 'no route /v1/pieces/batch'));
    return super.getPieceShards(baseUrl, wants, signal);
  }
}

const SIZES = [1, 100, 4096, 20_000, 65_535, 65_536 + 7, 300_000];

describe('batched small reads on a real cluster', () => {
  const liar = 'node-3';
  let env: Awaited<ReturnType<typeof startCluster>>;
  let objects: { cid: string; bytes: Uint8Array }[];

  before(async () => {
    env = await startCluster({ nodes: 6, zones: 3, k: 4, m: 2, nodeConfig: (id) => (id === liar ? { faults: { corruptReads: true } } : {}) });
    const writer = createClient({ cluster: env.cluster.descriptor() });
    objects = [];
    for (let i = 0; i < 120; i++) {
      const bytes = randomBytes(SIZES[i % SIZES.length]!);
      objects.push({ cid: (await writer.put(bytes)).cid.toString(), bytes });
    }
    await writer.close();
  });
  after(() => env.close());

  function clientWith(transport: CountingTransport): DdcClient {
    return createClient({ cluster: env.cluster.descriptor(), transport });
  }

  it('reads many objects at once through batches, byte for byte, past a node that lies', async () => {
    const transport = new CountingTransport();
    const client = clientWith(transport);
    try {
      const got = await Promise.all(objects.map((o) => client.getBytes(o.cid)));
      got.forEach((bytes, i) => assert.deepEqual(bytes, objects[i]!.bytes, `object ${i} of ${objects[i]!.bytes.length} bytes`));
      assert.ok(transport.batches > 0, 'batch requests were sent');
      assert.ok(transport.batchedShards > transport.batches, `batches held ${transport.batchedShards} shards in ${transport.batches} requests`);
    } finally {
      await client.close();
    }
  });

  it('batches through the Fetch transport too (the browser path)', async () => {
    let batches = 0;
    const transport = new FetchTransport();
    const send = transport.getPieceShards.bind(transport);
    transport.getPieceShards = (baseUrl, wants, signal) => {
      batches++;
      return send(baseUrl, wants, signal);
    };
    const client = createClient({ cluster: env.cluster.descriptor(), transport });
    try {
      const got = await Promise.all(objects.map((o) => client.getBytes(o.cid)));
      got.forEach((bytes, i) => assert.deepEqual(bytes, objects[i]!.bytes));
      assert.ok(batches > 0, 'batch requests were sent over fetch');
    } finally {
      await client.close();
    }
  });

  it('reads one shard at a time from a node that has no batch route, and stops asking it for batches', async () => {
    const transport = new CountingTransport();
    transport.refuseBatches = true;
    const client = clientWith(transport);
    try {
      const got = await Promise.all(objects.map((o) => client.getBytes(o.cid)));
      got.forEach((bytes, i) => assert.deepEqual(bytes, objects[i]!.bytes));
      const refusedOnce = transport.batches;
      assert.ok(refusedOnce > 0 && refusedOnce <= 6, `each node was asked for a batch at most once (${refusedOnce})`);
      await Promise.all(objects.map((o) => client.getBytes(o.cid)));
      assert.equal(transport.batches, refusedOnce);
    } finally {
      await client.close();
    }
  });

  it('reads go past a node that accepts requests and never answers, and reads queued for it are not sent once their pieces were read elsewhere', async () => {
    // A real socket that takes requests and answers none; it cuts each connection after 600 ms.
    const requests: string[] = [];
    const sockets = new Set<Socket>();
    const hung = createServer((socket) => {
      sockets.add(socket);
      socket.on('data', (d: Buffer) => {
        for (const line of d.toString('latin1').split('\r\n')) if (/^(GET|POST) \//.test(line)) requests.push(line);
      });
      socket.on('error', () => undefined);
      setTimeout(() => socket.destroy(), 600).unref();
    });
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    const descriptor = env.cluster.descriptor();
    const port = (hung.address() as { port: number }).port;
    const victim = descriptor.nodes.find((n) => n.id === 'node-1')!;
    victim.url = `http://127.0.0.1:${port}`;
    const client = createClient({ cluster: descriptor, transport: new CountingTransport(), hedgeAfterMs: 50 });
    try {
      const got = await Promise.all(objects.map((o) => client.getBytes(o.cid)));
      got.forEach((bytes, i) => assert.deepEqual(bytes, objects[i]!.bytes));
      // Past the cut: reads that were queued behind the hung exchange would go out now.
      await new Promise((r) => setTimeout(r, 1200));
      const batches = requests.filter((l) => l.startsWith('POST /v1/pieces/batch'));
      assert.ok(batches.length <= 1, `the hung node got ${batches.length} batch requests: ${requests.join(' | ')}`);
    } finally {
      await client.close();
      for (const s of sockets) s.destroy();
      await new Promise((r) => hung.close(r));
    }
  });

  it('an aborted read ends with DDC_ABORTED while the reads batched with it complete', async () => {
    const transport = new CountingTransport();
    const client = clientWith(transport);
    try {
      const controller = new AbortController();
      const small = objects.filter((o) => o.bytes.length <= 4096);
      const reads = small.map((o, i) => client.getBytes(o.cid, i === 3 ? { signal: controller.signal } : {}));
      controller.abort();
      const settled = await Promise.allSettled(reads);
      const aborted = settled[3]!;
      assert.equal(aborted.status, 'rejected');
      assert.equal((aborted as PromiseRejectedResult).reason.code, 'DDC_ABORTED');
      settled.forEach((s, i) => {
        if (i === 3) return;
        assert.equal(s.status, 'fulfilled');
        assert.deepEqual((s as PromiseFulfilledResult<Uint8Array>).value, small[i]!.bytes);
      });
    } finally {
      await client.close();
    }
  });
});
