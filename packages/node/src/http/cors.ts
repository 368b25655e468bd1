/**
 * CORS, so the SDK works from a web page: any origin may call the API (it carries no
 * cookies; authorization travels in signed requests). Only requests with an Origin header
 * pay for the extra headers, so the hot path for servers and CLIs is unchanged.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

const EXPOSED = 'content-length, retry-after, x-ddc-shard-id, x-ddc-piece-cid, x-ddc-shard-index';
const METHODS = 'GET, HEAD, PUT, POST, DELETE, OPTIONS';
const MAX_AGE_SECONDS = '86400';

/** Adds CORS headers when the request comes from a browser page. */
export function applyCors(req: IncomingMessage, res: ServerResponse): void {
  if (req.headers.origin === undefined) return;
  res.setHeader('access-control-allow-origin', '*');
  res.setHeader('access-control-expose-headers', EXPOSED);
}

/** Answers an OPTIONS request (a CORS preflight, or a plain question about methods). */
export function answerOptions(req: IncomingMessage, res: ServerResponse): void {
  const headers = ['allow', METHODS, 'content-length', '0'];
  if (req.headers.origin !== undefined) {
    headers.push('access-control-allow-methods', METHODS, 'access-control-max-age', MAX_AGE_SECONDS);
    const asked = req.headers['access-control-request-headers'];
    if (asked) headers.push('access-control-allow-headers', asked);
  }
  res.writeHead(204, headers);
  res.end();
}
