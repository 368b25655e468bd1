/**
 * POST /v1/pieces/batch: several shards by (piece CID, index) in one exchange (format in
 * core/shard-batch.ts). Like a single shard GET it is a read of content-addressed bytes, so
 * unsigned; the client verifies each shard as it would any other. A shard missing here, or a
 * file cut short on disk, comes back `not-found`, so the client asks another home.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  MAX_BATCH_REQUEST_BYTES, MAX_BATCH_RESPONSE_BYTES, batchResponseSize, decodeBatchRequest, encodeBatchResponse, isDdcError,
  type BatchEntry,
} from '@ddc/core';
import type { ShardMeta } from '../store/meta-codec.js';
import type { NodeContext } from './context.js';
import { readBody } from './maintenance.js';
import { canonicalCid } from './router.js';
import { corruptCopy } from './shard-read.js';

const NONE: BatchEntry = { status: 'not-found', bytes: new Uint8Array(0) };
const SKIPPED: BatchEntry = { status: 'skipped', bytes: new Uint8Array(0) };

export async function serveShardBatch(ctx: NodeContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const wants = decodeBatchRequest(await readBody(req, MAX_BATCH_REQUEST_BYTES));
  const delay = ctx.config.faults?.delayMs;
  if (delay) await sleep(delay);
  let budget = MAX_BATCH_RESPONSE_BYTES;
  const entries = await Promise.all(
    wants.map(({ cid, index }) => {
      const shard = ctx.store.pieceShard(canonicalCid(cid), index);
      if (!shard) return NONE;
      if (shard.length > budget) return SKIPPED;
      budget -= shard.length;
      return read(ctx, shard.id, shard);
    }),
  );
  const out = Buffer.allocUnsafe(batchResponseSize(entries));
  encodeBatchResponse(entries, out);
  for (const e of entries) ctx.store.releaseBytes(e.bytes); // copied into `out`
  if (res.destroyed) return;
  res.writeHead(200, ['content-type', 'application/octet-stream', 'content-length', String(out.length), 'cache-control', 'no-store']);
  res.end(out);
}

async function read(ctx: NodeContext, id: string, meta: ShardMeta): Promise<BatchEntry> {
  let bytes: Uint8Array;
  try {
    bytes = await ctx.store.readShard(id, meta);
  } catch (e) {
    if (isDdcError(e) && e.code === 'DDC_SHARD_NOT_FOUND') return NONE; // deleted since the lookup
    throw e;
  }
  if (bytes.length !== meta.length) return NONE; // a file cut short on disk is never served
  if (ctx.config.faults?.corruptReads) bytes = corruptCopy(bytes, meta.headerLength);
  return { status: 'found', bytes };
}
