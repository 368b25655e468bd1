// The importer must give the same DAG, block for block, as ipfs-unixfs-importer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import * as dagPb from '@ipld/dag-pb';
import { UnixFS } from 'ipfs-unixfs';
import { importer, type ImporterOptions, type WritableStorage } from 'ipfs-unixfs-importer';
import { fixedSize } from 'ipfs-unixfs-importer/chunker';
import { balanced } from 'ipfs-unixfs-importer/layout';
import { MemoryBlockstore } from 'blockstore-core/memory';
import { RAW_CODEC, buildFileTree, importFile, importFileTo, isDdcError, type Block, type FileLink, type ImportResult } from '../src/index.js';

const MiB = 1_048_576;

interface Reference {
  cid: string;
  size: bigint;
  blocks: Map<string, Uint8Array>;
}

/** Imports with ipfs-unixfs-importer; keeps every block keyed by its full CID. */
async function reference(chunks: Iterable<Uint8Array>, opts?: { chunkSize: number; maxChildren: number }): Promise<Reference> {
  const blocks = new Map<string, Uint8Array>();
  const store: WritableStorage = {
    put: async (cid, val) => {
      assert.ok(val instanceof Uint8Array);
      blocks.set(cid.toString(), val);
      return cid;
    },
  };
  const options: ImporterOptions = opts
    ? { profile: 'unixfs-v1-2025', chunker: fixedSize({ chunkSize: opts.chunkSize }), layout: balanced({ maxChildrenPerNode: opts.maxChildren }) }
    : { profile: 'unixfs-v1-2025' };
  let last;
  for await (const entry of importer([{ content: chunks }], store, options)) last = entry;
  assert.ok(last);
  return { cid: last.cid.toString(), size: last.size, blocks };
}

async function ours(chunks: Iterable<Uint8Array>, opts: { chunkSize?: number; maxChildren?: number } = {}): Promise<{ result: ImportResult; blocks: Block[] }> {
  const blocks: Block[] = [];
  const result = await importFileTo(chunks, (b) => void blocks.push(b), opts);
  return { result, blocks };
}

/** Same root, same blocks with the same bytes, children always emitted before parents. */
function assertSameDag(got: { result: ImportResult; blocks: Block[] }, ref: Reference, size: number): void {
  assert.equal(got.result.cid.toString(), ref.cid);
  assert.equal(got.result.size, size);
  assert.equal(BigInt(got.result.dagSize), ref.size);
  assert.equal(got.result.blocks, got.blocks.length);
  assert.equal(got.blocks.at(-1)!.cid.toString(), ref.cid, 'root is the last block');
  const emitted = new Set<string>();
  for (const b of got.blocks) {
    const key = b.cid.toString();
    const want = ref.blocks.get(key);
    assert.ok(want, `block ${key} is not in the reference DAG`);
    assert.equal(Buffer.compare(b.bytes, want), 0, `bytes of ${key} differ`);
    if (b.cid.code === dagPb.code) {
      for (const l of dagPb.decode(b.bytes).Links) assert.ok(emitted.has(l.Hash.toString()), 'child emitted before parent');
    }
    emitted.add(key);
  }
  assert.equal(emitted.size, ref.blocks.size);
}

/** Cuts `data` at the given piece sizes (0 gives an empty chunk); the rest is the last piece. */
function split(data: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let off = 0;
  for (const c of cuts) {
    const end = Math.min(data.length, off + c);
    out.push(data.subarray(off, end));
    off = end;
  }
  out.push(data.subarray(off));
  return out;
}

for (const size of [0, 1, MiB - 1, MiB, MiB + 1, 10 * MiB]) {
  test(`default profile: ${size} bytes give the same blocks as ipfs-unixfs-importer`, async () => {
    const data = randomBytes(size);
    const ref = await reference([data]);
    assertSameDag(await ours([data]), ref, size);
  });
}

test('default profile: random 64 MiB in uneven pieces equals ipfs-unixfs-importer, also with Helia options spelled out', async () => {
  const data = randomBytes(64 * MiB);
  const pieces = split(data, Array.from({ length: 300 }, (_, i) => (i * 7919) % 500_000));
  const ref = await reference(pieces);
  const helia = new MemoryBlockstore();
  let heliaRoot;
  for await (const e of importer([{ content: [data] }], helia, {
    cidVersion: 1,
    rawLeaves: true,
    chunker: fixedSize({ chunkSize: MiB }),
    layout: balanced({ maxChildrenPerNode: 1024 }),
    reduceSingleLeafToSelf: true,
  })) heliaRoot = e.cid.toString();
  assert.equal(heliaRoot, ref.cid);
  assertSameDag(await ours(pieces), ref, data.length);
});

test('empty file is the raw leaf of zero bytes', async () => {
  const { result, blocks } = await ours([]);
  assert.equal(result.cid.toString(), 'bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku');
  assert.equal(blocks.length, 1);
  assert.equal(result.size, 0);
  const alsoEmpty = await ours([new Uint8Array(0), new Uint8Array(0)]);
  assert.equal(alsoEmpty.result.cid.toString(), result.cid.toString());
});

test('file nodes carry filesize and blocksizes only: no data, mtime or mode; links are unnamed', async () => {
  const { blocks } = await ours([randomBytes(100)], { chunkSize: 16, maxChildren: 4 });
  const root = dagPb.decode(blocks.at(-1)!.bytes);
  const fs = UnixFS.unmarshal(root.Data!);
  assert.equal(fs.type, 'file');
  assert.equal(fs.data, undefined);
  assert.equal(fs.mtime, undefined);
  assert.equal(fs.fileSize(), 100n);
  assert.ok(root.Links.every((l) => l.Name === '' && typeof l.Tsize === 'number'));
});

test('property: any sizes, splits, chunkSize 16..1024 and maxChildren 2..8 match ipfs-unixfs-importer', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(fc.nat(64), fc.nat(4_000), fc.nat(24_000)),
      fc.integer({ min: 16, max: 1024 }),
      fc.integer({ min: 2, max: 8 }),
      fc.array(fc.oneof(fc.constant(0), fc.nat(40), fc.nat(3_000)), { maxLength: 30 }),
      async (size, chunkSize, maxChildren, cuts) => {
        const data = randomBytes(size);
        const ref = await reference([data], { chunkSize, maxChildren });
        assertSameDag(await ours(split(data, cuts), { chunkSize, maxChildren }), ref, size);
      },
    ),
    { numRuns: 150 },
  );
});

test('property: leaves assembled in reused, dirty buffers (allocateLeaf) give the same DAG', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.nat(6_000),
      fc.integer({ min: 16, max: 1024 }),
      fc.array(fc.oneof(fc.constant(0), fc.nat(40), fc.nat(3_000)), { maxLength: 30 }),
      async (size, chunkSize, cuts) => {
        const data = randomBytes(size);
        const ref = await reference([data], { chunkSize, maxChildren: 4 });
        // One spare buffer per size, scribbled over before it is handed out again.
        const spare = new Map<number, Uint8Array>();
        const ours = new Set<Uint8Array>();
        const allocateLeaf = (n: number) => {
          const b = spare.get(n)?.fill(0xa5) ?? new Uint8Array(n);
          spare.delete(n);
          ours.add(b);
          return b;
        };
        const blocks: Block[] = [];
        const gen = importFile(split(data, cuts), { chunkSize, maxChildren: 4, allocateLeaf });
        let r = await gen.next();
        while (!r.done) {
          const b = r.value;
          blocks.push({ cid: b.cid, bytes: Uint8Array.from(b.bytes) });
          // The block is used: its bytes may be reused for the next leaf (only ours: others are views of the source).
          if (ours.has(b.bytes)) spare.set(b.bytes.length, b.bytes);
          r = await gen.next();
        }
        assertSameDag({ result: r.value, blocks }, ref, size);
      },
    ),
    { numRuns: 100 },
  );
});

test('blocks stream out as soon as they are final: parents right after their last child', async () => {
  const kinds: string[] = [];
  for await (const b of importFile([new Uint8Array(16 * 5)], { chunkSize: 16, maxChildren: 2 })) {
    kinds.push(b.cid.code === dagPb.code ? 'P' : 'L');
  }
  // 5 leaves, 2 per node: levels of 5 -> 3 -> 2 -> 1; a lone leftover still gets a parent.
  assert.equal(kinds.join(''), 'LLPLLPPLPPP');
});

test('identical chunks still yield one block each, and the generator returns the result', async () => {
  const gen = importFile([new Uint8Array(64)], { chunkSize: 16, maxChildren: 8 });
  let n = 0;
  let r = await gen.next();
  while (!r.done) {
    n++;
    r = await gen.next();
  }
  assert.equal(n, 5);
  assert.equal(r.value.blocks, 5);
  assert.equal(r.value.size, 64);
});

test('chunks that lie inside one input buffer are views, not copies', async () => {
  const data = randomBytes(64);
  const blocks = (await ours([data], { chunkSize: 16, maxChildren: 8 })).blocks;
  assert.equal(blocks[0]!.bytes.buffer, data.buffer);
});

test('onProgress reports bytes read; abort stops the import with DDC_ABORTED', async () => {
  const seen: number[] = [];
  await ours([new Uint8Array(10), new Uint8Array(0), new Uint8Array(5)].values(), {});
  await importFileTo([new Uint8Array(10), new Uint8Array(5)], () => {}, { onProgress: (n) => seen.push(n) });
  assert.deepEqual(seen, [10, 15]);

  const ac = new AbortController();
  async function* endless() {
    for (;;) yield new Uint8Array(1000);
  }
  let count = 0;
  await assert.rejects(
    importFileTo(endless(), () => {
      if (++count === 3) ac.abort();
    }, { chunkSize: 100, signal: ac.signal }),
    (e) => isDdcError(e, 'DDC_ABORTED'),
  );
});

test('bad options and bad chunks are rejected with DDC_INVALID_ARGUMENT', async () => {
  for (const opts of [{ chunkSize: 0 }, { chunkSize: 1.5 }, { maxChildren: 1 }]) {
    await assert.rejects(ours([new Uint8Array(1)], opts), (e) => isDdcError(e, 'DDC_INVALID_ARGUMENT'));
  }
  await assert.rejects(ours(['text' as unknown as Uint8Array]), (e) => isDdcError(e, 'DDC_INVALID_ARGUMENT'));
});

/** A callable gc: --expose-gc if node was started with it, otherwise switched on at runtime. */
function getGc(): (() => void) | undefined {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

test('memory stays bounded while importing 256 MiB from a generator', async () => {
  const gc = getGc();
  const used = () => {
    gc?.();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const pattern = randomBytes(MiB + 12_345);
  const total = 256 * MiB;
  async function* source() {
    // Uneven views of one buffer: chunks straddle reads, so the copy path runs too.
    for (let sent = 0, i = 0; sent < total; i++) {
      const n = Math.min(total - sent, 50_000 + ((i * 104_729) % 300_000));
      const off = (i * 7_777) % (pattern.length - n);
      yield pattern.subarray(off, off + n);
      sent += n;
    }
  }
  const base = used();
  let peak = 0;
  let leaves = 0;
  const result = await importFileTo(source(), (b) => {
    if (b.cid.code !== dagPb.code && ++leaves % 32 === 0) peak = Math.max(peak, used() - base);
  });
  assert.equal(result.size, total);
  assert.equal(leaves, 256);
  // One chunk plus a link list is ~1.1 MiB; leave room for allocator noise.
  const bound = gc ? 16 * MiB : 160 * MiB;
  assert.ok(peak < bound, `heap grew by ${(peak / MiB).toFixed(1)} MiB (bound ${bound / MiB} MiB, gc ${gc ? 'on' : 'off'})`);
});

/** Imports each part on its own and keeps its raw leaves, in order, as a multipart upload stores them. */
async function partLeaves(parts: readonly Uint8Array[], chunkSize: number): Promise<FileLink[]> {
  const leaves: FileLink[] = [];
  for (const part of parts) {
    await importFileTo([part], (b) => {
      if (b.cid.code === RAW_CODEC) leaves.push({ cid: b.cid, tsize: b.bytes.length, fileSize: b.bytes.length });
    }, { chunkSize, maxChildren: 1024 });
  }
  return leaves;
}

test('property: parts of whole chunks, imported one by one, compose (buildFileTree) into the DAG of the whole file', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 16, max: 512 }),
      fc.integer({ min: 2, max: 8 }),
      fc.array(fc.nat(12), { maxLength: 12 }),
      fc.nat(1_500),
      async (chunkSize, maxChildren, wholeChunks, lastSize) => {
        // Every part but the last holds whole chunks (0 is an empty part); the last any size.
        const sizes = [...wholeChunks.map((n) => n * chunkSize), lastSize];
        const parts = sizes.map((n) => randomBytes(n));
        const whole = Buffer.concat(parts);
        const ref = await reference([whole], { chunkSize, maxChildren });
        const leaves = await partLeaves(parts, chunkSize);
        const blocks: Block[] = [];
        const gen = buildFileTree(leaves, { chunkSize, maxChildren });
        let r = await gen.next();
        while (!r.done) {
          blocks.push(r.value);
          r = await gen.next();
        }
        // The parents it made plus the leaves stored with the parts are the reference DAG.
        const stored = new Map<string, Block>();
        for (const l of leaves) stored.set(l.cid.toString(), { cid: l.cid, bytes: ref.blocks.get(l.cid.toString()) ?? new Uint8Array() });
        const nonEmpty = leaves.filter((l) => l.fileSize > 0);
        const dagLeaves = nonEmpty.length > 0 ? nonEmpty : leaves.slice(0, 1);
        assertSameDag({ result: { ...r.value, blocks: dagLeaves.length + blocks.length }, blocks: [...dagLeaves.map((l) => stored.get(l.cid.toString())!), ...blocks] }, ref, whole.length);
      },
    ),
    { numRuns: 150 },
  );
});

test('buildFileTree refuses a short leaf before the last, a parent block and no leaves, with DDC_INVALID_ARGUMENT', async () => {
  const drain = async (leaves: FileLink[]) => {
    for await (const _ of buildFileTree(leaves, { chunkSize: 16 })) void _;
  };
  const [a, b] = await partLeaves([randomBytes(10), randomBytes(16)], 16);
  const code = (e: unknown) => isDdcError(e) && e.code === 'DDC_INVALID_ARGUMENT';
  await assert.rejects(drain([a!, b!]), code);
  const parent = (await ours([randomBytes(40)], { chunkSize: 16 })).result;
  await assert.rejects(drain([{ cid: parent.cid, tsize: parent.dagSize, fileSize: parent.size }]), code);
  await assert.rejects(drain([]), code);
});
