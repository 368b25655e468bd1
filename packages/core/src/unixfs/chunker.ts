/**
 * Fixed-size chunking with minimal copying: a chunk that lies inside one input buffer
 * is a view of it (no copy); only chunks that straddle input buffers are copied once.
 * Like ipfs-unixfs-importer's fixedSize chunker, empty input gives one empty chunk.
 */
import { DdcError, throwIfAborted } from '../errors.js';
import { concatBytes } from '../bytes.js';

export interface ChunkOptions {
  signal?: AbortSignal | undefined;
  /** Called after each input buffer is consumed with the total bytes read so far. */
  onProgress?: ((bytesRead: number) => void) | undefined;
  /** Where a chunk that straddles input buffers is assembled (`size` bytes, any contents); a new array by default. */
  allocate?: ((size: number) => Uint8Array) | undefined;
}

export async function* fixedSizeChunks(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  chunkSize: number,
  options: ChunkOptions = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  const { signal, onProgress, allocate } = options;
  let pieces: Uint8Array[] = [];
  let pending = 0;
  let emitted = false;
  let bytesRead = 0;
  throwIfAborted(signal);
  for await (const buf of source) {
    throwIfAborted(signal);
    if (!(buf instanceof Uint8Array)) {
      throw new DdcError('DDC_INVALID_ARGUMENT', `file content must be Uint8Array chunks, got ${typeof buf}`, {
        hint: 'Encode strings with TextEncoder and pass Buffers or Uint8Arrays',
      });
    }
    let off = 0;
    while (off < buf.length) {
      const left = buf.length - off;
      if (pending === 0 && left >= chunkSize) {
        emitted = true;
        yield buf.subarray(off, off + chunkSize);
        off += chunkSize;
        continue;
      }
      const take = Math.min(chunkSize - pending, left);
      pieces.push(buf.subarray(off, off + take));
      pending += take;
      off += take;
      if (pending === chunkSize) {
        const chunk = concatBytes(pieces, pending, allocate?.(pending));
        pieces = [];
        pending = 0;
        emitted = true;
        yield chunk;
      }
    }
    bytesRead += buf.length;
    if (buf.length > 0) onProgress?.(bytesRead);
  }
  throwIfAborted(signal);
  if (pending > 0 || !emitted) yield pieces.length === 1 ? pieces[0]! : concatBytes(pieces, pending, allocate?.(pending));
}
