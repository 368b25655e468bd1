/**
 * Writing answers: JSON bodies and the one mapping from errors to responses. Unknown
 * errors become 500 DDC_INTERNAL without their message or stack (those go to the log).
 */
import type { ServerResponse } from 'node:http';
import { DdcError, isDdcError } from '@ddc/core';

export type Logger = (event: Record<string, unknown>) => void;

const JSON_TYPE = 'application/json';

export function sendJson(res: ServerResponse, status: number, body: unknown, extra?: readonly string[]): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const headers = ['content-type', JSON_TYPE, 'content-length', String(Buffer.byteLength(text)), 'cache-control', 'no-store'];
  if (extra) headers.push(...extra);
  res.writeHead(status, headers);
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

/** The error as a DdcError: itself, or DDC_INTERNAL standing in for a bug. */
export function toDdcError(e: unknown, log?: Logger): DdcError {
  if (isDdcError(e)) return e;
  log?.({ event: 'error', message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined });
  return new DdcError('DDC_INTERNAL', 'internal error', { hint: 'This is a bug in the node; the node log has the details' });
}

/** Sends an error answer; extra headers for the codes that need them (Retry-After, Allow). */
export function sendError(res: ServerResponse, e: unknown, log?: Logger, closeConnection = false): void {
  const err = toDdcError(e, log);
  if (res.headersSent) {
    // Too late for a status: cut the body short so the client sees a failure, not a good answer.
    res.destroy(err);
    return;
  }
  const extra: string[] = [];
  if (err.code === 'DDC_BUSY' || err.code === 'DDC_SHUTTING_DOWN') extra.push('retry-after', String(err.details?.['retryAfter'] ?? 1));
  const allowed = err.details?.['allow'];
  if (err.code === 'DDC_METHOD_NOT_ALLOWED' && Array.isArray(allowed)) extra.push('allow', allowed.join(', '));
  if (closeConnection) extra.push('connection', 'close');
  sendJson(res, err.status, err.toJSON(), extra);
}
