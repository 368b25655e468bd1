/**
 * Plain HTTP reads of bucket objects: `GET|HEAD /ddc/<bucket>/<key>[?version=V]`, for
 * browsers, curl and CDNs. `<bucket>` is the bucket's number or an S3 bucket name.
 *
 * Public buckets are open. A private bucket needs a capability token whose audience is the
 * gateway's own key (`?token=ddct1…` or `Authorization: Bearer ddct1…`): the owner (or
 * anyone holding a token that may delegate) delegates `get` on a prefix to the gateway's
 * key (GET /v1/gateway/identity tells it), and whoever holds that token can read through
 * the gateway. The gateway checks the chain before reading, and signs its record reads
 * with that token, so the nodes check it again. Encrypted objects are readable only when
 * they were shared with the gateway's identity (its X25519 key holds an EDEK).
 *
 * Answers carry Content-Type from the record, ETag "<cid>" (the version's content),
 * Last-Modified (the version's time), a short max-age (a key can get a new version) and
 * honour If-None-Match / If-Modified-Since (304) and single byte ranges (206, 416).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DdcError, findEdekFor, isDdcError, toHex, tokenFromText, verifyTokenChain, type CapabilityToken, type ObjectRecord } from '@ddc/core';
import type { BucketHandle } from '@ddc/client';
import { GatewayHttpError } from '../errors.js';
import type { GatewayContext } from '../context.js';
import { fromWebStream, notModified, parseRange, pipeBody, sendError } from './respond.js';
import { bucketInfo, resolveBucketId, tokenLedgerView } from './buckets.js';
import { abortOnClose } from '../ipfs/trustless.js';

interface Target {
  bucket: string;
  key: string;
}

function parseTarget(pathname: string): Target {
  const rest = pathname.slice('/ddc/'.length);
  const slash = rest.indexOf('/');
  if (slash <= 0 || slash === rest.length - 1) {
    throw new GatewayHttpError(400, 'DDC_INVALID_ARGUMENT', 'the path must be /ddc/<bucket>/<key>. Name the bucket (its number or S3 name) and the object key');
  }
  try {
    return { bucket: decodeURIComponent(rest.slice(0, slash)), key: decodeURIComponent(rest.slice(slash + 1)) };
  } catch {
    throw new GatewayHttpError(400, 'DDC_INVALID_ARGUMENT', 'the path is not valid percent-encoding. Encode the key with encodeURIComponent per segment');
  }
}

/** The token text from ?token= or an Authorization: Bearer header. */
function tokenText(req: IncomingMessage, query: URLSearchParams): string | undefined {
  const q = query.get('token');
  if (q) return q.trim();
  const auth = req.headers.authorization;
  const m = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
  return m?.[1];
}

async function authorize(ctx: GatewayContext, req: IncomingMessage, query: URLSearchParams, bucket: number, key: string): Promise<CapabilityToken> {
  const text = tokenText(req, query);
  if (!text) {
    throw new GatewayHttpError(401, 'DDC_TOKEN_REQUIRED', `bucket ${bucket} is private: this read needs a capability token for the gateway's key ${toHex(ctx.keys.signing.publicKey)}. Pass ?token=ddct1… or Authorization: Bearer ddct1… (delegate one with \`ddc token delegate --to <gateway identity>\`; GET /v1/gateway/identity shows it)`);
  }
  let token: CapabilityToken;
  try {
    token = tokenFromText(text);
  } catch (e) {
    if (isDdcError(e)) throw new GatewayHttpError(401, 'DDC_TOKEN_INVALID', `the token does not parse: ${e.message}`);
    throw e;
  }
  await verifyTokenChain(token, { bucket, op: 'get', key, requester: ctx.keys.signing.publicKey }, tokenLedgerView(ctx));
  return token;
}

function headersOf(record: ObjectRecord, cacheControl: string): Record<string, string> {
  const h: Record<string, string> = {
    'Content-Type': record.contentType || 'application/octet-stream',
    ETag: `"${record.cid}"`,
    'Last-Modified': new Date(record.time).toUTCString(),
    'Cache-Control': cacheControl,
    'Accept-Ranges': 'bytes',
    'X-Content-Type-Options': 'nosniff',
    'X-DDC-Version': record.version,
    'X-DDC-CID': String(record.cid),
  };
  for (const [k, v] of Object.entries(record.metadata ?? {})) {
    // Only header-safe names and values; others stay readable through S3 HEAD.
    if (/^[A-Za-z0-9-]{1,64}$/.test(k) && /^[\x20-\x7e]*$/.test(v)) h[`X-DDC-Meta-${k}`] = v;
  }
  return h;
}

export async function handlePlain(req: IncomingMessage, res: ServerResponse, ctx: GatewayContext): Promise<void> {
  try {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      throw new GatewayHttpError(405, 'DDC_METHOD_NOT_ALLOWED', `${req.method} is not allowed on /ddc/. Read with GET or HEAD; write through S3`);
    }
    const url = new URL(req.url ?? '/', 'http://gateway');
    const target = parseTarget(url.pathname);
    const id = await resolveBucketId(ctx, target.bucket);
    const info = await bucketInfo(ctx, id);
    const version = url.searchParams.get('version') ?? undefined;
    let handle: BucketHandle;
    if (info.isPublic === false) {
      const token = await authorize(ctx, req, url.searchParams, id, target.key);
      handle = ctx.client.bucket(id, { keys: ctx.keys, token, ...(ctx.ledger ? { ledger: ctx.ledger } : {}), isPublic: false });
    } else {
      handle = ctx.client.bucket(id, { isPublic: true });
    }
    // A named version never changes; the current one may, so it is revalidated by ETag soon.
    const scope = info.isPublic === false ? 'private' : 'public';
    const cacheControl = version ? `${scope}, max-age=31536000, immutable` : `${scope}, max-age=${ctx.config.ddcMaxAgeSeconds}`;
    const signal = AbortSignal.any([ctx.signal, abortOnClose(res)]);
    const record = await handle.head(target.key, { ...(version ? { version } : {}), signal });
    // HEAD and 304 must not promise what GET cannot give: an object the gateway cannot decrypt is 403 for all three.
    const enc = record.encryption;
    if (enc && (info.isPublic !== false || !findEdekFor(enc.edeks, ctx.keys.encryption.publicKey))) {
      throw new DdcError('DDC_NOT_A_READER', `${JSON.stringify(target.key)} is encrypted and not shared with this gateway`, {
        hint: `Share it with the gateway's identity (GET /v1/gateway/identity) to read it here, or read it with your own keys through the SDK`,
      });
    }
    const headers = headersOf(record, cacheControl);
    if (notModified(req, headers.ETag!, new Date(record.time))) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const range = parseRange(req.headers.range, record.size);
    if (range === 'unsatisfiable') {
      sendError(res, new GatewayHttpError(416, 'DDC_INVALID_RANGE', `the range ${req.headers.range} is outside the object's ${record.size} bytes. Ask for bytes=0-${Math.max(0, record.size - 1)} or less`), { 'Content-Range': `bytes */${record.size}` });
      return;
    }
    const length = range ? range.end - range.start + 1 : record.size;
    if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${record.size}`;
    headers['Content-Length'] = String(length);
    if (req.method === 'HEAD') {
      res.writeHead(range ? 206 : 200, headers);
      res.end();
      return;
    }
    // Open the body before the status goes out: a key we may not decrypt is a clean 403.
    const { body, recycle } = await handle.get(target.key, { version: record.version, signal, ...(range ? { range: { offset: range.start, length } } : {}) });
    res.writeHead(range ? 206 : 200, headers);
    await pipeBody(res, fromWebStream(body), recycle);
  } catch (e) {
    const extra: Record<string, string> = {};
    if ((e instanceof GatewayHttpError && e.status === 401) || (e instanceof DdcError && e.status === 401)) extra['WWW-Authenticate'] = 'Bearer realm="ddc"';
    sendError(res, e, extra);
  }
}
