/** Writes a stream to stdout, or to a file beside which it is first written whole, fsynced and renamed: a failed read leaves no partial file. */
import { createWriteStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';

export async function writeStream(body: ReadableStream<Uint8Array>, out: string | undefined): Promise<void> {
  const source = Readable.fromWeb(body as NodeReadableStream<Uint8Array>);
  if (out === undefined) {
    await pipeline(source, process.stdout as unknown as Writable);
    return;
  }
  const tmp = join(dirname(out), `.${basename(out)}.ddc-partial-${process.pid}`);
  try {
    await pipeline(source, createWriteStream(tmp));
    const fh = await open(tmp, 'r+');
    await fh.sync();
    await fh.close();
    await rename(tmp, out);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
