/**
 * Streams between the objects layer and the object cipher (core/crypto): plaintext from any
 * put source, counted on its way into the encrypt stream; ciphertext from DdcClient.get into
 * the decrypt stream. Everything is pulled, so memory stays at a few chunks.
 */
import { cipherRangeFor, createDecryptStream, createEncryptStream, DdcError, type EncryptionInfo } from '@ddc/core';

/** A pull-based stream over an async iterable; `onChunk` sees every chunk as it passes. */
export function streamOf(chunks: AsyncIterable<Uint8Array>, onChunk?: (chunk: Uint8Array) => void): ReadableStream<Uint8Array> {
  let it: AsyncIterator<Uint8Array> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        it ??= chunks[Symbol.asyncIterator]();
        const next = await it.next();
        if (next.done) return controller.close();
        onChunk?.(next.value);
        controller.enqueue(next.value);
      },
      async cancel(reason) {
        await it?.return?.(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

export function emptyStream(): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({ start: (c) => c.close() });
}

export interface Encrypted {
  ciphertext: ReadableStream<Uint8Array>;
  /** Plaintext bytes read so far (the object's size once the ciphertext is consumed). */
  plainSize(): number;
}

/** `allocate`: memory for each ciphertext chunk (DdcClient.putBuffer, reused once the chunk is stored). */
export function encryptChunks(plain: AsyncIterable<Uint8Array>, dek: Uint8Array, oid: Uint8Array, signal?: AbortSignal, allocate?: (size: number) => Uint8Array): Encrypted {
  let size = 0;
  const ciphertext = streamOf(plain, (c) => (size += c.length)).pipeThrough(createEncryptStream(dek, oid, { ...(signal ? { signal } : {}), ...(allocate ? { allocate } : {}) }));
  return { ciphertext, plainSize: () => size };
}

/** Plaintext range [start, end) of an object of `size` bytes from an S3-like {offset, length}. */
export function plainRange(range: { offset: number; length?: number } | undefined, size: number): { start: number; end: number } | undefined {
  if (!range) return undefined;
  const { offset, length } = range;
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > size || (length !== undefined && (!Number.isSafeInteger(length) || length < 0))) {
    throw new DdcError('DDC_INVALID_RANGE', `range offset ${offset}${length === undefined ? '' : `, length ${length}`} is not within an object of ${size} bytes`, { hint: 'Ask for 0 <= offset <= size and a non-negative length' });
  }
  return { start: offset, end: length === undefined ? size : Math.min(size, offset + length) };
}

/**
 * Which ciphertext bytes to fetch for a plaintext range, as DdcClient.get's {offset, length};
 * undefined for the whole object, null when the range is empty (fetch nothing).
 */
export function cipherFetchRange(range: { start: number; end: number } | undefined, enc: EncryptionInfo): { offset: number; length: number } | undefined | null {
  if (!range) return undefined;
  if (range.start === range.end) return null;
  const cr = cipherRangeFor(range, enc.size);
  return { offset: cr.start, length: cr.end - cr.start };
}

/** `recycle`: where each ciphertext chunk goes once decrypted (DdcClient.getRecyclable's). */
export function decryptStream(
  ciphertext: ReadableStream<Uint8Array>, dek: Uint8Array, enc: EncryptionInfo, range: { start: number; end: number } | undefined, signal?: AbortSignal,
  recycle?: (chunk: Uint8Array) => void,
): ReadableStream<Uint8Array> {
  return ciphertext.pipeThrough(createDecryptStream(dek, enc.oid, { plainSize: enc.size, ...(range ? { range } : {}), ...(signal ? { signal } : {}), ...(recycle ? { onConsumed: recycle } : {}) }));
}
