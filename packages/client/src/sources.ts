/** Normalises what put() accepts into an async iterable of byte chunks. */
import { DdcError } from '@ddc/core';

export type PutSource = Uint8Array | ArrayBuffer | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> | Iterable<Uint8Array> | string;

/** The chunks of a web stream as an async iterable; leaving early cancels the stream. */
export async function* chunksOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

async function* fromIterable(it: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  for await (const chunk of it) {
    if (!(chunk instanceof Uint8Array)) {
      throw new DdcError('DDC_INVALID_ARGUMENT', 'the source yielded something that is not a Uint8Array', { hint: 'Yield Uint8Array (or Buffer) chunks' });
    }
    yield chunk;
  }
}

/** `openFile` is supplied by the Node entry; in browsers a string source is refused. */
export function toChunks(source: PutSource, openFile?: (path: string) => AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  if (source instanceof Uint8Array) return fromIterable([source]);
  if (source instanceof ArrayBuffer) return fromIterable([new Uint8Array(source)]);
  if (typeof source === 'string') {
    if (!openFile) throw new DdcError('DDC_INVALID_ARGUMENT', 'file paths are only accepted in Node', { hint: 'Pass bytes, a ReadableStream or an async iterable' });
    return openFile(source);
  }
  if (typeof ReadableStream !== 'undefined' && source instanceof ReadableStream) return chunksOf(source);
  if (source && (Symbol.asyncIterator in source || Symbol.iterator in source)) return fromIterable(source);
  throw new DdcError('DDC_INVALID_ARGUMENT', 'put() cannot read this source', { hint: 'Pass a Uint8Array, ArrayBuffer, ReadableStream, async iterable of Uint8Array, or (in Node) a file path' });
}
