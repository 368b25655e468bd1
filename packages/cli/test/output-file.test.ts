/**
 * writeStream to a file: byte streams (client.get's) go through a BYOB reader into two buffers
 * written in turn, other streams chunk by chunk; either way the file appears whole or not at all.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeStream } from '../src/objects/output-file.js';

/** The bytes in chunks of the given sizes, as a byte stream or a plain one; fails after `failAfter` chunks if given. */
function source(bytes: Uint8Array, sizes: number[], kind: 'bytes' | 'plain', failAfter?: number): ReadableStream<Uint8Array> {
  let at = 0;
  let i = 0;
  const pull = (c: ReadableByteStreamController | ReadableStreamDefaultController<Uint8Array>) => {
    if (at >= bytes.length) {
      c.close();
      if ('byobRequest' in c) c.byobRequest?.respond(0); // a BYOB read waiting on a closed stream ends only so
      return;
    }
    if (failAfter !== undefined && i === failAfter) throw new Error('the source failed');
    const n = Math.min(sizes[i++ % sizes.length]!, bytes.length - at);
    c.enqueue(Uint8Array.prototype.slice.call(bytes, at, at + n)); // a copy (Buffer#slice is a view): a byte stream takes the chunk's memory
    at += n;
  };
  return kind === 'bytes' ? new ReadableStream({ type: 'bytes', pull }) : new ReadableStream<Uint8Array>({ pull });
}

test('a byte stream and a plain stream both land whole, whatever their chunk sizes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ddc-out-'));
  try {
    const bytes = randomBytes(9 * 1024 * 1024 + 333);
    for (const kind of ['bytes', 'plain'] as const) {
      for (const sizes of [[1024 * 1024], [3 * 1024 * 1024 + 7, 17, 65_536], [100_001]]) {
        const out = join(dir, `${kind}-${sizes.join('-')}.bin`);
        await writeStream(source(bytes, sizes, kind), out);
        assert.ok((await readFile(out)).equals(bytes), `${kind} in chunks of ${sizes.join(', ')}`);
      }
    }
    const empty = join(dir, 'empty.bin');
    await writeStream(source(new Uint8Array(0), [1], 'bytes'), empty);
    assert.equal((await readFile(empty)).length, 0);
    assert.deepEqual((await readdir(dir)).filter((f) => f.includes('ddc-partial')), []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a stream that fails part-way leaves the earlier file as it was and no partial file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ddc-out-'));
  try {
    const out = join(dir, 'kept.bin');
    await writeFile(out, 'before');
    for (const kind of ['bytes', 'plain'] as const) {
      await assert.rejects(writeStream(source(randomBytes(5 * 1024 * 1024), [1024 * 1024], kind, 3), out), /the source failed/);
      assert.equal(await readFile(out, 'utf8'), 'before', kind);
    }
    assert.deepEqual(await readdir(dir), ['kept.bin']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
