/** Request-body helpers: the declared length, and refusing a body without hurting the client. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NodeContext } from './context.js';
import { sendError, toDdcError } from './respond.js';

/** How long a refused body may keep a socket busy before it is cut. */
const DRAIN_MS = 10_000;

/** Content-Length as a number, or undefined for a chunked body. */
export function declaredLength(req: IncomingMessage): number | undefined {
  const v = req.headers['content-length'];
  if (v === undefined) return req.headers['transfer-encoding'] === undefined ? 0 : undefined;
  return Number(v); // node:http has already refused a malformed value
}

/**
 * Answers an error before (all of) the body was read. A body of known, bounded size is
 * read and dropped by node:http so the socket stays usable. Otherwise the whole answer is
 * written at once but the response is ended (and the socket closed) only after the client
 * stopped sending or `cap` more bytes arrived: closing on unread data would reset the
 * connection and could lose the answer on the client's side.
 */
export function refuseBody(ctx: NodeContext, req: IncomingMessage, res: ServerResponse, e: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const cap = ctx.config.maxShardBytes + 1024 * 1024;
  const declared = declaredLength(req);
  if (req.complete || (declared !== undefined && declared <= cap)) {
    if (req.isPaused()) req.resume();
    sendError(res, e, ctx.log);
    return;
  }
  const err = toDdcError(e, ctx.log);
  const body = JSON.stringify(err.toJSON());
  const headers = ['content-type', 'application/json', 'content-length', String(Buffer.byteLength(body)), 'connection', 'close'];
  if (err.code === 'DDC_BUSY' || err.code === 'DDC_SHUTTING_DOWN') headers.push('retry-after', '1');
  res.writeHead(err.status, headers);
  res.write(body);
  let dropped = 0;
  const finish = () => {
    clearTimeout(timer);
    if (!res.writableEnded) res.end();
  };
  const timer = setTimeout(finish, DRAIN_MS);
  timer.unref();
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > cap) finish();
  });
  req.once('end', finish);
  req.once('close', finish);
  req.on('error', () => undefined);
  req.resume();
}
