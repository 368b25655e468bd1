/**
 * `GET /v1/shards/{id}/header`: the raw header of a stored shard, signed. Auditors compare
 * a stripe's headers across nodes without downloading shards; the signature (a v1 header
 * statement, core's identity/header-statement.ts) lets them keep the headers as evidence.
 * Only the header's bytes are read from disk.
 */
import type { ServerResponse } from 'node:http';
import { HEADER_STATEMENT_HTTP, decodeShardHeader, fromHex, signHeaderStatement, toHex } from '@ddc/core';
import { shardCorrupt, shardNotFound } from '../errors.js';
import type { NodeContext } from './context.js';
import { identityOf } from './identity.js';

async function readHeader(ctx: NodeContext, id: string): Promise<Uint8Array> {
  const meta = ctx.store.meta(id);
  if (!meta) throw shardNotFound(id);
  return ctx.store.readShard(id, meta, meta.headerLength);
}

export async function serveHeader(ctx: NodeContext, res: ServerResponse, id: string, head: boolean): Promise<void> {
  const header = await readHeader(ctx, id);
  // A header damaged on disk is reported, never signed.
  try {
    const { header: h, headerLength } = decodeShardHeader(header);
    if (headerLength !== header.length || toHex(h.roots[h.index]!) !== id) throw new Error(`the header is for shard ${toHex(h.roots[h.index]!)}`);
  } catch (e) {
    throw shardCorrupt(id, e);
  }
  const identity = identityOf(ctx);
  const exposed = res.getHeader('access-control-expose-headers');
  if (exposed !== undefined) res.setHeader('access-control-expose-headers', `${String(exposed)}, ${Object.values(HEADER_STATEMENT_HTTP).join(', ')}`);
  const statement = signHeaderStatement({ nodeId: ctx.config.id, shardId: fromHex(id), header, time: Date.now() }, identity.keyPair);
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'content-length': header.length,
    'x-ddc-shard-id': id,
    [HEADER_STATEMENT_HTTP.nodeId]: statement.nodeId,
    [HEADER_STATEMENT_HTTP.publicKey]: identity.publicKey,
    [HEADER_STATEMENT_HTTP.time]: String(statement.time),
    [HEADER_STATEMENT_HTTP.signature]: toHex(statement.signature),
  });
  res.end(head ? undefined : header);
}
