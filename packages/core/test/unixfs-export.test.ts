// The exporter streams verified bytes, honours ranges, skips subtrees and pipelines fetches.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import * as dagPb from '@ipld/dag-pb';
import { UnixFS } from 'ipfs-unixfs';
import { importer, type ImporterOptions, type WritableStorage } from 'ipfs-unixfs-importer';
import { fixedSize } from 'ipfs-unixfs-importer/chunker';
import { base36 } from 'multiformats/bases/base36';
import {
  CID,
  cidOf,
  exportFile,
  fileSize,
  importFileTo,
  isDdcError,
  parseCid,
  stat,
  verifyBlock,
  walkDag,
  type GetBlock,
} from '../src/index.js';

type Store = Map<string, Uint8Array>;

async function importToStore(data: Uint8Array, opts: { chunkSize?: number; maxChildren?: number } = {}): Promise<{ root: CID; store: Store }> {
  const store: Store = new Map();
  const r = await importFileTo([data], (b) => void store.set(b.cid.toString(), b.bytes), opts);
  return { root: r.cid, store };
}

function getter(store: Store, log?: string[]): GetBlock {
  return async (cid) => {
    log?.push(cid.toString());
    const b = store.get(cid.toString());
    if (!b) throw new Error(`missing ${cid}`);
    return b;
  };
}

async function readAll(it: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of it) parts.push(p);
  return Buffer.concat(parts);
}

test('round trip: exported bytes equal the input for single-leaf and multi-level files', async () => {
  for (const [size, chunkSize, maxChildren] of [[0, 16, 2], [5, 16, 2], [16, 16, 2], [1000, 16, 3], [70_000, 256, 4]] as const) {
    const data = randomBytes(size);
    const { root, store } = await importToStore(data, { chunkSize, maxChildren });
    assert.deepEqual(await readAll(exportFile(root, getter(store))), data);
    assert.equal(await fileSize(root, getter(store)), size);
  }
});

test('round trip with the default 1 MiB chunks', async () => {
  const data = randomBytes(3 * 1_048_576 + 7);
  const { root, store } = await importToStore(data);
  assert.deepEqual(await readAll(exportFile(root, getter(store))), data);
  const s = await stat(root, getter(store));
  assert.deepEqual({ size: s.size, type: s.type, links: s.links }, { size: data.length, type: 'file', links: 4 });
});

test('property: any range of any tree reads exactly data.subarray(offset, offset + length)', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.nat(6_000),
      fc.integer({ min: 16, max: 300 }),
      fc.integer({ min: 2, max: 6 }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.option(fc.nat(7_000)),
      async (size, chunkSize, maxChildren, at, length) => {
        const data = randomBytes(size);
        const { root, store } = await importToStore(data, { chunkSize, maxChildren });
        const offset = Math.floor(at * size);
        const opts = length === null ? { offset } : { offset, length };
        const got = await readAll(exportFile(root, getter(store), opts));
        assert.deepEqual(got, data.subarray(offset, length === null ? size : offset + length));
      },
    ),
    { numRuns: 150 },
  );
});

test('ranges: at the end and zero length are empty; past the end or negative is DDC_INVALID_RANGE', async () => {
  const data = randomBytes(1000);
  const { root, store } = await importToStore(data, { chunkSize: 64, maxChildren: 4 });
  const get = getter(store);
  assert.deepEqual(await readAll(exportFile(root, get, { offset: 990 })), data.subarray(990));
  assert.equal((await readAll(exportFile(root, get, { offset: 1000 }))).length, 0);
  assert.equal((await readAll(exportFile(root, get, { offset: 10, length: 0 }))).length, 0);
  assert.deepEqual(await readAll(exportFile(root, get, { offset: 900, length: 5000 })), data.subarray(900));
  for (const bad of [{ offset: 1001 }, { offset: -1 }, { offset: 1.5 }, { offset: 0, length: -2 }]) {
    await assert.rejects(readAll(exportFile(root, get, bad)), (e) => isDdcError(e, 'DDC_INVALID_RANGE'));
  }
});

test('a small range fetches only the blocks on its path', async () => {
  const data = randomBytes(64 * 200);
  const { root, store } = await importToStore(data, { chunkSize: 64, maxChildren: 4 }); // 200 leaves, depth 4
  const log: string[] = [];
  const got = await readAll(exportFile(root, getter(store, log), { offset: 64 * 77 + 3, length: 10, concurrency: 1 }));
  assert.deepEqual(got, data.subarray(64 * 77 + 3, 64 * 77 + 13));
  assert.equal(log.length, 5, 'root, three interior nodes, one leaf');
});

test('a tampered block is rejected with DDC_CID_MISMATCH', async () => {
  const data = randomBytes(2000);
  const { root, store } = await importToStore(data, { chunkSize: 100, maxChildren: 4 });
  for (const key of [...store.keys()]) {
    const copy = new Map(store);
    const bad = Uint8Array.from(store.get(key)!);
    bad[bad.length - 1]! ^= 1;
    copy.set(key, bad);
    await assert.rejects(readAll(exportFile(root, getter(copy))), (e) => isDdcError(e, 'DDC_CID_MISMATCH'));
    await assert.rejects(async () => {
      for await (const _ of walkDag(root, getter(copy)));
    }, (e) => isDdcError(e, 'DDC_CID_MISMATCH'));
  }
});

test('non-file DAGs and lying blocksizes are DDC_DAG_MALFORMED', async () => {
  const store: Store = new Map();
  const put = (codec: number, bytes: Uint8Array) => {
    const cid = cidOf(codec, bytes);
    store.set(cid.toString(), bytes);
    return cid;
  };
  const leaf = put(0x55, new Uint8Array(10));
  const dir = put(0x70, dagPb.encode({ Data: new UnixFS({ type: 'directory' }).marshal(), Links: [] }));
  const noData = put(0x70, dagPb.encode({ Links: [] }));
  const cbor = put(0x71, new Uint8Array([0xa0]));
  const liar = put(0x70, dagPb.encode({ Data: new UnixFS({ type: 'file', blockSizes: [11n] }).marshal(), Links: [{ Hash: leaf, Name: '', Tsize: 10 }] }));
  const missing = put(0x70, dagPb.encode({ Data: new UnixFS({ type: 'file', blockSizes: [] }).marshal(), Links: [{ Hash: leaf, Name: '', Tsize: 10 }] }));
  const junk = put(0x70, new Uint8Array([0xff, 0xff]));
  for (const root of [dir, noData, cbor, liar, missing, junk]) {
    await assert.rejects(readAll(exportFile(root, getter(store))), (e) => isDdcError(e, 'DDC_DAG_MALFORMED'), root.toString());
  }
});

test('fetches are pipelined with bounded look-ahead', async () => {
  const data = randomBytes(64 * 100);
  const { root, store } = await importToStore(data, { chunkSize: 64, maxChildren: 100 });
  let inFlight = 0;
  let peak = 0;
  const slow: GetBlock = async (cid) => {
    inFlight++;
    peak = Math.max(peak, inFlight);
    await new Promise((r) => setTimeout(r, 1));
    inFlight--;
    return store.get(cid.toString())!;
  };
  assert.deepEqual(await readAll(exportFile(root, slow, { concurrency: 4 })), data);
  assert.ok(peak > 1 && peak <= 5, `peak in flight ${peak}`);
});

test('breaking out early or aborting cancels in-flight fetches', async () => {
  const data = randomBytes(64 * 50);
  const { root, store } = await importToStore(data, { chunkSize: 64, maxChildren: 50 });
  const signals: AbortSignal[] = [];
  const get: GetBlock = async (cid, signal) => {
    if (signal) signals.push(signal);
    await new Promise((r) => setTimeout(r, 2));
    return store.get(cid.toString())!;
  };
  for await (const _ of exportFile(root, get)) break;
  assert.ok(signals.length > 1 && signals.every((s) => s.aborted));

  const ac = new AbortController();
  await assert.rejects(async () => {
    for await (const _ of exportFile(root, get, { signal: ac.signal })) ac.abort();
  }, (e) => isDdcError(e, 'DDC_ABORTED'));
});

test('exports DAGs made by ipfs-unixfs-importer, including CIDv0 dag-pb leaves', async () => {
  const data = randomBytes(600_000);
  const variants: ImporterOptions[] = [
    { profile: 'unixfs-v0-2015' },
    { profile: 'unixfs-v1-2025', rawLeaves: false, chunker: fixedSize({ chunkSize: 100_000 }) },
  ];
  for (const options of variants) {
    const store: Store = new Map();
    const sink: WritableStorage = { put: (cid, val) => (store.set(cid.toString(), val as Uint8Array), cid) };
    let root: CID | undefined;
    for await (const e of importer([{ content: [data] }], sink, options)) root = e.cid;
    assert.ok(root);
    assert.deepEqual(await readAll(exportFile(root, getter(store), { concurrency: 3 })), data);
    assert.deepEqual(await readAll(exportFile(root, getter(store), { offset: 262_140, length: 10 })), data.subarray(262_140, 262_150));
    const walked = [];
    for await (const e of walkDag(root, getter(store))) walked.push(e.cid.toString());
    assert.deepEqual(new Set(walked), new Set(store.keys()));
  }
});

test('walkDag visits every distinct block once, root first, with depths', async () => {
  const data = new Uint8Array(64 * 20); // all-zero: every leaf is the same block
  data.set(randomBytes(64), 64 * 7);
  const { root, store } = await importToStore(data, { chunkSize: 64, maxChildren: 3 });
  const entries = [];
  for await (const e of walkDag(root, getter(store))) entries.push(e);
  assert.equal(entries[0]!.cid.toString(), root.toString());
  assert.equal(entries[0]!.depth, 0);
  assert.deepEqual(new Set(entries.map((e) => e.cid.toString())), new Set(store.keys()));
  assert.equal(entries.length, store.size);
  assert.ok(entries.filter((e) => e.cid.code === 0x55).every((e) => e.depth === 3)); // 20 -> 7 -> 3 -> 1
  let all = 0;
  for await (const _ of walkDag(root, getter(store), { unique: false })) all++;
  assert.ok(all > store.size);
});

test('parseCid accepts CIDv0/CIDv1 and explains bad input', () => {
  const v1 = 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku';
  assert.equal(parseCid(v1).toString(), v1);
  assert.equal(parseCid(` ${v1}\n`).toString(), v1);
  assert.equal(parseCid('QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR').version, 0);
  assert.equal(parseCid(parseCid(v1).toString(base36)).toString(), v1);
  for (const bad of ['', 'hello', `/ipfs/${v1}`, v1.slice(0, 20)]) {
    assert.throws(() => parseCid(bad), (e) => isDdcError(e, 'DDC_INVALID_CID') && e.hint !== undefined);
  }
  assert.throws(() => parseCid(`/ipfs/${v1}`), /Strip the \/ipfs\//);
});

test('verifyBlock accepts the right bytes and rejects others', () => {
  const bytes = randomBytes(100);
  const cid = cidOf(0x55, bytes);
  verifyBlock(cid, bytes);
  assert.throws(() => verifyBlock(cid, bytes.subarray(1)), (e) => isDdcError(e, 'DDC_CID_MISMATCH'));
});
