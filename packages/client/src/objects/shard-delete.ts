/**
 * Deletes the shards of a content DAG with a bucket token (op delete): every piece of the
 * DAG, every shard at its home. A node then drops the bucket's reference, and the bytes once
 * no bucket references them (docs/PROTOCOL.md), so content another bucket stored stays.
 */
import { DdcError, type CapabilityToken } from '@ddc/core';
import type { DdcClient } from '../client.js';
import type { RequestSigner } from '../request-signer.js';
import { nodeRequest, type FetchLike } from './node-http.js';

export interface ShardDeleteResult {
  /** Shards whose DELETE a node accepted. */
  deleted: number;
  /** Shards that could not be deleted (node down, refused); repair will not bring back the others. */
  failed: { nodeId: string; shardId: string; code: string; message: string }[];
  /** Pieces that could not be read, so their shards were not found (they may be gone already). */
  unreadable: number;
}

const GONE = new Set(['DDC_SHARD_NOT_FOUND', 'DDC_NOT_FOUND', 'DDC_TOKEN_WRONG_BUCKET']);

export async function deleteContentShards(
  client: DdcClient,
  cid: string,
  auth: { signer: RequestSigner; token: CapabilityToken; fetch: FetchLike },
  signal?: AbortSignal,
): Promise<ShardDeleteResult> {
  const stat = await client.stat(cid, signal ? { signal } : {});
  // stat reports pieces it could not read (VerifyResult's `unreadable`) without typing them.
  const unreadable = (stat as { unreadable?: unknown[] }).unreadable?.length ?? 0;
  const result: ShardDeleteResult = { deleted: 0, failed: [], unreadable };
  const jobs = stat.pieces.flatMap((p) => p.shards.filter((s) => s.status === 'present').map((s) => ({ node: { id: s.nodeId, url: s.url, zone: s.zone }, shardId: s.shardId })));
  // Bounded fan-out: a large object has thousands of shards.
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      try {
        const res = await nodeRequest(auth.fetch, { node: job.node, method: 'DELETE', path: `/v1/shards/${job.shardId}`, signer: auth.signer, token: auth.token, signal });
        await res.arrayBuffer().catch(() => undefined);
        result.deleted++;
      } catch (e) {
        if (e instanceof DdcError && e.code === 'DDC_ABORTED') throw e;
        if (e instanceof DdcError && GONE.has(e.code)) continue;
        result.failed.push({ nodeId: job.node.id, shardId: job.shardId, code: e instanceof DdcError ? e.code : 'DDC_INTERNAL', message: e instanceof Error ? e.message : String(e) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, jobs.length) }, worker));
  return result;
}
