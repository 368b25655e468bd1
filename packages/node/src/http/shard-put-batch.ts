/**
 * POST /v1/shards/batch: several shards in one request (format in core/shard-put-batch.ts),
 * admitted like one shard PUT (size, shutdown, the signature and any bucket token, a place in
 * the write queue weighed by its size). Each shard streams into its own upload and is verified as its bytes end;
 * only when the whole body is in and every shard passed are they stored, together (the index
 * commits them in one transaction), so a refused batch leaves nothing behind. (A disk failure
 * while storing can leave some of them stored: whole, verified shards, and sending the batch
 * again is safe.) The answer lists each shard's id and whether this request created it, in
 * body order.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DdcError, MAX_PUT_BATCH_SHARDS, PUT_BATCH_ENTRY_HEADER, PUT_BATCH_HEADER, PutBatchReader } from '@ddc/core';
import { shuttingDown, tooLarge } from '../errors.js';
import { authorizeShardPut, claimsToAdd, recordShardPut, type ShardPutGrant } from '../auth/shard-access.js';
import type { PutResult, ShardUpload } from '../store/upload.js';
import { declaredLength, refuseBody } from './body.js';
import type { NodeContext } from './context.js';
import type { Ticket } from './write-gate.js';
import { admitWrite, answerWrite } from './write-admission.js';

/** Shard bytes one batch may carry: its inline shards wait in memory until the batch is stored. */
export const MAX_PUT_BATCH_SHARD_BYTES = 4 * 1024 * 1024;
export const MAX_PUT_BATCH_BODY = PUT_BATCH_HEADER + MAX_PUT_BATCH_SHARDS * PUT_BATCH_ENTRY_HEADER + MAX_PUT_BATCH_SHARD_BYTES;

export function handlePutBatch(ctx: NodeContext, req: IncomingMessage, res: ServerResponse): void {
  if (ctx.draining) return refuseBody(ctx, req, res, shuttingDown());
  const declared = declaredLength(req);
  if (declared !== undefined && declared > MAX_PUT_BATCH_BODY) return refuseBody(ctx, req, res, tooLarge(MAX_PUT_BATCH_BODY, declared));
  authorizeShardPut(ctx, req).then(
    // A batch holds its inline shards in memory until it is stored: it weighs as the single PUTs of as many bytes.
    (grant) => admitWrite(ctx, req, res, Math.ceil((declared ?? MAX_PUT_BATCH_BODY) / ctx.config.inlineThreshold), (ticket) => receive(ctx, req, res, ticket, grant)),
    (e: unknown) => refuseBody(ctx, req, res, e),
  );
}

function receive(ctx: NodeContext, req: IncomingMessage, res: ServerResponse, ticket: Ticket, grant: ShardPutGrant): void {
  const uploads: ShardUpload[] = [];
  let current: ShardUpload | undefined;
  /** Set when the current upload's file asks the body to wait. */
  let drain: Promise<void> | undefined;
  let received = 0;
  let settled = false;

  const reader = new PutBatchReader({
    entry(id, length) {
      // Should this batch create the shard, its claims commit with it, as for a single PUT.
      current = ctx.store.beginPut(id, length, claimsToAdd(grant, ctx.auth.refs.list(id), true));
      uploads.push(current);
    },
    data(chunk) {
      // A view into node:http's chunk, which nothing reuses: the upload may keep it, as a single PUT keeps its chunks.
      if (!current!.write(chunk)) drain = current!.drained();
    },
    entryEnd() {
      current!.verify();
      current = undefined;
    },
  }, ctx.config.maxShardBytes);

  const fail = (e: unknown) => {
    if (settled) return;
    settled = true;
    req.off('data', onData);
    req.off('end', onEnd);
    void Promise.all(uploads.map((u) => u.abort())).finally(() => ticket.release());
    if (!res.headersSent && !res.destroyed && !req.destroyed) refuseBody(ctx, req, res, e);
  };

  const onData = (chunk: Buffer) => {
    received += chunk.length;
    try {
      if (received > MAX_PUT_BATCH_BODY) throw tooLarge(MAX_PUT_BATCH_BODY);
      reader.push(chunk);
    } catch (e) {
      return fail(e);
    }
    if (drain) {
      const wait = drain;
      drain = undefined;
      req.pause();
      void wait.then(() => {
        if (!settled) req.resume();
      });
    }
  };

  const onEnd = () => {
    if (settled) return;
    try {
      reader.end();
    } catch (e) {
      return fail(e);
    }
    settled = true;
    answerWrite(ctx, res, ticket, store(ctx, uploads, grant), (results): [number, string] => [
      200,
      `{"shards":[${results.map((r) => `{"id":"${r.id}","created":${r.created}}`).join(',')}]}`,
    ]);
  };

  req.on('data', onData);
  req.once('end', onEnd);
  req.once('close', () => {
    if (!req.complete) fail(new DdcError('DDC_ABORTED', 'the client closed the connection before sending the whole batch'));
  });
}

/** Every shard passed: store them all at once (their index writes share a commit), then settle claims. */
async function store(ctx: NodeContext, uploads: ShardUpload[], grant: ShardPutGrant): Promise<PutResult[]> {
  const outcomes = await Promise.allSettled(uploads.map((u) => u.end()));
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
  const results = outcomes.map((o) => (o as PromiseFulfilledResult<PutResult>).value);
  for (const r of results) if (!r.created) await recordShardPut(ctx, r.id, grant, false);
  return results;
}
