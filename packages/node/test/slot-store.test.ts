import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { isDdcError } from '@ddc/core';
import { PieceStore } from '../src/index.js';
import { SlotStore, slotSizeFor } from '../src/store/slot-store.js';
import { decodeMeta, encodeMeta, type ShardMeta } from '../src/store/meta-codec.js';
import { makeShard, randomBytes, tempDir } from './helpers.js';

const options = (dataDir: string) => ({ dataDir, maxShardBytes: 16 * 1024 * 1024 + 64 * 1024, inlineThreshold: 528 * 1024 });

function sameBytes(a: Uint8Array, b: Uint8Array): void {
  assert.equal(Buffer.compare(a, b), 0);
}

describe('slots', () => {
  it('keep mid-sized shards across a reopen, and reuse a deleted shard\'s slot', async () => {
    const dir = await tempDir();
    const dataDir = join(dir.path, 'data');
    const shards = [makeShard(70_000), makeShard(256 * 1024), makeShard(256 * 1024), makeShard(500_000)];
    let store = await PieceStore.open(options(dataDir));
    try {
      for (const s of shards) await store.putBytes(s.bytes, s.id);
      assert.deepEqual(shards.map((s) => store.meta(s.id)!.location), ['slot', 'slot', 'slot', 'slot']);
    } finally {
      await store.close();
    }
    store = await PieceStore.open(options(dataDir));
    try {
      for (const s of shards) sameBytes(await store.readShard(s.id), s.bytes);
      // A deleted shard's slot takes the next shard of its size; the slot file does not grow.
      const files = await readdir(join(dataDir, 'slots'));
      const sizes = await Promise.all(files.map(async (f) => (await stat(join(dataDir, 'slots', f))).size));
      const freed = store.meta(shards[1]!.id)!.slot!;
      assert.equal(await store.delete(shards[1]!.id), true);
      const next = makeShard(256 * 1024);
      await store.putBytes(next.bytes, next.id);
      assert.deepEqual(store.meta(next.id)!.slot, freed);
      assert.deepEqual(await Promise.all(files.map(async (f) => (await stat(join(dataDir, 'slots', f))).size)), sizes);
      sameBytes(await store.readShard(next.id), next.bytes);
      for (const s of [shards[0]!, shards[2]!, shards[3]!]) sameBytes(await store.readShard(s.id), s.bytes);
    } finally {
      await store.close();
      await dir.remove();
    }
  });

  it('treat a slot written but never indexed (a crash before the commit) as free', async () => {
    const dir = await tempDir();
    const dataDir = join(dir.path, 'data');
    const kept = makeShard(256 * 1024);
    let store = await PieceStore.open(options(dataDir));
    try {
      await store.putBytes(kept.bytes, kept.id);
    } finally {
      await store.close();
    }
    // What a crash between the slot's write and the index commit leaves: bytes in the next slot.
    const size = slotSizeFor(kept.bytes.length);
    const [file] = await readdir(join(dataDir, 'slots'));
    const fh = await open(join(dataDir, 'slots', file!), 'r+');
    await fh.write(randomBytes(size), 0, size, size);
    await fh.close();
    store = await PieceStore.open(options(dataDir));
    try {
      const next = makeShard(256 * 1024);
      await store.putBytes(next.bytes, next.id);
      assert.deepEqual(store.meta(next.id)!.slot, { size, file: 0, slot: 1 });
      sameBytes(await store.readShard(next.id), next.bytes);
      sameBytes(await store.readShard(kept.id), kept.bytes);
    } finally {
      await store.close();
      await dir.remove();
    }
  });

  it('reuse a freed slot only after the reads that started before the free have ended', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ddc-slots-'));
    const slots = await SlotStore.open(dir, []);
    try {
      const a = slots.allocate(100_000);
      const bytes = randomBytes(100_000);
      await slots.write(a, bytes);
      const reading = slots.read(a, new Uint8Array(bytes.length));
      slots.release(a);
      const during = slots.allocate(100_000);
      assert.notDeepEqual(during, a, 'a read in flight keeps the slot');
      sameBytes(await reading, bytes);
      slots.unused(during);
      const after = [slots.allocate(100_000), slots.allocate(100_000)];
      assert.ok(after.some((x) => x.slot === a.slot && x.file === a.file), 'once the read ended the slot is free again');
    } finally {
      slots.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('work through the page cache with direct I/O off (as where the file system refuses it)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ddc-slots-'));
    try {
      let slots = await SlotStore.open(dir, [], { direct: false });
      assert.equal(slots.direct, false);
      const written = [randomBytes(70_000), randomBytes(300_000), randomBytes(70_000)].map((b) => ({ b, at: slots.allocate(b.length) }));
      await Promise.all(written.map(({ b, at }) => slots.write(at, b)));
      slots.close();
      slots = await SlotStore.open(dir, written.map((w) => w.at), { direct: false });
      for (const { b, at } of written) sameBytes(await slots.read(at, new Uint8Array(b.length)), b);
      slots.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('use O_DIRECT on this machine\'s data disk', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'ddc-slots-'));
    const slots = await SlotStore.open(dir, []);
    try {
      // Not every file system takes direct I/O; where the temp folder does, the store must use it.
      if (!slots.direct) return t.skip(`${dir} refuses O_DIRECT`);
      const b = randomBytes(200_000);
      const at = slots.allocate(b.length);
      await slots.write(at, b);
      sameBytes(await slots.read(at, new Uint8Array(b.length)), b);
    } finally {
      slots.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('index records', () => {
  const meta = fc.record({
    pieceCid: fc.stringMatching(/^b[a-z2-7]{1,80}$/),
    index: fc.integer({ min: 0, max: 255 }),
    k: fc.integer({ min: 1, max: 255 }),
    m: fc.integer({ min: 0, max: 255 }),
    length: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    headerLength: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    where: fc.oneof(
      fc.constant({ location: 'inline' as const }),
      fc.constant({ location: 'file' as const }),
      fc.record({ location: fc.constant('slot' as const), slot: fc.record({ size: fc.integer({ min: 1, max: 2 ** 32 - 1 }), file: fc.nat(), slot: fc.nat() }) }),
    ),
  });

  it('round-trip every location', () => {
    fc.assert(
      fc.property(meta, ({ where, ...rest }) => {
        const m = JSON.parse(JSON.stringify({ ...rest, ...where })) as ShardMeta; // plain objects (fast-check's have no prototype)
        assert.deepEqual(decodeMeta(encodeMeta(m)), m);
      }),
    );
  });

  it('refuse anything else with DDC_STORE_VERSION, never another error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        try {
          const m = decodeMeta(bytes);
          // What decodes is a known version and location, and encodes back to the same bytes' prefix.
          assert.ok((bytes[0] === 1 && bytes[1]! <= 1) || (bytes[0] === 2 && bytes[1] === 2));
          assert.ok(m.location === 'slot' ? m.slot !== undefined : m.slot === undefined);
        } catch (e) {
          assert.ok(isDdcError(e, 'DDC_STORE_VERSION'), String(e));
        }
      }),
    );
    // A version 1 record may not claim the slot location, nor a version 2 record another one.
    const slotRecord = encodeMeta({ pieceCid: 'bafy', index: 0, k: 1, m: 0, length: 5, headerLength: 1, location: 'slot', slot: { size: 4096, file: 0, slot: 3 } });
    assert.throws(() => decodeMeta(Buffer.concat([Buffer.from([1]), slotRecord.subarray(1)])), (e: unknown) => isDdcError(e, 'DDC_STORE_VERSION'));
    assert.throws(() => decodeMeta(Buffer.concat([Buffer.from([2, 0]), slotRecord.subarray(2)])), (e: unknown) => isDdcError(e, 'DDC_STORE_VERSION'));
  });
});
