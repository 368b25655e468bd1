/**
 * SHA-256 of a piece's data shards on a worker thread, read in place from shared memory.
 *
 * A large get's own thread is its bottleneck here (its CPU equals the wall time of the read), and
 * about a quarter of it is checking each piece against its CID. The shards' bodies are read into
 * pooled SharedArrayBuffers, so the worker hashes them where they lie while this thread joins them:
 * no copy, one message each way per piece. (Web Crypto's digest, tried before, copies every input.)
 */
import { Worker } from 'node:worker_threads';
import type { PieceHasher } from '../get/piece-hasher.js';

export interface HashJob {
  id: number;
  parts: { memory: SharedArrayBuffer; offset: number; length: number }[];
}

export interface HashAnswer {
  id: number;
  digest: Uint8Array;
}

export class SharedPieceHasher implements PieceHasher {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve(d: Uint8Array): void; reject(e: unknown): void }>();

  sha256(parts: readonly Uint8Array[]): Promise<Uint8Array> | undefined {
    const job: HashJob = { id: this.nextId++, parts: [] };
    for (const p of parts) {
      if (!(p.buffer instanceof SharedArrayBuffer)) return undefined;
      job.parts.push({ memory: p.buffer, offset: p.byteOffset, length: p.byteLength });
    }
    const worker = this.start();
    return new Promise<Uint8Array>((resolve, reject) => {
      if (this.waiting.size === 0) worker.ref();
      this.waiting.set(job.id, { resolve, reject });
      worker.postMessage(job);
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./piece-hash-worker.js', import.meta.url));
    worker.unref();
    worker.on('message', (a: HashAnswer) => {
      const w = this.waiting.get(a.id);
      this.waiting.delete(a.id);
      if (this.waiting.size === 0) worker.unref();
      w?.resolve(a.digest);
    });
    const fail = (e: unknown) => {
      this.worker = undefined;
      for (const w of this.waiting.values()) w.reject(e);
      this.waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the piece hashing worker exited (${code})`)));
    return (this.worker = worker);
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    await w?.terminate();
  }
}
