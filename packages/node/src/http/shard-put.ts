/**
 * PUT /v1/shards/{id}: admission (size, shutdown, the signature and any bucket token, the
 * queue), then the body is verified and stored as it streams in, with backpressure from the
 * disk. Any failure aborts the upload, which removes its temporary file: nothing of a
 * refused shard stays behind. A bucket token's reference is recorded before the answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DdcError } from '@ddc/core';
import { shuttingDown, tooLarge } from '../errors.js';
import { authorizeShardPut, claimsToAdd, recordShardPut, type ShardPutGrant } from '../auth/shard-access.js';
import type { ShardUpload } from '../store/upload.js';
import { declaredLength, refuseBody } from './body.js';
import type { NodeContext } from './context.js';
import type { Ticket } from './write-gate.js';
import { admitWrite, answerWrite } from './write-admission.js';

export function handlePut(ctx: NodeContext, req: IncomingMessage, res: ServerResponse, id: string): void {
  if (ctx.draining) return refuseBody(ctx, req, res, shuttingDown());
  const declared = declaredLength(req);
  const max = ctx.config.maxShardBytes;
  if (declared !== undefined && declared > max) return refuseBody(ctx, req, res, tooLarge(max, declared));
  authorizeShardPut(ctx, req).then(
    (grant) => admitWrite(ctx, req, res, 1, (ticket) => receive(ctx, req, res, id, declared, ticket, grant)),
    (e: unknown) => refuseBody(ctx, req, res, e),
  );
}

function receive(ctx: NodeContext, req: IncomingMessage, res: ServerResponse, id: string, declared: number | undefined, ticket: Ticket, grant: ShardPutGrant): void {
  let upload: ShardUpload;
  try {
    // Should this PUT create the shard, its claims commit with it (one transaction); a shard that
    // was already here has its claims settled after the commit.
    upload = ctx.store.beginPut(id, declared, claimsToAdd(grant, ctx.auth.refs.list(id), true));
  } catch (e) {
    ticket.release();
    return refuseBody(ctx, req, res, e);
  }
  let settled = false;

  const fail = (e: unknown) => {
    if (settled) return;
    settled = true;
    req.off('data', onData);
    req.off('end', onEnd);
    void upload.abort().finally(() => ticket.release());
    if (!res.headersSent && !res.destroyed && !req.destroyed) refuseBody(ctx, req, res, e);
  };

  const onData = (chunk: Buffer) => {
    try {
      if (!upload.write(chunk)) {
        req.pause();
        void upload.drained().then(() => {
          if (!settled) req.resume();
        });
      }
    } catch (e) {
      fail(e);
    }
  };

  const onEnd = () => {
    if (settled) return;
    settled = true;
    const stored = upload.end().then(async (r) => {
      if (!r.created) await recordShardPut(ctx, r.id, grant, false);
      return r;
    });
    answerWrite(ctx, res, ticket, stored, (r): [number, string] => [r.created ? 201 : 200, `{"id":"${r.id}","created":${r.created}}`]);
  };

  req.on('data', onData);
  req.once('end', onEnd);
  req.once('close', () => {
    // The connection went away mid-body (client abort, timeout, shutdown).
    if (!req.complete) fail(new DdcError('DDC_ABORTED', 'the client closed the connection before sending the whole shard'));
  });
}
