/**
 * The gateway's one HTTP server. Dispatch by path: `/ipfs/…` the IPFS trustless gateway,
 * `/ddc/…` plain HTTP reads, `/v1/gateway/…` the gateway's own status and identity, and
 * everything else S3. A virtual-host-style S3 request (Host `<bucket>.<base>`) is always
 * S3, whatever its path: `/ipfs/x` there is the key `ipfs/x` of that bucket.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { encodePublicIdentity, publicIdentityOf, toHex } from '@ddc/core';
import type { GatewayContext, Handler } from './context.js';
import { handleIpfs } from './ipfs/trustless.js';
import { handlePlain } from './http/plain.js';
import { sendError } from './http/respond.js';
import { GatewayHttpError } from './errors.js';

export interface RequestCounts {
  s3: number;
  ddc: number;
  ipfs: number;
  status: number;
}

export interface GatewayServerOptions {
  /** The S3 API (src/s3). Without it, S3 paths answer 501. */
  s3?: Handler;
  /** True for a virtual-host-style S3 request (its Host names a bucket). */
  isVirtualHost?: (req: IncomingMessage) => boolean;
}

export interface GatewayServer {
  server: Server;
  counts: RequestCounts;
}

function statusBody(ctx: GatewayContext, counts: RequestCounts, started: number): unknown {
  return {
    gateway: { uptimeSeconds: Math.round((Date.now() - started) / 1000), requests: counts },
    identity: identityBody(ctx),
    cache: ctx.cache ? ctx.cache.stats() : null,
  };
}

function identityBody(ctx: GatewayContext) {
  return {
    publicIdentity: encodePublicIdentity(publicIdentityOf(ctx.keys)),
    ed25519: toHex(ctx.keys.signing.publicKey),
    x25519: toHex(ctx.keys.encryption.publicKey),
    address: ctx.keys.evm.address,
  };
}

function sendJson(res: ServerResponse, body: unknown): void {
  const text = `${JSON.stringify(body, null, 2)}\n`;
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(res.req?.method === 'HEAD' ? undefined : text);
}

async function handleOwn(req: IncomingMessage, res: ServerResponse, ctx: GatewayContext, counts: RequestCounts, started: number): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://gateway').pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return sendError(res, new GatewayHttpError(405, 'DDC_METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${path}. Use GET`));
  }
  if (path === '/v1/gateway/status') return sendJson(res, statusBody(ctx, counts, started));
  if (path === '/v1/gateway/identity') return sendJson(res, identityBody(ctx));
  sendError(res, new GatewayHttpError(404, 'DDC_NOT_FOUND', `no gateway endpoint ${path}. Use /v1/gateway/status or /v1/gateway/identity`));
}

const noS3: Handler = async (_req, res) => {
  sendError(res, new GatewayHttpError(501, 'DDC_NOT_IMPLEMENTED', 'this gateway serves no S3 API. Use /ipfs/<cid> or /ddc/<bucket>/<key>'));
};

export function createGatewayServer(ctx: GatewayContext, options: GatewayServerOptions = {}): GatewayServer {
  const counts: RequestCounts = { s3: 0, ddc: 0, ipfs: 0, status: 0 };
  const started = Date.now();
  const s3 = options.s3 ?? noS3;
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    let run: Promise<void>;
    if (options.isVirtualHost?.(req)) {
      counts.s3++;
      run = s3(req, res, ctx);
    } else if (url.startsWith('/ipfs/')) {
      counts.ipfs++;
      run = handleIpfs(req, res, ctx);
    } else if (url.startsWith('/ddc/')) {
      counts.ddc++;
      run = handlePlain(req, res, ctx);
    } else if (url.startsWith('/v1/gateway/')) {
      counts.status++;
      run = handleOwn(req, res, ctx, counts, started);
    } else {
      counts.s3++;
      run = s3(req, res, ctx);
    }
    // Handlers answer their own errors; this is the last line of defence.
    run.catch((e: unknown) => sendError(res, e));
  });
  return { server, counts };
}
