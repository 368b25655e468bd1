/**
 * One S3 request as the handlers see it: bucket and key from the path (path style) or the
 * Host header (virtual-host style), the query, the headers, who signed it, and answers
 * (XML, empty, errors) written the way S3 writes them.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodePath, header, headerMap, parseQuery, type Authenticated } from '../auth/sigv4.js';
import type { AccessKey } from '../keys/store.js';
import { S3Error, toS3Error } from './errors.js';
import { errorDocument } from './xml.js';

export interface S3Request {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  rawPath: string;
  rawQuery: string;
  headers: Map<string, string[]>;
  /** Decoded query; the first value of each name. */
  query: Map<string, string>;
  /** Query as sent, for the signature. */
  queryPairs: [string, string][];
  bucket: string | undefined;
  key: string | undefined;
  /** True when the bucket came from the Host header. */
  virtualHost: boolean;
  requestId: string;
  auth: Authenticated | null;
  accessKey: AccessKey | null;
  /** Resource for error documents (the path). */
  resource: string;
}

export function hostName(hostHeader: string | undefined): string {
  const h = (hostHeader ?? '').trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon >= 0 ? h.slice(0, colon) : h;
}

/** Bucket and key of a request: `BUCKET.<base>` hosts carry the bucket, else the path's first segment does. */
export function routeOf(rawPath: string, host: string, bases: readonly string[]): { bucket: string | undefined; key: string | undefined; virtualHost: boolean } {
  if (!rawPath.startsWith('/')) throw new S3Error('InvalidURI', `Couldn't parse the specified URI: the path must start with /`);
  for (const base of bases) {
    if (host.length > base.length + 1 && host.endsWith(`.${base}`)) {
      const bucket = host.slice(0, -base.length - 1);
      const key = decodePath(rawPath.slice(1));
      return { bucket, key: key === '' ? undefined : key, virtualHost: true };
    }
  }
  const rest = rawPath.slice(1);
  const slash = rest.indexOf('/');
  const bucket = decodePath(slash < 0 ? rest : rest.slice(0, slash));
  const key = slash < 0 ? '' : decodePath(rest.slice(slash + 1));
  return { bucket: bucket === '' ? undefined : bucket, key: key === '' ? undefined : key, virtualHost: false };
}

export function parseS3Request(req: IncomingMessage, res: ServerResponse, bases: readonly string[]): S3Request {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const rawQuery = q < 0 ? '' : url.slice(q + 1);
  const headers = headerMap(req.rawHeaders);
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  const base: S3Request = {
    req, res, method: (req.method ?? 'GET').toUpperCase(), rawPath, rawQuery, headers, query: new Map(), queryPairs: [],
    bucket: undefined, key: undefined, virtualHost: false, requestId, auth: null, accessKey: null, resource: rawPath,
  };
  const queryPairs = parseQuery(rawQuery);
  const query = new Map<string, string>();
  for (const [n, v] of queryPairs) if (!query.has(n)) query.set(n, v);
  const route = routeOf(rawPath, hostName(header(base, 'host')), bases);
  return { ...base, query, queryPairs, ...route };
}

export function setCommonHeaders(r: { res: ServerResponse; requestId: string }): void {
  if (r.res.headersSent) return;
  r.res.setHeader('x-amz-request-id', r.requestId);
  r.res.setHeader('x-amz-id-2', r.requestId);
  r.res.setHeader('Server', 'DDC');
}

export function sendXml(r: S3Request, status: number, body: string, headers: Record<string, string> = {}): void {
  setCommonHeaders(r);
  const bytes = Buffer.from(body, 'utf8');
  r.res.writeHead(status, { ...headers, 'Content-Type': 'application/xml', 'Content-Length': String(bytes.length) });
  r.res.end(r.method === 'HEAD' ? undefined : bytes);
}

export function sendEmpty(r: S3Request, status: number, headers: Record<string, string> = {}): void {
  setCommonHeaders(r);
  r.res.writeHead(status, { ...headers, 'Content-Length': '0' });
  r.res.end();
}

/** Has the request body been read to its end? If not, answering must close the connection. */
function bodyPending(req: IncomingMessage): boolean {
  return !req.complete && req.readable;
}

/** Answers with an S3 error document (or destroys the socket when the answer has begun). */
export function sendError(r: { req: IncomingMessage; res: ServerResponse; requestId: string; method?: string; resource?: string }, err: unknown): void {
  const e = toS3Error(err);
  if (r.res.headersSent) {
    r.res.destroy(e);
    return;
  }
  setCommonHeaders(r);
  const extra: Record<string, string> = { ...e.extra };
  if (r.resource !== undefined && extra.Resource === undefined) extra.Resource = r.resource;
  const body = Buffer.from(errorDocument(e.code, e.message, extra, r.requestId), 'utf8');
  const headers: Record<string, string> = { 'Content-Type': 'application/xml', 'Content-Length': String(body.length) };
  if (bodyPending(r.req)) headers.Connection = 'close';
  if (e.code === 'InvalidRange' && extra.ActualObjectSize !== undefined) headers['Content-Range'] = `bytes */${extra.ActualObjectSize}`;
  r.res.writeHead(e.status, headers);
  r.res.end(r.method === 'HEAD' ? undefined : body);
}

/** The request body as async chunks (Node's IncomingMessage is one). */
export function bodyOf(r: S3Request): AsyncIterable<Uint8Array> {
  return r.req as AsyncIterable<Uint8Array>;
}

export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
