/** Writes a stream to stdout, or to a file beside which it is first written whole, fsynced and renamed: a failed read leaves no partial file. */
import { createWriteStream } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';

/** Each of the two buffers a byte stream is read into (a piece: a read never spans two). */
const BYOB_BUFFER = 1024 * 1024;

export async function writeStream(body: ReadableStream<Uint8Array>, out: string | undefined): Promise<void> {
  if (out === undefined) {
    await pipeline(Readable.fromWeb(body as NodeReadableStream<Uint8Array>), process.stdout as unknown as Writable);
    return;
  }
  const tmp = join(dirname(out), `.${basename(out)}.ddc-partial-${process.pid}`);
  try {
    const reader = byobReader(body);
    if (reader) {
      const fh = await open(tmp, 'w');
      try {
        await writeByob(reader, fh);
        await fh.sync();
      } finally {
        await fh.close();
      }
    } else {
      await pipeline(Readable.fromWeb(body as NodeReadableStream<Uint8Array>), createWriteStream(tmp));
      const fh = await open(tmp, 'r+');
      await fh.sync();
      await fh.close();
    }
    await rename(tmp, out);
    await syncFolder(dirname(out));
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** A BYOB reader when the stream is a byte stream (client.get's), else undefined. */
function byobReader(body: ReadableStream<Uint8Array>): ReadableStreamBYOBReader | undefined {
  try {
    return body.getReader({ mode: 'byob' });
  } catch {
    return undefined;
  }
}

/**
 * Reads into two buffers in turn, each written while the other fills: no array per chunk for the
 * collector, and a read overlaps the previous write. A buffer is read into again only after its
 * write has finished.
 */
async function writeByob(reader: ReadableStreamBYOBReader, fh: FileHandle): Promise<void> {
  const buffers = [new ArrayBuffer(BYOB_BUFFER), new ArrayBuffer(BYOB_BUFFER)];
  let writing: Promise<void> = Promise.resolve();
  let turn = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read(new Uint8Array(buffers[turn]!));
      if (done) break;
      buffers[turn] = value.buffer as ArrayBuffer; // the same memory, handed back by the stream
      await writing;
      writing = writeAll(fh, value);
      turn ^= 1;
    }
  } catch (e) {
    // A failed read still waits for the write in flight, so the file closes with nothing pending.
    await writing.catch(() => undefined);
    throw e;
  }
  await writing;
}

async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.length;) at += (await fh.write(bytes, at, bytes.length - at)).bytesWritten;
}

/** The rename is durable only once the folder is synced. */
async function syncFolder(path: string): Promise<void> {
  const dir = await open(path, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
