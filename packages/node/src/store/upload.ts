/**
 * One shard upload: bytes are verified (core's ShardVerifier) as they arrive and kept in
 * memory while the shard may still be small, or streamed to a temporary file once it is
 * known to be large. Nothing is visible to readers until `end()` has committed it.
 */
import { DdcError, ShardVerifier, headerLength, toHex, type BufferPool, type ShardHeader } from '@ddc/core';
import { diskError } from '../errors.js';
import { TempFile } from './temp-file.js';

export interface PutResult {
  id: string;
  created: boolean;
  /** Bytes stored (header + payload). */
  length: number;
}

/** A verified upload, ready to be made durable and indexed. */
export interface VerifiedUpload {
  id: string;
  header: ShardHeader;
  headerLength: number;
  length: number;
  /** The whole shard, when it is small enough to live in the index. */
  bytes?: Uint8Array;
  /** The shard's temporary file otherwise (complete, not yet synced: the store syncs it with its folder). */
  temp?: TempFile;
  /** Bucket claims committed with the shard if this upload creates it (see ShardIndex.insert). */
  claims?: readonly number[];
}

export interface UploadSink {
  readonly maxShardBytes: number;
  readonly inlineThreshold: number;
  newTempPath(): string;
  /** Where an inline shard made of several parts is joined; `commit` is done with it once settled. */
  readonly assembly: BufferPool;
  commit(upload: VerifiedUpload): Promise<PutResult>;
  /** Registers work the store must wait for before it closes. */
  track<T>(work: Promise<T>): Promise<T>;
  release(upload: ShardUpload): void;
}

export class ShardUpload {
  private readonly verifier: ShardVerifier;
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  private temp: TempFile | undefined;
  private headerChecked = false;
  private done = false;
  /** Set by verify(): the shard's checked identity, so end() only stores it. */
  private checked: ReturnType<ShardVerifier['finish']> | undefined;

  constructor(
    private readonly sink: UploadSink,
    private readonly expectedId: string | undefined,
    /** The body's declared size (Content-Length), if known. */
    private readonly declaredLength: number | undefined,
    /** Bucket claims to commit with the shard, should this upload create it. */
    private readonly claims?: readonly number[],
  ) {
    this.verifier = new ShardVerifier(sink.maxShardBytes);
    if (declaredLength !== undefined && declaredLength > sink.inlineThreshold) this.toFile();
  }

  /** Takes the next part of the body. Throws a DdcError as soon as the bytes cannot be a good shard. False: wait for `drained()`. */
  write(chunk: Uint8Array): boolean {
    if (this.done) throw new DdcError('DDC_INTERNAL', 'write after the upload ended');
    this.verifier.update(chunk);
    if (!this.headerChecked && this.verifier.header) this.checkHeader(this.verifier.header);
    if (this.temp) {
      try {
        return this.temp.push(chunk);
      } catch (e) {
        throw diskError(e);
      }
    }
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered > this.sink.inlineThreshold) this.toFile();
    return true;
  }

  drained(): Promise<void> {
    return this.temp ? this.temp.drained() : Promise.resolve();
  }

  /** Fails fast on a header that cannot lead to a stored shard, before the payload arrives. */
  private checkHeader(h: ShardHeader): void {
    this.headerChecked = true;
    const headerRoot = toHex(h.roots[h.index]!);
    if (this.expectedId !== undefined && headerRoot !== this.expectedId) {
      throw new DdcError('DDC_SHARD_ROOT_MISMATCH', `the header lists ${headerRoot} for index ${h.index}, not the id ${this.expectedId} in the request`, {
        hint: 'Store a shard under the id its header and bytes hash to',
        details: { expectedId: this.expectedId, headerRoot },
      });
    }
    const total = headerLength(h.pieceCid.bytes.length, h.k, h.m) + h.shardLength;
    if (total > this.sink.maxShardBytes) {
      throw new DdcError('DDC_TOO_LARGE', `the shard declares ${total} bytes, over the ${this.sink.maxShardBytes}-byte limit`, { hint: 'Send shards no larger than maxShardBytes' });
    }
    if (this.declaredLength !== undefined && this.declaredLength !== total) {
      throw new DdcError('DDC_SHARD_MALFORMED', `the body is ${this.declaredLength} bytes but the shard header declares ${total}`, {
        hint: 'Send the whole shard, header then payload, and nothing else',
      });
    }
    if (!this.temp && total > this.sink.inlineThreshold) this.toFile();
  }

  private toFile(): void {
    this.temp = new TempFile(this.sink.newTempPath());
    for (const c of this.chunks) this.temp.push(c);
    this.chunks = [];
    this.buffered = 0;
  }

  /**
   * The shard's bytes are all in: checks it whole now (its Merkle root against the id) and throws a
   * DdcError if it is not a good shard; end() then only stores it. A batch checks every shard
   * before it stores any.
   */
  verify(): void {
    if (this.done) throw new DdcError('DDC_INTERNAL', 'verify after the upload ended');
    this.checked ??= this.verifier.finish(this.expectedId);
  }

  /** The body ended: verify it whole, make it durable, index it. */
  end(): Promise<PutResult> {
    if (this.done) return Promise.reject(new DdcError('DDC_INTERNAL', 'the upload already ended'));
    this.done = true;
    return this.sink.track(this.finish());
  }

  private async finish(): Promise<PutResult> {
    let joined: Uint8Array | undefined;
    try {
      const v = this.checked ?? this.verifier.finish(this.expectedId);
      const verified: VerifiedUpload = { id: v.id, header: v.header, headerLength: v.headerLength, length: v.length };
      if (this.claims && this.claims.length > 0) verified.claims = this.claims;
      if (this.temp) {
        await this.temp.written();
        verified.temp = this.temp;
      } else if (this.chunks.length === 1) {
        verified.bytes = this.chunks[0]!;
      } else {
        joined = this.sink.assembly.take(this.buffered);
        let at = 0;
        for (const c of this.chunks) {
          joined.set(c, at);
          at += c.length;
        }
        verified.bytes = joined;
      }
      return await this.sink.commit(verified);
    } catch (e) {
      await this.temp?.discard();
      throw diskError(e);
    } finally {
      this.chunks = [];
      // The commit has settled: the index has copied the bytes or will never read them.
      if (joined) this.sink.assembly.give(joined);
      this.sink.release(this);
    }
  }

  /** Gives up: nothing is stored and the temporary file (if any) is removed. */
  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.chunks = [];
    this.verifier.release();
    await this.temp?.discard();
    this.sink.release(this);
  }
}
