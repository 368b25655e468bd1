/**
 * Streaming UnixFS importer. Blocks come out as soon as they are final (leaves first,
 * each parent right after its last child), so memory holds one chunk plus one pending
 * link list per tree level, whatever the file size. The DAG and every block's bytes
 * equal ipfs-unixfs-importer's with the `unixfs-v1-2025` profile (Helia defaults):
 * CIDv1, raw leaves, fixed 1 MiB chunks, balanced layout with 1024 links per node,
 * a single-chunk file reduced to its raw leaf.
 */
import { DdcError, throwIfAborted } from '../errors.js';
import { RAW_CODEC, cidOf, type Block, type CID } from './cid.js';
import { fixedSizeChunks } from './chunker.js';
import { encodeFileNode, type FileLink } from './node.js';

export const DEFAULT_CHUNK_SIZE = 1_048_576;
export const DEFAULT_MAX_CHILDREN = 1024;

export interface ImportFileOptions {
  /** Leaf size in bytes; default 1 MiB. */
  chunkSize?: number;
  /** Most links in one dag-pb node (>= 2); default 1024. */
  maxChildren?: number;
  signal?: AbortSignal;
  /** Called with the total bytes read from the source, after each source chunk. */
  onProgress?: (bytesRead: number) => void;
  /**
   * Where a leaf assembled from several source chunks is put (`size` bytes, any contents). The
   * importer reads it only while hashing it: a caller that gets its blocks from a pool may take the
   * bytes back once it has used the block.
   */
  allocateLeaf?: (size: number) => Uint8Array;
}

export interface ImportResult {
  /** Root CID: the same CID IPFS gives these bytes with the unixfs-v1-2025 profile. */
  cid: CID;
  /** File size in bytes. */
  size: number;
  /** Bytes of all blocks of the DAG (IPFS "cumulative size", the root's Tsize). */
  dagSize: number;
  /** Number of blocks emitted (duplicate leaves are emitted each time they occur). */
  blocks: number;
}

/**
 * Imports a byte stream as a UnixFS file. Yields every block in a valid store order
 * (children before parents; the root is always the last block) and returns the
 * ImportResult as the generator's return value; use `importFileTo` when a callback
 * per block is easier. Input chunks may be any size, including empty; a chunk that
 * lies inside one input buffer is yielded as a view of it, so don't reuse or mutate a
 * buffer after the source has yielded it.
 */
export async function* importFile(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: ImportFileOptions = {},
): AsyncGenerator<Block, ImportResult, undefined> {
  const chunkSize = checkInt('chunkSize', options.chunkSize ?? DEFAULT_CHUNK_SIZE, 1);
  const maxChildren = checkInt('maxChildren', options.maxChildren ?? DEFAULT_MAX_CHILDREN, 2);
  const { signal } = options;
  const tree = new BalancedTree(maxChildren);
  let blocks = 0;

  for await (const chunk of fixedSizeChunks(source, chunkSize, { signal, onProgress: options.onProgress, allocate: options.allocateLeaf })) {
    throwIfAborted(signal);
    const cid = cidOf(RAW_CODEC, chunk);
    blocks++;
    yield { cid, bytes: chunk };
    for (const block of tree.add({ cid, tsize: chunk.length, fileSize: chunk.length })) {
      blocks++;
      yield block;
    }
  }
  throwIfAborted(signal);
  const { root, blocks: tail } = tree.finish();
  for (const block of tail) {
    blocks++;
    yield block;
  }
  return { cid: root.cid, size: root.fileSize, dagSize: root.tsize, blocks };
}

/** Runs `importFile`, handing each block to `put` in order (awaited: backpressure). */
export async function importFileTo(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  put: (block: Block) => Promise<void> | void,
  options: ImportFileOptions = {},
): Promise<ImportResult> {
  const it = importFile(source, options);
  for (;;) {
    const r = await it.next();
    if (r.done) return r.value;
    await put(r.value);
  }
}

/**
 * The parent blocks of a file whose leaves were stored already (a multipart upload's parts,
 * each imported on its own): yields every dag-pb block over `leaves`, in store order, and returns
 * the root. The leaves must be what importFile would cut from the whole file: every one but the
 * last a full chunk (so parts of whole chunks compose). Then the root is importFile's for the
 * concatenated bytes. Empty leaves (an empty part) add nothing; only empty leaves make the
 * empty file. Memory: one pending link list per level, however many leaves stream in.
 */
export async function* buildFileTree(
  leaves: AsyncIterable<FileLink> | Iterable<FileLink>,
  options: Pick<ImportFileOptions, 'chunkSize' | 'maxChildren' | 'signal'> = {},
): AsyncGenerator<Block, ImportResult, undefined> {
  const chunkSize = checkInt('chunkSize', options.chunkSize ?? DEFAULT_CHUNK_SIZE, 1);
  const tree = new BalancedTree(checkInt('maxChildren', options.maxChildren ?? DEFAULT_MAX_CHILDREN, 2));
  let blocks = 0;
  let short: FileLink | undefined;
  let empty: FileLink | undefined;
  let count = 0;
  for await (const leaf of leaves) {
    throwIfAborted(options.signal);
    if (leaf.cid.code !== RAW_CODEC || leaf.tsize !== leaf.fileSize || leaf.fileSize > chunkSize) {
      throw new DdcError('DDC_INVALID_ARGUMENT', `leaf ${count} (${leaf.cid}) is not a raw leaf of at most ${chunkSize} bytes`, { hint: 'Pass the raw leaves importFile made, in file order' });
    }
    if (leaf.fileSize === 0) {
      empty = leaf;
      continue;
    }
    if (short) {
      throw new DdcError('DDC_INVALID_ARGUMENT', `leaf ${count - 1} (${short.cid}) has ${short.fileSize} bytes but is not the last; every leaf but the last must hold ${chunkSize}`, {
        hint: 'Compose only parts whose sizes are whole multiples of the chunk size (all but the last); import the bytes again otherwise',
      });
    }
    if (leaf.fileSize < chunkSize) short = leaf;
    count++;
    for (const block of tree.add(leaf)) {
      blocks++;
      yield block;
    }
  }
  if (count === 0) {
    if (!empty) throw new DdcError('DDC_INVALID_ARGUMENT', 'a file tree needs at least one leaf', { hint: 'An empty file is the empty raw leaf: pass it' });
    return { cid: empty.cid, size: 0, dagSize: 0, blocks: 0 };
  }
  const { root, blocks: tail } = tree.finish();
  for (const block of tail) {
    blocks++;
    yield block;
  }
  return { cid: root.cid, size: root.fileSize, dagSize: root.tsize, blocks };
}

/**
 * Balanced layout as ipfs-unixfs-importer builds it: level 0 is the leaves; each full
 * group of maxChildren items at level L becomes one node at level L+1; at the end every
 * partial group (even of one item) becomes a node too, until a level holds one item.
 */
class BalancedTree {
  private readonly pending: FileLink[][] = [];
  private readonly total: number[] = [];

  constructor(private readonly maxChildren: number) {}

  /** Adds a leaf; returns the parents that became complete, lowest first. */
  add(leaf: FileLink): Block[] {
    const out: Block[] = [];
    let link = leaf;
    for (let level = 0; ; level++) {
      const list = (this.pending[level] ??= []);
      this.total[level] = (this.total[level] ?? 0) + 1;
      list.push(link);
      if (list.length < this.maxChildren) return out;
      const node = encodeFileNode(list);
      this.pending[level] = [];
      out.push(node.block);
      link = node.link;
    }
  }

  /** Flushes partial groups bottom-up; the last block returned is the root. */
  finish(): { root: FileLink; blocks: Block[] } {
    const blocks: Block[] = [];
    for (let level = 0; level < this.pending.length; level++) {
      const list = this.pending[level]!;
      // A level with a single item overall is the top: that item is the root.
      if (this.total[level] === 1) return { root: list[0]!, blocks };
      if (list.length === 0) continue;
      const node = encodeFileNode(list);
      this.pending[level] = [];
      blocks.push(node.block);
      (this.pending[level + 1] ??= []).push(node.link);
      this.total[level + 1] = (this.total[level + 1] ?? 0) + 1;
    }
    throw new DdcError('DDC_INTERNAL', 'the importer finished without a root', { hint: 'Report this bug with the input size and options' });
  }
}

function checkInt(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new DdcError('DDC_INVALID_ARGUMENT', `${name} must be an integer >= ${min}, got ${value}`, {
      hint: `Pass a whole number of at least ${min} for ${name}, or leave it out for the default`,
    });
  }
  return value;
}
