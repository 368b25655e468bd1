/**
 * Reused byte arrays of a few fixed sizes. A large put codes every piece into k + m shard
 * buffers and a large get receives k shard bodies per piece; taking them from here instead of
 * allocating spares the garbage collector hundreds of MiB per object (and, in Node, the
 * page faults of fresh memory). A buffer is given back only once nothing can read it again.
 */
export class BufferPool {
  private readonly free = new Map<number, Uint8Array[]>();
  /**
   * Buffers handed out and not yet given back, by their memory: the only ones `give` takes (never a
   * stranger's array, never twice). Readers see views (the exporter yields `subarray`s), so a view
   * covering a whole lent buffer counts as that buffer.
   */
  private readonly lent = new WeakMap<ArrayBufferLike, Uint8Array>();

  /**
   * `maxPerSize`: how many free buffers of one size are kept (more are left to the GC).
   * `allocate`: where new buffers come from (shared memory, for a reader on another thread).
   */
  constructor(
    private readonly maxPerSize: number,
    private readonly allocate: (size: number) => Uint8Array = (size) => new Uint8Array(size),
  ) {}

  /** A buffer of exactly `size` bytes; its contents are whatever it last held. */
  take(size: number): Uint8Array {
    const buffer = this.free.get(size)?.pop() ?? this.allocate(size);
    this.lent.set(buffer.buffer, buffer);
    return buffer;
  }

  /** Whether `give` would take this view back: it covers all of a buffer lent by `take` and not yet given back. */
  lends(view: Uint8Array): boolean {
    return this.lentFor(view) !== undefined;
  }

  /** Takes back a buffer from `take` (or a view of all of it); anything else (part of one, a copy, one given back already) is ignored. */
  give(view: Uint8Array): void {
    const buffer = this.lentFor(view);
    if (!buffer) return;
    this.lent.delete(view.buffer);
    let list = this.free.get(buffer.length);
    if (!list) {
      // Sizes change from object to object (the last piece, other k): keep a handful only.
      if (this.free.size >= 8) this.free.delete(this.free.keys().next().value!);
      this.free.set(buffer.length, (list = []));
    }
    if (list.length < this.maxPerSize) list.push(buffer);
  }

  /** The lent buffer `view` covers all of, if any. */
  private lentFor(view: Uint8Array): Uint8Array | undefined {
    const buffer = this.lent.get(view.buffer);
    return buffer && view.byteOffset === buffer.byteOffset && view.byteLength === buffer.byteLength ? buffer : undefined;
  }
}
