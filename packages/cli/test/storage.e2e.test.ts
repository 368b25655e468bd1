/**
 * The storage core end to end: real node processes on loopback ports, the real SDK,
 * real files on disk.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { createClient, type DdcClient } from '@ddc/client';
import { DdcError, parseCid } from '@ddc/core';
import { importer } from 'ipfs-unixfs-importer';
import { fixedSize } from 'ipfs-unixfs-importer/chunker';
import { balanced } from 'ipfs-unixfs-importer/layout';
import { MemoryBlockstore } from 'blockstore-core';
import { startCluster, randomBytes } from './helpers.js';
import { damageShard } from '../chaos/damage.js';

const MiB = 1024 * 1024;
let env: Awaited<ReturnType<typeof startCluster>>;
let client: DdcClient;
const stored = new Map<string, Uint8Array>();

async function ipfsCid(bytes: Uint8Array): Promise<string> {
  const opts = { cidVersion: 1 as const, rawLeaves: true, chunker: fixedSize({ chunkSize: MiB }), layout: balanced({ maxChildrenPerNode: 1024 }), reduceSingleLeafToSelf: true };
  let last;
  for await (const entry of importer([{ content: bytes }], new MemoryBlockstore(), opts)) last = entry;
  return last!.cid.toString();
}

function code(e: unknown): string {
  return e instanceof DdcError ? e.code : String(e);
}

before(async () => {
  env = await startCluster({ nodes: 6, zones: 3, k: 4, m: 2 });
  client = createClient({ cluster: env.cluster.descriptor(), hedgeAfterMs: 200, nodeCooldownMs: 500 });
});

after(async () => {
  await client?.close();
  await env?.close();
});

test('round trips at the edges of a chunk, and the CIDs equal IPFS', async () => {
  for (const size of [0, 1, MiB - 1, MiB, MiB + 1, 10 * MiB]) {
    const bytes = randomBytes(size);
    const { cid, size: got, missingShards } = await client.put(bytes);
    assert.equal(got, size);
    assert.deepEqual(missingShards, []);
    assert.equal(cid.toString(), await ipfsCid(bytes), `CID for ${size} bytes`);
    assert.deepEqual(await client.getBytes(cid), bytes, `bytes for ${size}`);
    stored.set(cid.toString(), bytes);
  }
});

test('a random 64 MiB object streams in and out byte-identical', async () => {
  const bytes = randomBytes(64 * MiB);
  async function* chunks() {
    // Uneven source chunks, as a network stream would give.
    for (let off = 0; off < bytes.length; ) {
      const n = Math.min(bytes.length - off, 100_000 + ((off / 7) % 900_000));
      yield bytes.subarray(off, off + n);
      off += n;
    }
  }
  const { cid } = await client.put(chunks());
  const h = createHash('sha256');
  let n = 0;
  for await (const part of client.get(cid) as unknown as AsyncIterable<Uint8Array>) {
    h.update(part);
    n += part.length;
  }
  assert.equal(n, bytes.length);
  assert.equal(h.digest('hex'), createHash('sha256').update(bytes).digest('hex'));
});

test('a read-ahead above 10 pieces reads back byte-identical without listener-leak warnings', async () => {
  const bytes = randomBytes(24 * MiB + 5);
  const wide = createClient({ cluster: env.cluster.descriptor(), readAhead: 24 });
  const warnings: string[] = [];
  const onWarning = (w: Error) => void warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);
  try {
    const { cid } = await wide.put(bytes);
    const parts: Uint8Array[] = [];
    for await (const part of wide.get(cid) as unknown as AsyncIterable<Uint8Array>) parts.push(part);
    assert.equal(Buffer.compare(Buffer.concat(parts), bytes), 0);
    await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
    assert.deepEqual(warnings.filter((w) => w.includes('MaxListeners')), []);
  } finally {
    process.off('warning', onWarning);
    await wide.close();
  }
});

test('getRecyclable: chunks given back and scribbled over never change later chunks', async () => {
  const [cid, bytes] = [...stored].find(([, b]) => b.length === 10 * MiB)!;
  for (const range of [undefined, { offset: MiB - 3, length: 3 * MiB + 10 }]) {
    const { body, recycle } = client.getRecyclable(cid, range ? { range } : {});
    const parts: Buffer[] = [];
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
      // A slow reader: the pieces fetched ahead all complete meanwhile, so sharing memory would show.
      await new Promise((r) => setTimeout(r, 20));
      parts.push(Buffer.from(chunk)); // a copy: the chunk itself goes back to the client
      chunk.fill(0xee);
      recycle(chunk);
    }
    const want = range ? bytes.subarray(range.offset, range.offset + range.length) : bytes;
    assert.ok(Buffer.concat(parts).equals(want), `range ${JSON.stringify(range)}`);
  }
  // A plain get afterwards, from the same pools, is still right.
  assert.deepEqual(await client.getBytes(cid), bytes);
});

test('get() chunks are the reader\'s own: kept chunks survive later reads through the same pools', async () => {
  const [cid, bytes] = [...stored].find(([, b]) => b.length === 10 * MiB)!;
  const kept: Uint8Array[] = [];
  for await (const chunk of client.get(cid) as unknown as AsyncIterable<Uint8Array>) kept.push(chunk);
  // More reads through the pools the first read's pieces went through (pooled for getRecyclable and for get's read-ahead).
  const other = randomBytes(5 * MiB);
  const { cid: otherCid } = await client.put(other);
  for await (const chunk of client.get(otherCid) as unknown as AsyncIterable<Uint8Array>) chunk.fill(0xee);
  const { body, recycle } = client.getRecyclable(otherCid);
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) recycle(chunk.fill(0xdd));
  assert.ok(Buffer.concat(kept).equals(bytes));
  assert.equal(new Set(kept.map((c) => c.buffer)).size, kept.length, 'every chunk has memory of its own');
});

/** Reads a byte stream with a BYOB reader into one reused buffer of `size` bytes; returns the copies and the largest read. */
async function readByob(stream: ReadableStream<Uint8Array>, size: number, stopAfter = Infinity): Promise<{ bytes: Buffer; largest: number }> {
  const reader = stream.getReader({ mode: 'byob' });
  const parts: Buffer[] = [];
  let buffer = new ArrayBuffer(size);
  let largest = 0;
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read(new Uint8Array(buffer));
    if (done) break;
    assert.equal(value.buffer.byteLength, size, 'the bytes land in the reader\'s own buffer');
    parts.push(Buffer.from(value));
    largest = Math.max(largest, value.length);
    total += value.length;
    buffer = value.buffer as ArrayBuffer; // the same memory, handed back by the stream
    if (total >= stopAfter) {
      await reader.cancel();
      break;
    }
  }
  return { bytes: Buffer.concat(parts), largest };
}

test('get() with a BYOB reader fills the reader\'s own buffer, for whole files and ranges, of any size', async () => {
  const [cid, bytes] = [...stored].find(([, b]) => b.length === 10 * MiB)!;
  // Smaller than a piece and not dividing it; then larger than a piece (a read never spans two).
  for (const size of [300_001, 3 * MiB]) {
    const got = await readByob(client.get(cid), size);
    assert.ok(got.bytes.equals(bytes), `buffer of ${size}`);
    assert.ok(got.largest <= Math.min(size, MiB));
    const range = { offset: MiB - 3, length: 3 * MiB + 10 };
    const part = await readByob(client.get(cid, { range }), size);
    assert.ok(part.bytes.equals(bytes.subarray(range.offset, range.offset + range.length)), `range with a buffer of ${size}`);
  }
  // Cancelled part-way through a piece: the next reads, default and BYOB, are still right.
  const cut = await readByob(client.get(cid), 100_000, 2 * MiB + 50_000);
  assert.ok(cut.bytes.equals(bytes.subarray(0, cut.bytes.length)));
  assert.deepEqual(await client.getBytes(cid), bytes);
  assert.ok((await readByob(client.get(cid), 65_536)).bytes.equals(bytes));
  // An empty file and empty ranges end at once, for both kinds of reader.
  const [emptyCid] = [...stored].find(([, b]) => b.length === 0)!;
  assert.equal((await readByob(client.get(emptyCid), 1024)).bytes.length, 0);
  for (const range of [{ offset: MiB, length: 0 }, { offset: 10 * MiB }]) {
    assert.equal((await readByob(client.get(cid, { range }), 1024)).bytes.length, 0, `BYOB ${JSON.stringify(range)}`);
    let n = 0;
    for await (const chunk of client.get(cid, { range }) as unknown as AsyncIterable<Uint8Array>) n += chunk.length;
    assert.equal(n, 0, `default reader ${JSON.stringify(range)}`);
  }
});

test('ranges return exactly the requested slice', async () => {
  const [cid, bytes] = [...stored].find(([, b]) => b.length === 10 * MiB)!;
  for (const [offset, length] of [[0, 1], [MiB - 3, 7], [5 * MiB + 11, 2 * MiB], [10 * MiB - 5, 100], [10 * MiB, 0], [123, undefined]] as const) {
    const got = await client.getBytes(cid, { range: length === undefined ? { offset } : { offset, length } });
    assert.deepEqual(got, bytes.subarray(offset, length === undefined ? undefined : offset + length), `range ${offset}+${length}`);
  }
  await assert.rejects(client.getBytes(cid, { range: { offset: 10 * MiB + 1 } }), (e) => code(e) === 'DDC_INVALID_RANGE');
});

test('reads succeed with any two of six nodes stopped', async () => {
  const ids = [...env.cluster.nodes.keys()];
  for (let a = 0; a < ids.length; a++) {
    for (let b = a + 1; b < ids.length; b++) {
      await Promise.all([env.cluster.stopNode(ids[a]!, 'SIGKILL'), env.cluster.stopNode(ids[b]!, 'SIGKILL')]);
      try {
        for (const [cid, bytes] of stored) {
          if (bytes.length > 2 * MiB && (a + b) % 3 !== 0) continue; // the 10 MiB object on a third of the pairs keeps this quick
          assert.deepEqual(await client.getBytes(cid), bytes, `${cid} with ${ids[a]} and ${ids[b]} down`);
        }
      } finally {
        await Promise.all([env.cluster.startNode(ids[a]!), env.cluster.startNode(ids[b]!)]);
      }
    }
  }
});

test('write quorum: one node down still stores (missing shard reported), three down refuses', async () => {
  const ids = [...env.cluster.nodes.keys()];
  await env.cluster.stopNode(ids[0]!, 'SIGKILL');
  const bytes = randomBytes(3 * MiB);
  const fresh = createClient({ cluster: env.cluster.descriptor() });
  const r = await fresh.put(bytes);
  assert.ok(r.missingShards.length > 0, 'some shards belonged on the stopped node');
  assert.ok(r.missingShards.every((s) => s.nodeId === ids[0]));
  assert.deepEqual(await fresh.getBytes(r.cid), bytes);
  try {
    await Promise.all([env.cluster.stopNode(ids[1]!, 'SIGKILL'), env.cluster.stopNode(ids[2]!, 'SIGKILL')]);
    await assert.rejects(fresh.put(randomBytes(2 * MiB)), (e) => code(e) === 'DDC_WRITE_QUORUM');
  } finally {
    await fresh.close();
    await Promise.all(ids.slice(0, 3).map((id) => env.cluster.startNode(id)));
  }
});

test('a shard with flipped bytes on disk is detected and the read is still correct', async () => {
  const bytes = randomBytes(2 * MiB);
  const { cid } = await client.put(bytes);
  // Damage every shard of this object that one node holds, where it keeps them (inside LMDB by default).
  const victim = [...env.cluster.nodes.keys()][3]!;
  const node = env.cluster.nodes.get(victim)!;
  const held = (await client.stat(cid)).pieces.flatMap((p) => p.shards).filter((s) => s.nodeId === victim);
  assert.ok(held.length > 0, 'the node holds shards of the object');
  for (const s of held) await damageShard(join(env.cluster.dir, 'nodes', victim, 'data'), node.url, s.shardId, (n) => [n - 1 - (n >> 2)]);
  assert.deepEqual(await client.getBytes(cid), bytes);
  const report = await client.verify(cid);
  assert.equal(report.healthy, false);
  const bad = report.pieces.flatMap((p) => p.shards).filter((s) => s.status !== 'ok');
  assert.ok(bad.length > 0 && bad.every((s) => s.nodeId === victim && s.status === 'corrupt'), JSON.stringify(bad));
});

test('bad CIDs and unknown content give typed errors', async () => {
  await assert.rejects(client.getBytes('not-a-cid'), (e) => code(e) === 'DDC_INVALID_CID');
  const absent = parseCid('bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy');
  await assert.rejects(client.getBytes(absent), (e) => code(e) === 'DDC_PIECE_UNRECOVERABLE');
});

test('an aborted put and get stop with DDC_ABORTED', async () => {
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(client.put(randomBytes(MiB), { signal: controller.signal }), (e) => code(e) === 'DDC_ABORTED');
  const [cid] = [...stored.keys()];
  await assert.rejects(client.getBytes(cid!, { signal: controller.signal }), (e) => code(e) === 'DDC_ABORTED');
});

test('a restarted cluster still has everything', async () => {
  await env.cluster.stop();
  const again = await (await import('../src/index.js')).DevCluster.start({ dataDir: env.cluster.dir });
  const c2 = createClient({ cluster: again.descriptor() });
  try {
    for (const [cid, bytes] of stored) assert.deepEqual(await c2.getBytes(cid), bytes);
    assert.ok((await stat(again.clusterFile)).size > 0);
  } finally {
    await c2.close();
    await again.stop();
  }
});
