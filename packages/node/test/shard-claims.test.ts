/**
 * Bucket claims on shards: a new shard's claims commit with it (one transaction in the store
 * index), and claims that older versions kept in DATA/auth/refs are still read and removed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { open } from 'lmdb';
import { PieceStore } from '../src/index.js';
import { ShardRefs, UNOWNED } from '../src/auth/shard-refs.js';
import { makeShard, tempDir } from './helpers.js';

const options = (dataDir: string) => ({ dataDir, maxShardBytes: 16 * 1024 * 1024 + 64 * 1024, inlineThreshold: 68 * 1024 });

async function put(store: PieceStore, bytes: Uint8Array, claims?: number[]) {
  const upload = store.beginPut(undefined, bytes.length, claims);
  upload.write(bytes);
  return upload.end();
}

describe('shard claims', () => {
  it('commit with a new shard (inline and file), survive a reopen, and are not added to an existing shard', async () => {
    const dir = await tempDir();
    const dataDir = join(dir.path, 'data');
    try {
      const small = makeShard(4096);
      const large = makeShard(300_000);
      let store = await PieceStore.open(options(dataDir));
      assert.equal((await put(store, small.bytes, [7])).created, true);
      assert.equal((await put(store, large.bytes, [7, 9])).created, true);
      // A second PUT of the same shard creates nothing, and its claims are not written by the commit.
      assert.equal((await put(store, small.bytes, [8])).created, false);
      await store.close();
      store = await PieceStore.open(options(dataDir));
      const refs = await ShardRefs.open(dataDir, store);
      assert.deepEqual(refs.list(small.id), [7]);
      assert.deepEqual(refs.list(large.id), [7, 9]);
      await refs.add(small.id, [UNOWNED]);
      await refs.remove(large.id, [9]);
      assert.deepEqual(refs.list(small.id), [UNOWNED, 7]);
      assert.deepEqual(refs.list(large.id), [7]);
      await refs.close();
      await store.close();
    } finally {
      await dir.remove();
    }
  });

  it('claims that outlived their shard (delete, quarantine, claims added meanwhile) are read, also after a reopen, and none for an id never claimed', async () => {
    const dir = await tempDir();
    const dataDir = join(dir.path, 'data');
    try {
      const [deleted, quarantined, claimedLate, never] = [makeShard(4096), makeShard(5000), makeShard(300_000), makeShard(4096)];
      let store = await PieceStore.open(options(dataDir));
      let refs = await ShardRefs.open(dataDir, store);
      assert.equal((await put(store, deleted.bytes, [3])).created, true);
      assert.equal((await put(store, quarantined.bytes, [4, 6])).created, true);
      assert.equal((await put(store, claimedLate.bytes)).created, true);
      // Stored: their claims are read (and none for the shard put without a token).
      assert.deepEqual(refs.list(deleted.id), [3]);
      assert.deepEqual(refs.list(claimedLate.id), []);
      assert.equal(await store.delete(deleted.id), true);
      assert.notEqual(await store.quarantine(quarantined.id), undefined);
      // A bucket's claim recorded while another request deletes the shard (recordShardPut's race).
      await refs.add(claimedLate.id, [9]);
      assert.equal(await store.delete(claimedLate.id), true);
      const expect = () => {
        assert.deepEqual(refs.list(deleted.id), [3]);
        assert.deepEqual(refs.list(quarantined.id), [4, 6]);
        assert.deepEqual(refs.list(claimedLate.id), [9]);
        assert.deepEqual(refs.list(never.id), []);
        assert.equal(store.mayHaveClaims(never.id), false);
      };
      expect();
      await refs.close();
      await store.close();
      store = await PieceStore.open(options(dataDir));
      refs = await ShardRefs.open(dataDir, store);
      expect();
      // Once the last claim of an absent shard goes, nothing is left to read.
      await refs.remove(deleted.id, [3]);
      assert.equal(store.mayHaveClaims(deleted.id), false);
      assert.deepEqual(refs.list(deleted.id), []);
      // Stored again: read as any stored shard.
      assert.equal((await put(store, quarantined.bytes)).created, true);
      assert.deepEqual(refs.list(quarantined.id), [4, 6]);
      await refs.close();
      await store.close();
    } finally {
      await dir.remove();
    }
  });

  it('claims an older version kept in auth/refs are listed beside new ones and removed from both', async () => {
    const dir = await tempDir();
    const dataDir = join(dir.path, 'data');
    try {
      const shard = makeShard(4096);
      const store = await PieceStore.open(options(dataDir));
      assert.equal((await put(store, shard.bytes, [5])).created, true);
      // The layout of DATA/auth/refs written by earlier versions: [shard id, bucket] -> 1.
      await mkdir(join(dataDir, 'auth'), { recursive: true });
      const legacy = open({ path: join(dataDir, 'auth', 'refs'), maxDbs: 2 });
      const db = legacy.openDB<Buffer, [string, number]>('refs', { encoding: 'binary' });
      await legacy.batch(() => {
        void db.put([shard.id, UNOWNED], Buffer.from([1]));
        void db.put([shard.id, 3], Buffer.from([1]));
      });
      await legacy.close();
      const refs = await ShardRefs.open(dataDir, store);
      assert.deepEqual(refs.list(shard.id), [UNOWNED, 3, 5]);
      await refs.remove(shard.id, [3]);
      assert.deepEqual(refs.list(shard.id), [UNOWNED, 5]);
      await refs.remove(shard.id);
      assert.deepEqual(refs.list(shard.id), []);
      await refs.close();
      await store.close();
    } finally {
      await dir.remove();
    }
  });
});
