/**
 * The node's HTTP server on plain node:http: parse the route, dispatch, map every error
 * through one helper. Timeouts guard against slow clients; keep-alive outlasts the
 * clients' own idle timeout so a reused socket is never closed under a request.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { pieceShardNotFound, shardNotFound, shuttingDown, tooLarge } from '../errors.js';
import { NODE_VERSION } from '../version.js';
import { answerChallenge } from './challenge.js';
import { serveHeader } from './header.js';
import { publicKeyOf } from './identity.js';
import { answerOptions, applyCors } from './cors.js';
import type { NodeContext } from './context.js';
import { declaredLength, refuseBody } from './body.js';
import { sendError, sendJson } from './respond.js';
import { MAX_URL_BYTES, parseRoute, type Route } from './router.js';
import { handlePut } from './shard-put.js';
import { handlePutBatch } from './shard-put-batch.js';
import { handleMaintenance, isMaintenanceRoute } from './maintenance.js';
import { serveShard } from './shard-read.js';
import { serveShardBatch } from './shard-batch.js';
import { handleRecords, isRecordRoute } from './records.js';
import { deleteShardAuthorized } from '../auth/shard-access.js';
import { unauthenticated } from '../auth/authenticate.js';
import { REQUEST_HEADERS } from '@ddc/core';

/** Longer than undici's (and most clients') idle timeout: the client closes first. */
const KEEP_ALIVE_MS = 65_000;
const HEADERS_TIMEOUT_MS = 30_000;
/** An 8 KiB URL (a 1024-byte key percent-encoded) plus an 8 KiB token (about 11 KB as text) and the rest. */
const MAX_HEADER_BYTES = 32 * 1024;

const HEALTH_OK = '{"status":"ok"}';
const HEALTH_DRAINING = '{"status":"shutting-down"}';

export function createNodeServer(ctx: NodeContext): Server {
  const { requestTimeoutMs } = ctx.config;
  const server = createServer(
    {
      requestTimeout: requestTimeoutMs,
      headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeoutMs),
      keepAliveTimeout: KEEP_ALIVE_MS,
      maxHeaderSize: MAX_HEADER_BYTES,
      // How often node:http enforces the timeouts above (default 30 s is too coarse).
      connectionsCheckingInterval: Math.min(1000, requestTimeoutMs),
      noDelay: true,
      keepAlive: true,
    },
    (req, res) => handle(ctx, req, res),
  );
  // Expect: 100-continue lets a client learn of a refusal before it sends the body.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    applyCors(req, res);
    const declared = declaredLength(req);
    if (req.method === 'PUT' && declared !== undefined && declared > ctx.config.maxShardBytes) {
      sendError(res, tooLarge(ctx.config.maxShardBytes, declared), ctx.log, true);
      return;
    }
    if (req.method === 'PUT' && ctx.draining) {
      sendError(res, shuttingDown(), ctx.log, true);
      return;
    }
    // Before the client sends the body: an unsigned write is refused (the signature itself is checked in the handler).
    if (req.method === 'PUT' && req.headers[REQUEST_HEADERS.signature] === undefined && !ctx.auth.config.anonymousWrites) {
      sendError(res, unauthenticated(`PUT ${(req.url ?? '/').split('?')[0]}`), ctx.log, true);
      return;
    }
    res.writeContinue();
    handle(ctx, req, res);
  });
  return server;
}

function handle(ctx: NodeContext, req: IncomingMessage, res: ServerResponse): void {
  // While draining, every answer tells the client to move on to another connection.
  if (ctx.draining) res.shouldKeepAlive = false;
  applyCors(req, res);
  if (req.method === 'OPTIONS') return answerOptions(req, res);
  let route: Route;
  try {
    route = parseRoute(req.method ?? 'GET', req.url ?? '/');
  } catch (e) {
    return refuseBody(ctx, req, res, e);
  }
  if (route.kind === 'shard' && route.method === 'PUT') return handlePut(ctx, req, res, route.id);
  if (route.kind === 'shardPutBatch') return handlePutBatch(ctx, req, res);
  // A handler can fail before it has read the whole body (one too large): refuseBody drops the
  // rest, up to a cap, so the answer still reaches the client; after the headers, sendError cuts.
  dispatch(ctx, req, res, route).catch((e: unknown) => (res.headersSent ? sendError(res, e, ctx.log) : refuseBody(ctx, req, res, e)));
}

async function dispatch(ctx: NodeContext, req: IncomingMessage, res: ServerResponse, route: Route): Promise<void> {
  if (isMaintenanceRoute(route)) return handleMaintenance(ctx, req, res, route);
  if (isRecordRoute(route)) return handleRecords(ctx, req, res, route);
  const delay = ctx.config.faults?.delayMs;
  switch (route.kind) {
    case 'shard': {
      if (delay) await sleep(delay);
      if (route.method === 'DELETE') return deleteShard(ctx, req, res, route.id);
      const meta = ctx.store.meta(route.id);
      if (!meta) throw shardNotFound(route.id);
      return serveShard(ctx, res, route.id, meta, route.method === 'HEAD', route.verify);
    }
    case 'pieceShard': {
      if (delay) await sleep(delay);
      const shard = ctx.store.pieceShard(route.cid, route.index);
      if (!shard) throw pieceShardNotFound(route.cid, route.index);
      return serveShard(ctx, res, shard.id, shard, route.method === 'HEAD', route.verify);
    }
    case 'pieceBatch':
      return serveShardBatch(ctx, req, res);
    case 'piece': {
      if (delay) await sleep(delay);
      const shards = ctx.store.pieceShards(route.cid).map((s) => ({ id: s.id, index: s.index, k: s.k, m: s.m, length: s.length }));
      return sendJson(res, 200, { shards });
    }
    case 'challenge': {
      if (delay) await sleep(delay);
      return sendJson(res, 200, await answerChallenge(ctx, route.id, route.leaf, route.nonce));
    }
    case 'header':
      return serveHeader(ctx, res, route.id, route.method === 'HEAD');
    case 'list':
      return sendJson(res, 200, ctx.store.list(route.after, route.limit));
    case 'health':
      return sendJson(res, ctx.draining ? 503 : 200, ctx.draining ? HEALTH_DRAINING : HEALTH_OK);
    case 'info':
      return sendJson(res, 200, info(ctx));
  }
}

async function deleteShard(ctx: NodeContext, req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
  if (ctx.draining) return refuseBody(ctx, req, res, shuttingDown());
  // 204 also when only the signer's bucket reference went and other references keep the shard.
  await deleteShardAuthorized(ctx, req, id);
  res.writeHead(204);
  res.end();
}

function info(ctx: NodeContext): Record<string, unknown> {
  const { config, store } = ctx;
  const { shards, bytes } = store.stats();
  return {
    nodeId: config.id,
    zone: config.zone,
    publicKey: publicKeyOf(ctx),
    version: NODE_VERSION,
    storeFormat: store.format,
    shards,
    bytes,
    startedAt: ctx.startedAt,
    limits: {
      maxShardBytes: config.maxShardBytes,
      inlineThreshold: config.inlineThreshold,
      maxConcurrentWrites: config.maxConcurrentWrites,
      maxQueuedWrites: config.maxQueuedWrites,
      maxUrlBytes: MAX_URL_BYTES,
      requestTimeoutMs: config.requestTimeoutMs,
    },
    writes: { running: ctx.gate.running, queued: ctx.gate.queued },
  };
}
