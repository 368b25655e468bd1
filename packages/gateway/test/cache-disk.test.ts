/**
 * The edge cache on disk: bounded by bytes with least-recently-used eviction, rebuilt by
 * scanning after a restart (recency kept through mtimes), leftovers of a crash removed, a
 * vanished file a miss; and through the SDK, a damaged entry is never served.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, utimes, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cidOf, RAW_CODEC, type CID } from '@ddc/core';
import { createClient } from '@ddc/client';
import { DiskBlockCache } from '../src/cache/block-cache.js';

async function withDir(f: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ddc-gw-cache-'));
  try {
    await f(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function block(i: number, size = 1000): { cid: CID; key: string; bytes: Uint8Array } {
  const bytes = new Uint8Array(size).fill(i);
  bytes[0] = i >> 8;
  const cid = cidOf(RAW_CODEC, bytes);
  return { cid, key: cid.toString(), bytes };
}

async function settle(cache: DiskBlockCache): Promise<void> {
  // Writes run in the background: close() waits for them; a fresh open reads the result.
  await cache.close();
}

test('stores and serves blocks; counts hits, misses and bytes', async () => {
  await withDir(async (dir) => {
    const cache = await DiskBlockCache.open(dir, 10_000);
    const a = block(1);
    assert.equal(await cache.get(a.key), undefined);
    cache.put(a.key, a.bytes);
    assert.deepEqual(await cache.get(a.key), a.bytes, 'readable while its write is in flight');
    await settle(cache);
    const again = await DiskBlockCache.open(dir, 10_000);
    assert.deepEqual(await again.get(a.key), a.bytes, 'readable from disk after a restart');
    const s = again.stats();
    assert.deepEqual([s.hits, s.misses, s.blocks, s.bytes, s.hitRate], [1, 0, 1, 1000, 1]);
    assert.ok((await readdir(join(dir, a.key.slice(-2)))).includes(a.key), 'DATA/cache/<last two>/<cid>');
  });
});

test('evicts least recently used blocks to stay within maxBytes', async () => {
  await withDir(async (dir) => {
    const cache = await DiskBlockCache.open(dir, 3500);
    const [a, b, c, d] = [block(1), block(2), block(3), block(4)];
    for (const x of [a, b, c]) cache.put(x.key, x.bytes);
    await cache.idle();
    assert.ok(await cache.get(a.key), 'a is now the most recent');
    cache.put(d.key, d.bytes);
    await settle(cache);
    const s = cache.stats();
    assert.ok(s.bytes <= 3500, `within the bound (${s.bytes})`);
    assert.equal(s.evictions, 1);
    const reopened = await DiskBlockCache.open(dir, 3500);
    assert.equal(reopened.has(b.key), false, 'b, the least recently used, went');
    for (const x of [a, c, d]) assert.ok(reopened.has(x.key));
  });
});

test('a restart keeps recency (mtimes), drops temporary files and shrinks to a smaller bound', async () => {
  await withDir(async (dir) => {
    const cache = await DiskBlockCache.open(dir, 100_000);
    const blocks = [block(1), block(2), block(3)];
    for (const x of blocks) cache.put(x.key, x.bytes);
    await settle(cache);
    // Make block 1 the newest on disk, 2 the oldest.
    const path = (x: { key: string }) => join(dir, x.key.slice(-2), x.key);
    await utimes(path(blocks[1]!), new Date(1000_000), new Date(1000_000));
    await utimes(path(blocks[2]!), new Date(2000_000), new Date(2000_000));
    await utimes(path(blocks[0]!), new Date(3000_000), new Date(3000_000));
    await mkdir(join(dir, 'zz'), { recursive: true });
    await writeFile(join(dir, 'zz', 'bafkreihalf.1234.tmp'), 'partial');
    const small = await DiskBlockCache.open(dir, 2000);
    assert.deepEqual([small.has(blocks[0]!.key), small.has(blocks[1]!.key), small.has(blocks[2]!.key)], [true, false, true]);
    assert.deepEqual(await readdir(join(dir, 'zz')), [], 'the temporary file is gone');
  });
});

test('a file removed behind its back is a miss, and forgotten', async () => {
  await withDir(async (dir) => {
    const cache = await DiskBlockCache.open(dir, 10_000);
    const a = block(7);
    cache.put(a.key, a.bytes);
    await cache.idle();
    await rm(join(dir, a.key.slice(-2), a.key));
    assert.equal(await cache.get(a.key), undefined);
    assert.equal(cache.has(a.key), false);
    await cache.close();
  });
});

test('through the SDK a damaged cache entry is not served: the block is fetched again', async () => {
  await withDir(async (dir) => {
    const cache = await DiskBlockCache.open(dir, 10_000);
    const a = block(9);
    const damaged = a.bytes.slice();
    damaged[10] = damaged[10]! ^ 1;
    cache.put(a.key, damaged); // as if the disk flipped a bit
    await cache.idle();
    // No nodes: a read that is not served from the cache fails, so the outcome shows which happened.
    const client = createClient({ cluster: { version: 1, clusterId: 't', k: 1, m: 0, nodes: [{ id: 'n1', zone: 'z', url: 'http://127.0.0.1:9' }] }, blockCache: cache, retry: { attempts: 1 } });
    await assert.rejects(client.getBlock(a.cid), (e: { code?: string }) => e.code !== undefined && e.code !== 'DDC_CID_MISMATCH');
    // Once the nodes give the right bytes, the damaged entry is replaced.
    cache.put(a.key, a.bytes);
    await cache.idle();
    assert.deepEqual(await client.getBlock(a.cid), a.bytes, 'the replaced entry is served');
    const good = block(10);
    cache.put(good.key, good.bytes);
    await cache.idle();
    assert.deepEqual(await client.getBlock(good.cid), good.bytes, 'an intact entry is served without any node');
    await client.close();
    await cache.close();
  });
});
