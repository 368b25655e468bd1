/**
 * Small HTTP helpers shared by the plain and IPFS handlers: JSON errors, byte ranges
 * (RFC 9110 §14), conditional requests, and streaming a body with backpressure.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { httpErrorOf } from '../errors.js';

/** Answers an error as JSON {error: {code, message}} unless headers already went out (then the socket is cut). */
export function sendError(res: ServerResponse, err: unknown, headers: Record<string, string> = {}): void {
  const { status, code, message } = httpErrorOf(err);
  if (res.headersSent) {
    res.destroy(err instanceof Error ? err : new Error(message));
    return;
  }
  const body = JSON.stringify({ error: { code, message } });
  res.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

export type RangeResult = { start: number; end: number } | 'unsatisfiable' | undefined;

/**
 * One byte range from a Range header over `size` bytes: inclusive start..end, undefined
 * when there is none or it should be ignored (not bytes, several ranges, malformed), or
 * 'unsatisfiable' (416). Several ranges are answered with the whole body (allowed by RFC 9110).
 */
export function parseRange(header: string | undefined, size: number): RangeResult {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return undefined;
  const [, a, b] = m as unknown as [string, string, string];
  if (a === '' && b === '') return undefined;
  if (a === '') {
    const n = Number(b);
    if (n === 0) return 'unsatisfiable';
    return size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(a);
  if (!Number.isSafeInteger(start)) return 'unsatisfiable';
  if (start >= size) return 'unsatisfiable';
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (!Number.isFinite(end) || end < start) return undefined;
  return { start, end };
}

/** Does an If-None-Match list name `etag` (weak comparison, `*` matches anything)? */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  const want = bare(etag);
  return header.split(',').some((t) => t.trim() === '*' || bare(t) === want);
}

/** Is the response unchanged for the request's conditional headers (304)? If-None-Match wins over If-Modified-Since. */
export function notModified(req: IncomingMessage, etag: string, lastModified?: Date): boolean {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) return etagMatches(inm, etag);
  const ims = req.headers['if-modified-since'];
  if (ims && lastModified) {
    const since = Date.parse(ims);
    return Number.isFinite(since) && Math.floor(lastModified.getTime() / 1000) <= Math.floor(since / 1000);
  }
  return false;
}

/**
 * Writes a stream of chunks to the response, waiting for the socket to drain; stops (and
 * cancels the source) when the client goes away. A failure mid-body cuts the connection,
 * so a client never takes a short body for a whole one. `recycle` gets each chunk back once the
 * socket no longer needs it.
 */
export async function pipeBody(res: ServerResponse, body: AsyncIterable<Uint8Array>, recycle?: (chunk: Uint8Array) => void): Promise<void> {
  const iterator = body[Symbol.asyncIterator]();
  let clientGone = false;
  const onClose = () => {
    clientGone = true;
  };
  res.once('close', onClose);
  try {
    for (;;) {
      if (clientGone || res.destroyed) return;
      const next = await iterator.next();
      if (next.done) break;
      const chunk = next.value;
      if (!(recycle ? res.write(chunk, () => recycle(chunk)) : res.write(chunk))) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
    }
    res.end();
  } catch (e) {
    res.destroy(e instanceof Error ? e : new Error(String(e)));
  } finally {
    res.off('close', onClose);
    await iterator.return?.(undefined)?.catch?.(() => {});
  }
}

/** A web ReadableStream as an async iterable (cancelled when iteration stops early). */
export async function* fromWebStream(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  let done = false;
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) {
        done = true;
        return;
      }
      yield r.value;
    }
  } finally {
    if (!done) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
