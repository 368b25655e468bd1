/**
 * The multipart store on a real folder: a stored part keeps its leaves (a versioned file) and
 * gives them back in order; a part uploaded again replaces them; a damaged or newer leaves
 * file is an InternalError, not a wrong object; staged parts still stream from disk.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RAW_CODEC, cidOf, type FileLink } from '@ddc/core';
import { MultipartStore, type PartStorer } from '../src/s3/multipart/store.js';
import { S3Error } from '../src/s3/errors.js';

/** A rejection predicate: an S3Error with this code. */
const s3Code = (want: string) => (e: unknown): boolean => e instanceof S3Error && e.code === want;

/** Cuts the bytes into `chunk`-byte raw leaves, as a put would, and remembers what it "stored". */
function fakeStorer(chunk: number): { store: PartStorer; stored: Uint8Array[] } {
  const stored: Uint8Array[] = [];
  const store: PartStorer = async (chunks) => {
    const parts: Uint8Array[] = [];
    for await (const c of chunks) parts.push(Uint8Array.from(c));
    const bytes = Buffer.concat(parts);
    stored.push(bytes);
    const leaves: FileLink[] = [];
    for (let at = 0; at < Math.max(1, bytes.length); at += chunk) {
      const leaf = bytes.subarray(at, at + chunk);
      leaves.push({ cid: cidOf(RAW_CODEC, leaf), tsize: leaf.length, fileSize: leaf.length });
    }
    return { cid: leaves[0]!.cid.toString(), leaves };
  };
  return { store, stored };
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

async function drain<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

test('stored parts keep their leaves; a part uploaded again replaces them; staged parts stream from disk', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ddc-mp-'));
  try {
    const store = await MultipartStore.open(dir);
    const up = await store.create({ bucket: 'b', bucketId: 1, key: 'k', accessKeyId: null, contentType: undefined, metadata: {} });
    const { store: storer, stored } = fakeStorer(4);
    const first = await store.writePart(up.uploadId, 1, once(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])), undefined, storer);
    assert.equal(first.size, 9);
    assert.ok(first.cid);
    const again = await store.writePart(up.uploadId, 1, once(new Uint8Array([9, 9, 9, 9, 9, 9, 9, 9])), undefined, storer);
    const staged = await store.writePart(up.uploadId, 2, once(new Uint8Array([7, 7, 7])));
    assert.equal(staged.cid, undefined);
    assert.equal(stored.length, 2);

    const files = (await readdir(join(dir, 's3-multipart', up.uploadId))).sort();
    assert.deepEqual(files.filter((f) => f.endsWith('.leaves')).length, 1, 'the first upload of part 1 was replaced');
    assert.deepEqual(files.filter((f) => f.endsWith('.bin')).length, 1);

    const parts = await store.parts(up.uploadId);
    assert.deepEqual(parts.map((p) => p.partNumber), [1, 2]);
    const leaves = await drain(store.leaves(up.uploadId, parts.slice(0, 1)));
    assert.deepEqual(leaves.map((l) => [l.cid.toString(), l.fileSize]), [[cidOf(RAW_CODEC, new Uint8Array(4).fill(9)).toString(), 4], [cidOf(RAW_CODEC, new Uint8Array(4).fill(9)).toString(), 4]]);
    assert.equal(again.etag, parts[0]!.etag);

    // Reading bytes: the stored part through the caller's reader, the staged one from disk.
    const bytes = Buffer.concat(await drain(store.read(up.uploadId, parts, () => once(stored[1]!))));
    assert.deepEqual([...bytes], [9, 9, 9, 9, 9, 9, 9, 9, 7, 7, 7]);
    await assert.rejects(drain(store.read(up.uploadId, parts)), s3Code('InternalError'));
    await assert.rejects(drain(store.leaves(up.uploadId, parts)), s3Code('InternalError'), 'a staged part has no leaves');

    // A damaged leaves file, or one of a newer version, is refused.
    const leavesFile = join(dir, 's3-multipart', up.uploadId, parts[0]!.file);
    await writeFile(leavesFile, JSON.stringify({ format: 'ddc-s3-part-leaves', version: 2, leaves: [] }));
    await assert.rejects(drain(store.leaves(up.uploadId, parts.slice(0, 1))), s3Code('InternalError'));
    await writeFile(leavesFile, '{"format":"ddc-s3-part-leaves","version":1,"leaves":[["bafk",4]]');
    await assert.rejects(drain(store.leaves(up.uploadId, parts.slice(0, 1))), s3Code('InternalError'));
    await writeFile(leavesFile, JSON.stringify({ format: 'ddc-s3-part-leaves', version: 1, leaves: [[cidOf(RAW_CODEC, new Uint8Array(3)).toString(), 3]] }));
    await assert.rejects(drain(store.leaves(up.uploadId, parts.slice(0, 1))), s3Code('InternalError'), 'leaves that do not add up to the part');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
