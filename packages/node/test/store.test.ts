import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { open as openLmdb } from 'lmdb';
import { buildStripe, cidOf, isDdcError } from '@ddc/core';
import { PieceStore } from '../src/index.js';
import { WriteGate } from '../src/http/write-gate.js';
import { KeyedMutex } from '../src/store/keyed-mutex.js';
import { DirSyncer } from '../src/store/fsync.js';
import { makeShard, makeStripe, randomBytes, storedFiles, tempDir } from './helpers.js';

/** One piece coded twice (k=3, m=2 and k=2, m=1): two shards, of two stripes, at each of indexes 0-2. */
function twoStripesOfOnePiece() {
  const pieceLength = 90_000;
  const cid = cidOf(0x55, randomBytes(pieceLength));
  const shards = [[3, 2], [2, 1]].flatMap(([k, m]) => buildStripe(cid, pieceLength, k!, m!, Array.from({ length: k! + m! }, () => randomBytes(Math.ceil(pieceLength / k!)))));
  return { cid, shards };
}

function sameBytes(a: Uint8Array, b: Uint8Array): void {
  assert.equal(Buffer.compare(a, b), 0);
}

const options = (dataDir: string) => ({ dataDir, maxShardBytes: 16 * 1024 * 1024 + 64 * 1024, inlineThreshold: 68 * 1024 });

describe('PieceStore', () => {
  it('puts idempotently, lists by id with a cursor, and finds shards by piece', async () => {
    const dir = await tempDir();
    const store = await PieceStore.open(options(join(dir.path, 'data')));
    try {
      const stripe = makeStripe(300_000, 3, 2);
      for (const s of stripe) assert.deepEqual(await store.putBytes(s.bytes, s.id), { id: s.id, created: true, length: s.bytes.length });
      for (const s of stripe) assert.equal((await store.putBytes(s.bytes)).created, false);
      const ids: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = store.list(after, 2);
        ids.push(...page.shards.map((s) => s.id));
        if (!page.next) break;
        after = page.next;
      }
      assert.deepEqual(ids, stripe.map((s) => s.id).sort());
      assert.deepEqual(
        store.pieceShards(stripe[0]!.header.pieceCid.toString()).map((s) => s.index),
        [0, 1, 2, 3, 4],
      );
      assert.equal(store.pieceShards(stripe[0]!.header.pieceCid.toString(), 3)[0]!.id, stripe[3]!.id);
      assert.deepEqual(store.stats(), { shards: 5, bytes: stripe.reduce((n, s) => n + s.bytes.length, 0) });
      sameBytes(await store.readShard(stripe[2]!.id), stripe[2]!.bytes);
      await assert.rejects(store.readShard('00'.repeat(32)), (e: unknown) => isDdcError(e, 'DDC_SHARD_NOT_FOUND'));
      await assert.rejects(store.putBytes(stripe[0]!.bytes, stripe[1]!.id), (e: unknown) => isDdcError(e, 'DDC_SHARD_ROOT_MISMATCH'));
    } finally {
      await store.close();
      await dir.remove();
    }
  });

  it('finds a shard by piece and index in one read: the lowest id when two stripes share a piece, the next once it is deleted', async () => {
    const dir = await tempDir();
    const store = await PieceStore.open(options(join(dir.path, 'data')));
    try {
      const { cid, shards } = twoStripesOfOnePiece();
      for (const s of shards) await store.putBytes(s.bytes, s.id);
      const key = cid.toString();
      const lowest = (index: number) => shards.filter((s) => s.header.index === index).map((s) => s.id).sort()[0];
      for (let index = 0; index < 6; index++) {
        assert.equal(store.pieceShard(key, index)?.id, lowest(index), `index ${index}`);
        assert.deepEqual(store.pieceShards(key, index).map((s) => s.id), shards.filter((s) => s.header.index === index).map((s) => s.id).sort());
      }
      assert.deepEqual(store.pieceShards(key).map((s) => s.index), [0, 0, 1, 1, 2, 2, 3, 4]);
      const first = store.pieceShard(key, 0)!;
      assert.equal(first.length, shards.find((s) => s.id === first.id)!.bytes.length);
      await store.delete(first.id);
      assert.notEqual(store.pieceShard(key, 0)?.id, first.id);
      assert.equal(store.pieceShard(key, 0)?.id, shards.filter((s) => s.header.index === 0 && s.id !== first.id)[0]!.id);
      assert.equal(store.pieceShard(key, 5), undefined);
      assert.equal(store.pieceShard(cidOf(0x55, randomBytes(10)).toString(), 0), undefined);
    } finally {
      await store.close();
      await dir.remove();
    }
  });

  it('upgrades a format 1 store at open: the piece index is filled from the shard records, the old keys dropped, FORMAT says 2, and a crash part-way is mended by the next open', async () => {
    const dir = await tempDir();
    const dataDir = join(dir.path, 'data');
    let store = await PieceStore.open(options(dataDir));
    const { cid, shards } = twoStripesOfOnePiece();
    const others = [makeShard(1000), makeShard(200_000)];
    try {
      for (const s of [...shards, ...others]) await store.putBytes(s.bytes, s.id);
    } finally {
      await store.close();
    }
    // Turn it into what a format 1 node left: the ids under (piece, index, id) keys in `pieces`.
    const asFormat1 = async (keepSome: boolean) => {
      const root = openLmdb({ path: join(dataDir, 'index'), maxDbs: 8 });
      const pieceIndex = root.openDB<Buffer, [string, number]>('pieceIndex', { encoding: 'binary', dupSort: true });
      const pieces = root.openDB<Buffer, [string, number, string]>('pieces', { encoding: 'binary' });
      const entries = [...pieceIndex.getRange({})].map(({ key, value }) => [key[0], key[1], Buffer.from(value).toString('hex')] as [string, number, string]);
      await root.batch(() => {
        for (const k of entries) void pieces.put(k, Buffer.from([1]));
      });
      // keepSome: a crash after some ids were moved already.
      if (keepSome) await root.batch(() => void pieceIndex.remove([entries[0]![0], entries[0]![1]], Buffer.from(entries[0]![2], 'hex')));
      else await pieceIndex.clearAsync();
      await root.close();
      await writeFile(join(dataDir, 'FORMAT'), JSON.stringify({ format: 'ddc-node-store', version: 1 }));
      return entries.length;
    };
    try {
      for (const keepSome of [false, true]) {
        assert.equal(await asFormat1(keepSome), shards.length + others.length);
        store = await PieceStore.open(options(dataDir));
        try {
          assert.deepEqual(JSON.parse(await readFile(join(dataDir, 'FORMAT'), 'utf8')), { format: 'ddc-node-store', version: 2 });
          assert.deepEqual(store.format, { format: 'ddc-node-store', version: 2 });
          const key = cid.toString();
          assert.deepEqual(store.pieceShards(key).map((s) => s.id), [...shards].sort((a, b) => a.header.index - b.header.index || (a.id < b.id ? -1 : 1)).map((s) => s.id));
          for (const s of [...shards, ...others]) {
            assert.equal(store.pieceShards(s.header.pieceCid.toString(), s.header.index).filter((x) => x.id === s.id).length, 1);
            const found = store.pieceShard(s.header.pieceCid.toString(), s.header.index)!;
            sameBytes(await store.readShard(found.id), [...shards, ...others].find((x) => x.id === found.id)!.bytes);
          }
        } finally {
          await store.close();
        }
        const root = openLmdb({ path: join(dataDir, 'index'), maxDbs: 8 });
        assert.equal([...root.openDB('pieces', { encoding: 'binary' }).getKeys({})].length, 0, 'the format 1 keys are gone');
        await root.close();
      }
    } finally {
      await dir.remove();
    }
  });

  it('interleaved puts and deletes of one id leave index and files in agreement', async () => {
    const dir = await tempDir();
    const dataDir = join(dir.path, 'data');
    const store = await PieceStore.open(options(dataDir));
    try {
      const s = makeShard(200_000);
      const ops: Promise<unknown>[] = [];
      for (let i = 0; i < 20; i++) ops.push(i % 3 === 2 ? store.delete(s.id) : store.putBytes(s.bytes));
      await Promise.all(ops);
      const indexed = store.meta(s.id) !== undefined;
      const files = await storedFiles(dataDir);
      assert.deepEqual(files.shards, indexed ? [`${s.id.slice(0, 2)}/${s.id}`] : []);
      assert.deepEqual(files.tmp, []);
      if (indexed) sameBytes(await store.readShard(s.id), s.bytes);
    } finally {
      await store.close();
      await dir.remove();
    }
  });

  it('inline reads are copies: intact after later writes and deletes, pooled once given back, header-only on request', async () => {
    const dir = await tempDir();
    const store = await PieceStore.open({ ...options(join(dir.path, 'data')), inlineThreshold: 528 * 1024 });
    try {
      // Sizes on both sides of lmdb-js's reused read buffer (small values) and its map views (large ones).
      const shards = [makeShard(1000), makeShard(70_000), makeShard(256 * 1024), makeShard(512 * 1024)];
      for (const s of shards) assert.equal((await store.putBytes(s.bytes, s.id)).created, true);
      for (const s of shards) assert.equal(store.meta(s.id)!.location, 'inline');
      const read = shards.map((s) => store.inlineBytes(s.id)!);
      // Writes and deletes after the reads must not reach the copies (LMDB may reuse freed pages).
      const others = Array.from({ length: 6 }, () => makeShard(256 * 1024));
      for (const o of others) await store.putBytes(o.bytes, o.id);
      for (const o of others) await store.delete(o.id);
      for (const [i, s] of shards.entries()) sameBytes(read[i]!, s.bytes);
      const head = await store.readShard(shards[2]!.id, undefined, 100);
      sameBytes(head, shards[2]!.bytes.subarray(0, 100));
      // Given back, a large copy is handed out again for the next read of that size.
      store.releaseBytes(read[2]!);
      const again = store.inlineBytes(shards[2]!.id)!;
      assert.equal(again.buffer, read[2]!.buffer);
      sameBytes(again, shards[2]!.bytes);
    } finally {
      await store.close();
      await dir.remove();
    }
  });

  it('inline shards joined from many parts, many at once, reusing pooled memory, are stored intact', async () => {
    const dir = await tempDir();
    const store = await PieceStore.open({ ...options(join(dir.path, 'data')), inlineThreshold: 528 * 1024 });
    try {
      // Three rounds of eight concurrent uploads of equal size, so later rounds join into memory earlier ones gave back.
      const rounds = Array.from({ length: 3 }, () => Array.from({ length: 8 }, () => makeShard(256 * 1024)));
      for (const round of rounds) {
        await Promise.all(
          round.map(async (s) => {
            const upload = store.beginPut(s.id, s.bytes.length);
            for (let at = 0; at < s.bytes.length; at += 10_000) {
              upload.write(s.bytes.slice(at, at + 10_000));
              await new Promise((r) => setImmediate(r)); // parts arrive interleaved with the other uploads
            }
            assert.equal((await upload.end()).created, true);
          }),
        );
      }
      for (const s of rounds.flat()) {
        assert.equal(store.meta(s.id)!.location, 'inline');
        sameBytes(await store.readShard(s.id), s.bytes);
      }
    } finally {
      await store.close();
      await dir.remove();
    }
  });

  it('close() waits for commits under way', async () => {
    const dir = await tempDir();
    const dataDir = join(dir.path, 'data');
    const shards = [makeShard(1000), makeShard(500_000)];
    const store = await PieceStore.open(options(dataDir));
    const puts = shards.map((s) => store.putBytes(s.bytes));
    await store.close();
    await Promise.all(puts);
    await assert.rejects(store.putBytes(shards[0]!.bytes), (e: unknown) => isDdcError(e, 'DDC_SHUTTING_DOWN'));
    const reopened = await PieceStore.open(options(dataDir));
    try {
      for (const s of shards) sameBytes(await reopened.readShard(s.id), s.bytes);
    } finally {
      await reopened.close();
      await dir.remove();
    }
  });
});

describe('WriteGate', () => {
  it('admits in order, hands slots over, refuses past the queue, and closes', async () => {
    const gate = new WriteGate(2, 1);
    const a = gate.tryEnter()!;
    const b = gate.tryEnter()!;
    const c = gate.tryEnter()!;
    assert.equal(gate.tryEnter(), undefined);
    assert.deepEqual([gate.running, gate.queued], [2, 1]);
    let cRan = false;
    void c.ready.then(() => (cRan = true));
    a.release();
    a.release(); // twice is harmless
    await c.ready;
    assert.ok(cRan);
    assert.deepEqual([gate.running, gate.queued], [2, 0]);
    const d = gate.tryEnter()!;
    d.release(); // leaves the queue before its turn
    assert.deepEqual([gate.running, gate.queued], [2, 0]);
    const e = gate.tryEnter()!;
    gate.close();
    await assert.rejects(e.ready, (err: unknown) => isDdcError(err, 'DDC_SHUTTING_DOWN'));
    await assert.rejects(gate.tryEnter()!.ready, (err: unknown) => isDdcError(err, 'DDC_SHUTTING_DOWN'));
    const idle = gate.idle();
    b.release();
    c.release();
    await idle;
    assert.deepEqual([gate.running, gate.queued], [0, 0]);
  });

  it('weighs writes: a heavy one waits for room, runs in arrival order, and never past the bound', async () => {
    const gate = new WriteGate(4, 4);
    const ran: string[] = [];
    const enter = (name: string, weight: number) => {
      const t = gate.tryEnter(weight)!;
      void t.ready.then(() => ran.push(name), () => ran.push(`${name}!`));
      return t;
    };
    const a = enter('a', 3);
    const b = enter('b', 2); // 3 + 2 > 4: waits
    const c = enter('c', 1); // would fit, but b is first in line
    await Promise.resolve();
    assert.deepEqual(ran, ['a']);
    assert.deepEqual([gate.running, gate.queued], [3, 2]);
    a.release();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(ran, ['a', 'b', 'c']);
    assert.deepEqual([gate.running, gate.queued], [3, 0]);
    const huge = enter('huge', 99); // clamped to the bound: runs once everything else is done
    const d = enter('d', 1);
    b.release();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(ran, ['a', 'b', 'c']);
    huge.release(); // leaves the queue: d behind it fits now
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(ran, ['a', 'b', 'c', 'huge!', 'd']);
    assert.deepEqual([gate.running, gate.queued], [2, 0]);
    c.release();
    d.release();
    assert.deepEqual([gate.running, gate.queued], [0, 0]);
  });
});

describe('KeyedMutex and DirSyncer', () => {
  it('runs work of one key one at a time, other keys in parallel', async () => {
    const m = new KeyedMutex();
    const log: string[] = [];
    const job = (key: string, name: string, ms: number) =>
      m.run(key, async () => {
        log.push(`${name}+`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`${name}-`);
      });
    await Promise.all([job('x', 'a', 30), job('x', 'b', 1), job('y', 'c', 1)]);
    assert.deepEqual(log.filter((e) => e.startsWith('a') || e.startsWith('b')), ['a+', 'a-', 'b+', 'b-']);
    assert.ok(log.indexOf('c-') < log.indexOf('a-'));
    assert.ok(!m.has('x') && !m.has('y'));
  });

  it('coalesces concurrent folder syncs', async () => {
    const dir = await tempDir();
    try {
      const syncer = new DirSyncer(dir.path);
      const first = syncer.sync();
      const joined = Array.from({ length: 10 }, () => syncer.sync());
      assert.notEqual(joined[0], first, 'a call during a running sync waits for the next one');
      assert.ok(joined.every((p) => p === joined[0]), 'and all such calls share it');
      await Promise.all([first, ...joined]);
    } finally {
      await dir.remove();
    }
  });
});
