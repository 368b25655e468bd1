/**
 * The DDC client: put and get content-addressed files on a cluster.
 * Works in browsers and Node; the Node entry adds file paths and the undici transport.
 */
import type { PieceHasher } from './get/piece-hasher.js';
import {
  DdcError, RAW_CODEC, type CapabilityToken, type Ed25519KeyPair, type FileLink, DEFAULT_CHUNK_SIZE, buildFileTree, exportFile, fileSize, importFile, parseCid, placeStripe, stripeLayout, throwIfAborted, verifyBlock, walkDag,
  type Block, type BlockHint, type CID, type ImportResult,
} from '@ddc/core';
import { StaticMembership, isMembership, type ClusterView, type Membership } from './membership.js';
import { FetchTransport } from './transport/fetch.js';
import type { Transport } from './transport/types.js';
import { resolveOptions, type ClientOptions, type ResolvedOptions } from './options.js';
import { requestSigner, type RequestSigner } from './request-signer.js';
import { NodeHealth } from './node-health.js';
import { toChunks, type PutSource } from './sources.js';
import { encodePiece } from './put/encode-piece.js';
import { BufferPool } from '@ddc/core';
import { uploadStripe, type MissingShard } from './put/upload.js';
import { ShardPutBatcher, type LingerHold } from './put/put-batcher.js';
import { ByteBudget } from './put/byte-budget.js';
import { fetchPiece } from './get/fetch-piece.js';
import { ShardReadBatcher } from './get/shard-batcher.js';
import { inspectPiece, type PieceReport } from './inspect.js';
import type { ProgressHandler } from './progress.js';
import { BucketHandle } from './objects/bucket.js';
import type { BucketOptions } from './objects/types.js';

/** Whether this engine has readable byte streams (for BYOB readers); where it has not, get() returns a plain stream. */
const BYTE_STREAMS = (() => {
  try {
    new ReadableStream({ type: 'bytes' });
    return true;
  } catch {
    return false;
  }
})();

export interface PutOptions {
  signal?: AbortSignal;
  onProgress?: ProgressHandler;
  /** A bucket token with `put` for this client's identity: nodes record the bucket's reference to every shard. */
  token?: CapabilityToken;
  /**
   * Called with each raw leaf, in file order, as it is cut (trust them once the put resolves): a
   * multipart upload keeps its parts' leaves to compose the whole with putTree.
   */
  onLeaf?: (leaf: FileLink) => void;
}

export interface PutResult {
  cid: CID;
  size: number;
  pieces: number;
  /** Shards that could not be stored (the put still met its quorum); repair fills them. */
  missingShards: MissingShard[];
}

export interface GetOptions {
  signal?: AbortSignal;
  range?: { offset: number; length?: number };
  onProgress?: ProgressHandler;
}

export interface StatResult {
  cid: CID;
  size: number;
  pieces: PieceReport[];
}

export interface VerifyResult {
  cid: CID;
  size: number;
  healthy: boolean;
  pieces: PieceReport[];
  /** Pieces whose bytes could not be read at all (so their children were not checked). */
  unreadable: { cid: string; code: string; message: string }[];
}

export type CidInput = CID | string;

export interface PlatformHooks {
  openFile?: (path: string) => AsyncIterable<Uint8Array>;
  defaultTransport?: () => Transport;
  /** Node warns past 10 listeners on one AbortSignal; an operation adds one per piece in flight. */
  allowManyListeners?: (signal: AbortSignal) => void;
  /** Checks pieces against their CIDs off the reading thread (Node: a worker thread over shared memory). */
  pieceHasher?: PieceHasher;
}

export class DdcClient {
  private readonly opts: ResolvedOptions;
  private readonly health: NodeHealth;
  /** Shard buffers of puts in flight, reused from piece to piece. */
  private readonly shardPool: BufferPool;
  /** Leaves the importer assembles from a source's smaller chunks, given back once coded into shards. */
  private readonly leafPool = new BufferPool(8);
  /** Pieces read for getRecyclable, given back by its consumer. */
  private readonly piecePool: BufferPool;
  private readonly batcher: ShardReadBatcher;
  private readonly putBatcher: ShardPutBatcher;
  /** Bytes of pieces in flight over all this client's puts: piecesInFlight full pieces. */
  private readonly putBudget: ByteBudget;
  /** Signs this client's requests to nodes (options.identity, or a key made for this client). */
  readonly signer: RequestSigner;

  constructor(options: ClientOptions, private readonly platform: PlatformHooks = {}) {
    const membership: Membership = isMembership(options.cluster) ? options.cluster : new StaticMembership(options.cluster);
    const transport = options.transport ?? platform.defaultTransport?.() ?? new FetchTransport();
    this.opts = resolveOptions(options, membership, transport);
    this.health = new NodeHealth(this.opts.nodeCooldownMs);
    this.signer = requestSigner(this.opts.identity);
    this.shardPool = new BufferPool(this.opts.piecesInFlight * 8);
    this.piecePool = new BufferPool(this.opts.readAhead + 4);
    this.batcher = new ShardReadBatcher(this.opts.transport);
    this.putBatcher = new ShardPutBatcher(this.opts.transport, 1, this.opts.putLingerMs);
    this.putBudget = new ByteBudget(this.opts.piecesInFlight * DEFAULT_CHUNK_SIZE);
  }

  /** The key pair that signs this client's requests. */
  get identity(): Ed25519KeyPair {
    return this.signer.identity;
  }

  /** One internal signal per operation, following the caller's, that may carry many listeners. */
  private operationSignal(outer?: AbortSignal): AbortSignal | undefined {
    if (!outer) return undefined;
    const controller = new AbortController();
    this.platform.allowManyListeners?.(controller.signal);
    if (outer.aborted) controller.abort(outer.reason);
    else outer.addEventListener('abort', () => controller.abort(outer.reason), { once: true });
    return controller.signal;
  }

  cluster(signal?: AbortSignal): Promise<ClusterView> {
    return this.opts.membership.current(signal);
  }

  /**
   * Memory for a chunk you will pass to put() and never touch again (an encrypt stream's output):
   * once the chunk is coded into shards the client reuses it for later chunks.
   */
  putBuffer(size: number): Uint8Array {
    return this.leafPool.take(size);
  }

  /** Stores bytes, a stream, an async iterable, or (Node) a file path; resolves to its root CID. */
  async put(source: PutSource, options: PutOptions = {}): Promise<PutResult> {
    const signal = this.operationSignal(options.signal);
    const view = await this.cluster(signal);
    const chunks = toChunks(source, this.platform.openFile);
    return this.storeBlocks(importFile(chunks, { ...(signal ? { signal } : {}), allocateLeaf: (size) => this.leafPool.take(size) }), view, options, signal);
  }

  /**
   * Stores the parent blocks of a file whose raw leaves are stored already (buildFileTree): every
   * leaf but the last a full 1 MiB chunk. The root equals put()'s for the leaves' bytes in order,
   * so parts of whole MiBs, each put on its own, become one object without moving their bytes.
   */
  async putTree(leaves: AsyncIterable<FileLink> | Iterable<FileLink>, options: Omit<PutOptions, 'onLeaf'> = {}): Promise<PutResult> {
    const signal = this.operationSignal(options.signal);
    const view = await this.cluster(signal);
    return this.storeBlocks(buildFileTree(leaves, signal ? { signal } : {}), view, options, signal);
  }

  /**
   * Stores the blocks an importer yields, pieces in parallel up to piecesInFlight, within the
   * client's byte budget shared with its other puts (memory stays bounded however many run).
   */
  private async storeBlocks(blocks: AsyncGenerator<Block, ImportResult, undefined>, view: ClusterView, options: PutOptions, signal: AbortSignal | undefined): Promise<PutResult> {
    const { onProgress, onLeaf } = options;
    const missingShards: MissingShard[] = [];
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    let bytesStored = 0;
    let pieces = 0;
    let result: ImportResult | undefined;
    // Open while more pieces may come soon: their shards may wait a moment to share requests.
    const linger: LingerHold = { open: true };
    const closeLinger = (): void => {
      linger.open = false;
      this.putBatcher.flush();
    };
    // While this put waits (for its window or the client's budget) no piece comes: nothing should wait for one.
    const waitUnlingered = async (wait: () => Promise<unknown>): Promise<void> => {
      closeLinger();
      await wait();
      linger.open = true;
    };
    try {
      for (;;) {
        const step = await blocks.next();
        if (step.done) {
          result = step.value;
          break;
        }
        if (failure) throw failure;
        if (inFlight.size >= this.opts.piecesInFlight) {
          await waitUnlingered(async () => {
            while (inFlight.size >= this.opts.piecesInFlight) await Promise.race(inFlight);
          });
        }
        if (failure) throw failure;
        const block = step.value;
        const weight = block.bytes.length;
        if (!this.putBudget.tryTake(weight)) await waitUnlingered(() => this.putBudget.take(weight, signal));
        if (onLeaf && block.cid.code === RAW_CODEC) onLeaf({ cid: block.cid, tsize: block.bytes.length, fileSize: block.bytes.length });
        const task = this.storePiece(block, view, linger, signal, options.token).finally(() => this.putBudget.give(weight)).then(
          (missing) => {
            missingShards.push(...missing);
            pieces++;
            if (block.cid.code === RAW_CODEC) bytesStored += block.bytes.length;
            onProgress?.({ phase: 'put', bytes: bytesStored, pieces });
          },
          (e: unknown) => {
            failure ??= e;
          },
        );
        inFlight.add(task);
        void task.finally(() => inFlight.delete(task));
      }
      closeLinger();
      await Promise.all(inFlight);
      if (failure) throw failure;
    } finally {
      closeLinger();
      if (!result) await blocks.return(undefined as never).catch(() => {});
    }
    return { cid: result.cid, size: result.size, pieces, missingShards };
  }

  private async storePiece(block: Block, view: ClusterView, linger: LingerHold, signal?: AbortSignal, token?: CapabilityToken): Promise<MissingShard[]> {
    throwIfAborted(signal);
    const layout = stripeLayout(block.bytes.length, view);
    const homes = placeStripe(block.cid.bytes, view.nodes, layout.count);
    const pool = layout.replicated ? undefined : this.shardPool;
    const shards = encodePiece(block.cid, block.bytes, layout, pool);
    // The shards hold copies now (the pool ignores a leaf that is a view of the caller's bytes).
    this.leafPool.give(block.bytes);
    try {
      return await uploadStripe(shards, homes, layout, {
        transport: this.opts.transport,
        retry: this.opts.retry,
        health: this.health,
        signer: this.signer,
        batcher: this.putBatcher,
        linger,
        ...(token ? { token } : {}),
        ...(signal ? { signal } : {}),
      });
    } finally {
      // Every PUT of the stripe has settled (a 2xx means the node read the whole body), so nothing sends these bytes any more.
      if (pool) for (const s of shards) pool.give(s.bytes);
    }
  }

  /** A verified block getter over the cluster, for the UnixFS exporter and walker. */
  private blockGetter(view: ClusterView, pooled = false) {
    const cache = this.opts.blockCache;
    // Cached pieces live on in the cache, so they never come from the pool.
    const piecePool = pooled && !cache ? this.piecePool : undefined;
    const fetch = (cid: CID, signal?: AbortSignal, hint?: BlockHint) => {
      const expected = cid.code === RAW_CODEC && hint?.fileBytes !== undefined ? hint.fileBytes : undefined;
      const ctx = {
        transport: this.opts.transport, health: this.health, hedgeAfterMs: this.opts.hedgeAfterMs, batcher: this.batcher,
        ...(this.platform.pieceHasher ? { hasher: this.platform.pieceHasher } : {}),
        ...(signal ? { signal } : {}), ...(piecePool && cid.code === RAW_CODEC ? { piecePool } : {}),
      };
      return fetchPiece(cid, view, ctx, expected);
    };
    if (!cache) return fetch;
    return async (cid: CID, signal?: AbortSignal, hint?: BlockHint) => {
      const key = cid.toString();
      const cached = await cache.get(key).catch(() => undefined);
      if (cached) {
        try {
          verifyBlock(cid, cached);
          return cached;
        } catch {
          // A damaged cache entry: read from the nodes as if it were not there.
        }
      }
      const bytes = await fetch(cid, signal, hint);
      cache.put(key, bytes);
      return bytes;
    };
  }

  /**
   * One block (a piece: a raw leaf or a dag-pb node) by its CID, verified against it: what an
   * IPFS trustless gateway serves, and what a DAG walk needs.
   */
  async getBlock(cidInput: CidInput, options: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const cid = typeof cidInput === 'string' ? parseCid(cidInput) : cidInput;
    const view = await this.cluster(options.signal);
    return this.blockGetter(view)(cid, options.signal);
  }

  /**
   * The verified bytes of the file (or range) as they are read, in memory of the kind `pieces`
   * asks for:
   * - 'fresh': each piece joined into a new array (getBytes, which keeps or joins them);
   * - 'pooled': pieces from the client's pool, for a reader that gives them back (getRecyclable,
   *   and get(), which copies each one out as it hands it over: see byteStream).
   */
  private async *read(cidInput: CidInput, options: GetOptions, pieces: 'fresh' | 'pooled' = 'fresh'): AsyncGenerator<Uint8Array> {
    const cid = typeof cidInput === 'string' ? parseCid(cidInput) : cidInput;
    const { range } = options;
    const signal = this.operationSignal(options.signal);
    const view = await this.cluster(signal);
    yield* exportFile(cid, this.blockGetter(view, pieces !== 'fresh'), {
      concurrency: this.opts.readAhead,
      getBlockVerifies: true,
      ...(this.platform.allowManyListeners ? { onSignal: this.platform.allowManyListeners } : {}),
      ...(signal ? { signal } : {}),
      ...(range ? { offset: range.offset, ...(range.length !== undefined ? { length: range.length } : {}) } : {}),
    });
  }

  /**
   * Streams the file (or a range of it). Every byte is verified before it is returned; every chunk
   * is the reader's own memory. A byte stream: a BYOB reader (`getReader({ mode: 'byob' })`) gets
   * the bytes copied straight into its own buffer, so one that reuses its buffer allocates nothing
   * per piece.
   */
  get(cidInput: CidInput, options: GetOptions = {}): ReadableStream<Uint8Array> {
    return this.byteStream(cidInput, options);
  }

  /**
   * Like get(), for a reader that is done with each chunk as soon as it has used it (a decrypt
   * stream, a hash): handing a chunk back with `recycle` lets the client read later pieces into
   * its memory. A recycled chunk must not be read again.
   */
  getRecyclable(cidInput: CidInput, options: GetOptions = {}): { body: ReadableStream<Uint8Array>; recycle(chunk: Uint8Array): void } {
    const pool = this.piecePool;
    // The pool takes back only the pieces it joined: views (a range's ends), cached pieces and strangers are ignored.
    return { body: this.pooledStream(cidInput, options), recycle: (chunk) => pool.give(chunk) };
  }

  /**
   * get()'s stream. Pieces are read ahead into the client's pool and each is copied out only as the
   * reader takes it: into a new array for a default reader, into the reader's own view for a BYOB
   * one; the pooled piece goes back once all of it is out. Arrays that sat in the read-ahead window
   * made V8 start a full GC every 25-50 ms of a large get (docs/BENCHMARKS.md), while arrays made as
   * the reader takes them mostly die young. Chunks the pool did not lend (a range's ends, cached
   * pieces) are copied too: a byte stream takes over the memory of what it enqueues.
   */
  private byteStream(cidInput: CidInput, options: GetOptions): ReadableStream<Uint8Array> {
    if (typeof cidInput === 'string') parseCid(cidInput); // a bad CID fails here, not at the first read
    const { onProgress } = options;
    const pool = this.piecePool;
    const start = async () => this.read(cidInput, options, 'pooled');
    let iterator: AsyncGenerator<Uint8Array> | undefined;
    /** The piece being handed out, and how much of it is out. */
    let piece: Uint8Array | undefined;
    let at = 0;
    let bytes = 0;
    const release = () => {
      if (piece) pool.give(piece);
      piece = undefined;
    };
    const source = {
      async pull(controller: ReadableByteStreamController | ReadableStreamDefaultController<Uint8Array>) {
        const request = 'byobRequest' in controller ? controller.byobRequest : null;
        while (!piece) {
          iterator ??= await start();
          const next = await iterator.next();
          if (next.done) {
            controller.close();
            request?.respond(0);
            return;
          }
          if (next.value.length === 0) continue; // a byte stream cannot hand out nothing
          piece = next.value;
          at = 0;
        }
        const view = request?.view;
        let n: number;
        if (request && view) {
          n = Math.min(view.byteLength, piece.length - at);
          new Uint8Array(view.buffer, view.byteOffset, n).set(piece.subarray(at, at + n));
          request.respond(n);
        } else {
          n = piece.length - at;
          controller.enqueue(piece.slice(at));
        }
        at += n;
        bytes += n;
        if (at === piece.length) release();
        onProgress?.({ phase: 'get', bytes, pieces: 0 });
      },
      async cancel() {
        release();
        await iterator?.return(undefined);
      },
    };
    return BYTE_STREAMS ? new ReadableStream({ type: 'bytes', ...source }) : new ReadableStream<Uint8Array>(source, { highWaterMark: 0 });
  }

  /** getRecyclable's stream: the pooled pieces themselves, for a reader that gives them back. */
  private pooledStream(cidInput: CidInput, options: GetOptions): ReadableStream<Uint8Array> {
    if (typeof cidInput === 'string') parseCid(cidInput); // a bad CID fails here, not at the first read
    const { onProgress } = options;
    let iterator: AsyncGenerator<Uint8Array> | undefined;
    let bytes = 0;
    const start = async () => this.read(cidInput, options, 'pooled');
    return new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          iterator ??= await start();
          const next = await iterator.next();
          if (next.done) return controller.close();
          bytes += next.value.length;
          onProgress?.({ phase: 'get', bytes, pieces: 0 });
          controller.enqueue(next.value);
        },
        async cancel() {
          await iterator?.return(undefined);
        },
      },
      { highWaterMark: 0 },
    );
  }

  /** The whole file as one array (small files; use get() to stream large ones). */
  async getBytes(cidInput: CidInput, options: GetOptions = {}): Promise<Uint8Array> {
    // Straight from the exporter: a ReadableStream in between costs more than a 4 KiB read itself.
    const parts: Uint8Array[] = [];
    let total = 0;
    for await (const value of this.read(cidInput, options)) {
      parts.push(value);
      total += value.length;
      options.onProgress?.({ phase: 'get', bytes: total, pieces: 0 });
    }
    if (parts.length === 1) return parts[0]!;
    const out = new Uint8Array(total);
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }

  /** File size without reading the file (one block). */
  async size(cidInput: CidInput, options: { signal?: AbortSignal } = {}): Promise<number> {
    const cid = typeof cidInput === 'string' ? parseCid(cidInput) : cidInput;
    const view = await this.cluster(options.signal);
    return fileSize(cid, this.blockGetter(view), options);
  }

  /** Every piece of the file and where each of its shards lives (asks each home what it holds). */
  async stat(cidInput: CidInput, options: { signal?: AbortSignal; onProgress?: ProgressHandler } = {}): Promise<StatResult> {
    return this.inspect(cidInput, false, options);
  }

  /** Downloads and checks every shard of every piece against the shard ids the piece must have. */
  async verify(cidInput: CidInput, options: { signal?: AbortSignal; onProgress?: ProgressHandler } = {}): Promise<VerifyResult> {
    const r = await this.inspect(cidInput, true, options);
    const healthy = r.unreadable.length === 0 && r.pieces.every((p) => p.shards.every((s) => s.status === 'ok'));
    return { ...r, healthy };
  }

  private async inspect(cidInput: CidInput, deep: boolean, options: { signal?: AbortSignal; onProgress?: ProgressHandler }): Promise<VerifyResult> {
    const cid = typeof cidInput === 'string' ? parseCid(cidInput) : cidInput;
    const { onProgress } = options;
    const signal = this.operationSignal(options.signal);
    const view = await this.cluster(signal);
    const getBlock = this.blockGetter(view);
    const pieces: PieceReport[] = [];
    const unreadable: VerifyResult['unreadable'] = [];
    let size = 0;
    let bytes = 0;
    try {
      size = await fileSize(cid, getBlock, signal ? { signal } : {});
      for await (const { cid: pieceCid, bytes: block } of walkDag(cid, getBlock, signal ? { signal } : {})) {
        const ctx = { transport: this.opts.transport, ...(signal ? { signal } : {}) };
        pieces.push(await inspectPiece(pieceCid, block, view, ctx, deep));
        if (pieceCid.code === RAW_CODEC) bytes += block.length;
        onProgress?.({ phase: deep ? 'verify' : 'stat', bytes, total: size, pieces: pieces.length });
      }
    } catch (e) {
      if (e instanceof DdcError && e.code === 'DDC_ABORTED') throw e;
      if (!(e instanceof DdcError)) throw e;
      const at = typeof e.details?.piece === 'string' ? e.details.piece : cid.toString();
      unreadable.push({ cid: at, code: e.code, message: e.message });
    }
    return { cid, size, healthy: false, pieces, unreadable };
  }

  /** A bucket's objects: keys, versions, client-side encryption and sharing (docs/ACCESS.md). */
  bucket(bucketId: number | bigint, options: BucketOptions = {}): BucketHandle {
    return new BucketHandle(this, bucketId, options, { openSource: (source) => toChunks(source, this.platform.openFile) });
  }

  async close(): Promise<void> {
    await this.opts.membership.close?.();
    await this.opts.transport.close?.();
    await this.platform.pieceHasher?.close?.();
  }
}
