/** Moving bytes between web streams, async iterables and Node responses, with backpressure. */
import type { ServerResponse } from 'node:http';

/**
 * Writes `body` to `res` and ends it; a failure midway destroys the connection (the client sees a
 * short body). `recycle` gets each chunk back once the socket no longer needs it (ObjectGetResult's).
 */
export async function pipeToResponse(body: ReadableStream<Uint8Array>, res: ServerResponse, recycle?: (chunk: Uint8Array) => void): Promise<void> {
  const reader = body.getReader();
  let closed = false;
  const onClose = () => (closed = true);
  res.once('close', onClose);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (closed) throw new Error('the client closed the connection');
      // The callback runs once the bytes are handed to the kernel (or the write failed): the chunk is then free.
      if (!(recycle ? res.write(value, () => recycle(value)) : res.write(value))) {
        await new Promise<void>((resolve) => {
          const go = () => {
            res.off('drain', go);
            res.off('close', go);
            resolve();
          };
          res.on('drain', go);
          res.on('close', go);
        });
      }
    }
    res.end();
  } catch (e) {
    await reader.cancel(e).catch(() => {});
    res.destroy(e instanceof Error ? e : new Error(String(e)));
  } finally {
    res.off('close', onClose);
    reader.releaseLock();
  }
}

/** The chunks of a web stream as an async iterable (the SDK's). */
export { chunksOf } from '@ddc/client';

/** `chunks`, then `onEnd()` once they all passed (before the consumer sees the end). */
export async function* thenRun(chunks: AsyncIterable<Uint8Array>, onEnd: () => void): AsyncGenerator<Uint8Array> {
  yield* chunks;
  onEnd();
}

/** Collects a small body (the caller bounds its size). */
export async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(Buffer.from(c.buffer, c.byteOffset, c.byteLength));
  return Buffer.concat(parts);
}
