/**
 * A put whose source is slower than the nodes (a network client, the S3 gateway) still sends
 * its shards in batches: on real node processes, shards of the open put wait for more to the
 * same node, and the put's window filling up or its source ending sends them at once. And puts
 * running together share one budget of pieces in flight, so memory does not grow with their number.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeShardHeader, type DdcError, type PutBatchEntry } from '@ddc/core';
import { UndiciTransport, createClient } from '@ddc/client';
import { startCluster, randomBytes } from './helpers.js';

class CountingTransport extends UndiciTransport {
  requests = 0;
  shards = 0;
  /** Shards of each piece whose PUT has not answered yet, and the most piece bytes ever in flight at once. */
  private readonly open = new Map<string, { shards: number; length: number }>();
  maxPieceBytesInFlight = 0;

  private async track<T>(shards: readonly Uint8Array[], send: () => Promise<T>): Promise<T> {
    const pieces = shards.map((b) => decodeShardHeader(b).header).map((h) => ({ cid: h.pieceCid.toString(), length: h.pieceLength }));
    for (const p of pieces) {
      const o = this.open.get(p.cid) ?? { shards: 0, length: p.length };
      o.shards++;
      this.open.set(p.cid, o);
    }
    let inFlight = 0;
    for (const o of this.open.values()) inFlight += o.length;
    this.maxPieceBytesInFlight = Math.max(this.maxPieceBytesInFlight, inFlight);
    try {
      return await send();
    } finally {
      for (const p of pieces) {
        const o = this.open.get(p.cid)!;
        if (--o.shards === 0) this.open.delete(p.cid);
      }
    }
  }

  override putShard(baseUrl: string, id: string, bytes: Uint8Array, signal?: AbortSignal, headers?: Record<string, string>, query?: string): Promise<{ created: boolean }> {
    this.requests++;
    this.shards++;
    return this.track([bytes], () => super.putShard(baseUrl, id, bytes, signal, headers, query));
  }

  override putShards(baseUrl: string, shards: readonly PutBatchEntry[], signal?: AbortSignal, headers?: Record<string, string>): Promise<{ created: boolean }[]> {
    this.requests++;
    this.shards += shards.length;
    return this.track(shards.map((s) => s.bytes), () => super.putShards(baseUrl, shards, signal, headers));
  }
}

const MiB = 1024 * 1024;

/** `bytes` in 1 MiB chunks, one every `gapMs`. */
async function* paced(bytes: Uint8Array, gapMs: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += MiB) {
    await sleep(gapMs);
    yield bytes.subarray(at, at + MiB);
  }
}

describe('a paced put on a real cluster', () => {
  let env: Awaited<ReturnType<typeof startCluster>>;
  before(async () => {
    env = await startCluster({ nodes: 6, zones: 3, k: 4, m: 2 });
  });
  after(() => env.close());

  // A minute of linger, past the test's timeout: only a full batch, the window filling up or
  // the source ending can send shards in time, so a put that finishes shows those work.
  it('batches the shards of a slow source and reads back byte for byte', { timeout: 30_000 }, async () => {
    const transport = new CountingTransport();
    const client = createClient({ cluster: env.cluster.descriptor(), transport, putLingerMs: 60_000, piecesInFlight: 4 });
    try {
      const bytes = randomBytes(12 * MiB + 5);
      const { cid } = await client.put(paced(bytes, 15));
      assert.deepEqual(await client.getBytes(cid), bytes);
      // 13 coded pieces of 6 shards and the root's copies; one request a shard without lingering.
      assert.ok(transport.shards >= 13 * 6, `${transport.shards} shards sent`);
      assert.ok(transport.requests * 2 <= transport.shards, `${transport.requests} requests for ${transport.shards} shards`);
    } finally {
      await client.close();
    }
  });

  it('with putLingerMs 0 a paced put still round-trips; a bad value is refused with a code', { timeout: 30_000 }, async () => {
    const client = createClient({ cluster: env.cluster.descriptor(), putLingerMs: 0 });
    try {
      const bytes = randomBytes(3 * MiB);
      const { cid } = await client.put(paced(bytes, 15));
      assert.deepEqual(await client.getBytes(cid), bytes);
    } finally {
      await client.close();
    }
    for (const bad of [-1, 1.5, '20']) {
      assert.throws(() => createClient({ cluster: env.cluster.descriptor(), putLingerMs: bad as number }), (e: unknown) => (e as DdcError).code === 'DDC_INVALID_CONFIG');
    }
  });

  it('concurrent puts share the client\'s budget: never more than piecesInFlight MiB of pieces in flight', { timeout: 60_000 }, async () => {
    const transport = new CountingTransport();
    const client = createClient({ cluster: env.cluster.descriptor(), transport, piecesInFlight: 2 });
    try {
      const objects = [randomBytes(6 * MiB), randomBytes(5 * MiB + 3), randomBytes(7 * MiB)];
      const cids = await Promise.all(objects.map((o) => client.put(o).then((r) => r.cid)));
      for (const [i, cid] of cids.entries()) assert.deepEqual(await client.getBytes(cid), objects[i]);
      assert.ok(transport.maxPieceBytesInFlight > MiB, `${transport.maxPieceBytesInFlight} bytes of pieces in flight at most: the puts did overlap`);
      assert.ok(transport.maxPieceBytesInFlight <= 2 * MiB, `${transport.maxPieceBytesInFlight} bytes of pieces in flight at once`);
    } finally {
      await client.close();
    }
  });
});
