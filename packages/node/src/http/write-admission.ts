/**
 * What shard writes share around their bodies: a place in the write queue (503 DDC_BUSY past it),
 * given up if the client leaves while queued, and the answer once the write settles, with the
 * place freed first.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { busy } from '../errors.js';
import { refuseBody } from './body.js';
import type { NodeContext } from './context.js';
import { sendError, sendJson } from './respond.js';
import type { Ticket } from './write-gate.js';

const RETRY_AFTER_SECONDS = 1;

/** Runs `receive` once the write of `weight` may run (see WriteGate), or refuses the body. */
export function admitWrite(ctx: NodeContext, req: IncomingMessage, res: ServerResponse, weight: number, receive: (ticket: Ticket) => void): void {
  if (req.destroyed && !req.complete) return;
  const ticket = ctx.gate.tryEnter(weight);
  if (!ticket) return refuseBody(ctx, req, res, busy(RETRY_AFTER_SECONDS));
  // A client that gives up while queued frees its place.
  const leftEarly = () => ticket.release();
  req.once('close', leftEarly);
  ticket.ready.then(
    () => {
      req.off('close', leftEarly);
      if (req.destroyed && !req.complete) return ticket.release();
      receive(ticket);
    },
    (e: unknown) => {
      req.off('close', leftEarly);
      refuseBody(ctx, req, res, e);
    },
  );
}

/** Answers with `answer(result)` ([status, JSON text]) or the error once `work` settles; the ticket is released first. */
export function answerWrite<T>(ctx: NodeContext, res: ServerResponse, ticket: Ticket, work: Promise<T>, answer: (result: T) => [number, string]): void {
  work.then(
    (result) => {
      ticket.release();
      const [status, json] = answer(result);
      sendJson(res, status, json);
    },
    (e: unknown) => {
      ticket.release();
      sendError(res, e, ctx.log);
    },
  );
}
