/**
 * Verifying UnixFS file exporter: streams a file's bytes (or a byte range) in order,
 * checking every block against its CID before use, skipping subtrees outside the range
 * by their blocksizes, and fetching ahead a bounded number of blocks.
 */
import { DdcError } from '../errors.js';
import type { CID } from './cid.js';
import { DEFAULT_LOOKAHEAD, Prefetcher, getVerifiedBlock, type GetBlock } from './fetch.js';
import { FAULTY_DAG, decodeFileNode, malformed, type FileNode } from './node.js';

export interface ExportFileOptions {
  /** First byte to return; default 0. Must be <= the file size. */
  offset?: number;
  /** Most bytes to return; default to the end. A range past the end is clipped. */
  length?: number;
  signal?: AbortSignal;
  /** Blocks fetched ahead of the one being read; default 8. */
  concurrency?: number;
  /**
   * Set only when getBlock itself checks every block against its CID (the DDC client
   * does, to pick between shard groups), so the bytes are not hashed twice.
   */
  getBlockVerifies?: boolean;
  /**
   * Told of the signal the export makes for the blocks it reads ahead, each of which listens to
   * it: Node warns past 10 listeners on one signal, so its callers lift the limit here.
   */
  onSignal?: (signal: AbortSignal) => void;
}

export interface FileStat {
  cid: CID;
  /** File size in bytes. */
  size: number;
  /** 'raw' for a single raw leaf, 'file' for a dag-pb UnixFS file node. */
  type: 'raw' | 'file';
  /** Number of direct children of the root block. */
  links: number;
}

/** Reads the root block only and reports the file's size and shape. */
export async function stat(root: CID, getBlock: GetBlock, options: { signal?: AbortSignal } = {}): Promise<FileStat> {
  const node = decodeFileNode(root, await getVerifiedBlock(getBlock, root, options.signal));
  return { cid: root, size: node.size, type: node.kind, links: node.children.length };
}

/** File size in bytes, from the root block alone. */
export async function fileSize(root: CID, getBlock: GetBlock, options: { signal?: AbortSignal } = {}): Promise<number> {
  return (await stat(root, getBlock, options)).size;
}

interface Span {
  /** File offset of the block's first byte. */
  start: number;
  /** Size the parent declared for it. */
  size: number;
}

/**
 * Streams the bytes of the UnixFS file `root` (or of [offset, offset + length)).
 * Yields views of the fetched blocks, never the whole file. Throws DDC_CID_MISMATCH
 * for a block that fails verification, DDC_DAG_MALFORMED for a DAG that is not a
 * well-formed file, DDC_INVALID_RANGE for a bad range, DDC_ABORTED on abort.
 */
export async function* exportFile(
  root: CID,
  getBlock: GetBlock,
  options: ExportFileOptions = {},
): AsyncGenerator<Uint8Array, void, undefined> {
  const hintOf = (span: Span) => (span.size >= 0 ? { fileBytes: span.size } : undefined);
  const fetcher = new Prefetcher<Span>(getBlock, options.concurrency ?? DEFAULT_LOOKAHEAD, options.signal, hintOf, options.getBlockVerifies === true, options.onSignal);
  try {
    fetcher.pushFront([{ cid: root, meta: { start: 0, size: -1 } }]);
    const first = await fetcher.next();
    const rootNode = decodeFileNode(root, first!.bytes);
    const [from, to] = resolveRange(rootNode.size, options.offset, options.length);
    if (from === to) return;

    let entry: { cid: CID; meta: Span; bytes: Uint8Array } | undefined = first;
    let node: FileNode = rootNode;
    for (;;) {
      const { start } = entry!.meta;
      // Inline data comes first, then the children in order.
      const dataEnd = start + node.data.length;
      let childStart = dataEnd;
      const next: Array<{ cid: CID; meta: Span }> = [];
      for (const child of node.children) {
        const childEnd = childStart + child.size;
        if (childEnd > from && childStart < to) next.push({ cid: child.cid, meta: { start: childStart, size: child.size } });
        childStart = childEnd;
      }
      fetcher.pushFront(next); // starts the fetches before the consumer reads this block
      if (dataEnd > from && start < to) {
        yield node.data.subarray(Math.max(from, start) - start, Math.min(to, dataEnd) - start);
      }

      entry = await fetcher.next();
      if (!entry) return;
      node = decodeFileNode(entry.cid, entry.bytes);
      if (node.size !== entry.meta.size) {
        throw malformed(entry.cid, `holds ${node.size} file bytes but its parent says ${entry.meta.size}`, undefined, FAULTY_DAG);
      }
    }
  } finally {
    fetcher.close();
  }
}

/** [from, to) for a file of `size` bytes; throws DDC_INVALID_RANGE when impossible. */
export function resolveRange(size: number, offset = 0, length?: number): [number, number] {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw rangeError(`offset must be a whole number >= 0, got ${offset}`, size);
  }
  if (offset > size) throw rangeError(`offset ${offset} is past the end of the ${size}-byte file`, size);
  if (length === undefined) return [offset, size];
  if (!Number.isSafeInteger(length) || length < 0) {
    throw rangeError(`length must be a whole number >= 0, got ${length}`, size);
  }
  return [offset, Math.min(size, offset + length)];
}

function rangeError(message: string, size: number): DdcError {
  return new DdcError('DDC_INVALID_RANGE', message, {
    hint: `Request a range inside the file: offset from 0 to ${size}`,
    details: { size },
  });
}
