/**
 * The workers' view of the other nodes: which shards of a set of pieces a node holds
 * (POST /v1/pieces/has, batched), fetching a shard by (piece, index) and storing one.
 * Every byte fetched or sent is charged to the worker's bandwidth budget first; writes are
 * signed with the node's identity key.
 */
import type { ClusterNode } from '@ddc/core';
import { DdcError } from '@ddc/core';
import { NodeHealth, ShardPutBatcher, type RequestSigner, type Transport, type UploadContext } from '@ddc/client';
import type { TokenBucket } from './token-bucket.js';

/** CIDs per has request: keeps the body near 64 KiB. */
export const HAS_BATCH = 1000;
const HAS_TIMEOUT_MS = 15_000;

export interface TrafficCounter {
  bytesFetched: number;
  bytesSent: number;
}

/** A repair pass retries on its next run, so a write is tried once here. */
const ONE_ATTEMPT = { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 };

export class Peers {
  /**
   * Shard writes to one node queue behind the exchange running with it and then go together
   * (POST /v1/shards/batch: one signature, one request, one index commit per batch), as a
   * client's put does: a wiped node being refilled takes hundreds of rebuilt shards.
   */
  private readonly writes: ShardPutBatcher;
  private readonly health = new NodeHealth();

  constructor(
    private readonly transport: Transport,
    private readonly bucket: TokenBucket,
    /** Signs PUTs with this node's identity key, for the target node (audience = its id). */
    private readonly signer: RequestSigner,
  ) {
    this.writes = new ShardPutBatcher(transport);
  }

  /** For each CID, the indexes `node` holds; throws DDC_NODE_UNAVAILABLE (or the node's error) if it cannot tell. */
  async has(node: ClusterNode, cids: readonly string[], signal?: AbortSignal): Promise<Map<string, number[]>> {
    const out = new Map<string, number[]>();
    for (let at = 0; at < cids.length; at += HAS_BATCH) {
      const batch = cids.slice(at, at + HAS_BATCH);
      const url = `${node.url}/v1/pieces/has`;
      const timeout = AbortSignal.timeout(HAS_TIMEOUT_MS);
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ pieces: batch }),
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
      } catch (cause) {
        if (signal?.aborted) throw new DdcError('DDC_ABORTED', 'the operation was aborted', { cause: signal.reason });
        throw new DdcError('DDC_NODE_UNAVAILABLE', `cannot reach ${url}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
      }
      const text = await res.text().catch(() => '');
      if (!res.ok) {
        throw new DdcError(res.status === 404 ? 'DDC_NODE_BAD_RESPONSE' : 'DDC_NODE_UNAVAILABLE', `${url} answered HTTP ${res.status}: ${text.slice(0, 200)}`);
      }
      let held: Record<string, unknown>;
      try {
        held = (JSON.parse(text) as { held: Record<string, unknown> }).held;
        if (!held || typeof held !== 'object') throw new Error('no "held" object');
      } catch (cause) {
        throw new DdcError('DDC_NODE_BAD_RESPONSE', `${url} answered something that is not {"held":{...}}`, { cause });
      }
      for (const cid of batch) {
        const v = held[cid];
        out.set(cid, Array.isArray(v) ? v.filter((i): i is number => Number.isInteger(i)) : []);
      }
    }
    return out;
  }

  /** Shard `index` of `pieceCid` from `node`; `expectedBytes` is charged to the budget before asking. */
  async fetchShard(node: ClusterNode, pieceCid: string, index: number, expectedBytes: number, traffic: TrafficCounter, signal?: AbortSignal): Promise<Uint8Array> {
    await this.bucket.take(expectedBytes, signal);
    const bytes = await this.transport.getPieceShard(node.url, pieceCid, index, signal);
    traffic.bytesFetched += bytes.length;
    return bytes;
  }

  /** Gives back a fetchShard answer that nothing reads any more, so the transport may reuse its memory. */
  release(bytes: Uint8Array): void {
    this.transport.releaseShard?.(bytes);
  }

  /**
   * Stores a shard on `node`; resolves once the node answered 2xx (it holds the shard durably).
   * `refs`: the buckets that reference the shard (or its stripe) here, recorded there too so that
   * a bucket's delete reaches a moved or rebuilt copy; sent in the signed query.
   */
  async putShard(node: ClusterNode, id: string, bytes: Uint8Array, traffic: TrafficCounter, signal?: AbortSignal, refs: readonly number[] = []): Promise<{ created: boolean }> {
    await this.bucket.take(bytes.length, signal);
    // Shards with the same references share batches (the signed query applies to every shard of one).
    const ctx: UploadContext = {
      transport: this.transport, retry: ONE_ATTEMPT, health: this.health, signer: this.signer,
      ...(refs.length > 0 ? { query: `refs=${refs.join(',')}` } : {}), ...(signal ? { signal } : {}),
    };
    const r = await this.writes.put(node, { id, bytes }, ctx);
    traffic.bytesSent += bytes.length;
    return r;
  }
}
