/**
 * Maintenance endpoints (docs/PROTOCOL.md): POST /v1/pieces/has (which shards of many pieces
 * this node holds, for the repair workers of other nodes; a read, so unsigned), GET
 * /v1/status (membership, store, repair and scrub progress), POST /v1/repair/run and POST
 * /v1/scrub/run (signed: run a pass now and answer with its summary when it ends).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DdcError, sha256, toHex } from '@ddc/core';
import { requireSignedWrite } from '../auth/shard-access.js';
import { invalidArgument, tooLarge } from '../errors.js';
import { NODE_VERSION } from '../version.js';
import { recordsStatus } from '../records/context.js';
import type { NodeContext } from './context.js';
import { sendJson } from './respond.js';
import { canonicalCid, MAX_LIST_LIMIT, type Route } from './router.js';

/** Largest JSON body taken: 10000 CIDs of about 60 characters fit. */
export const MAX_JSON_BODY = 1024 * 1024;
/** Pieces per has request (and per targeted repair run). */
export const MAX_HAS_PIECES = MAX_LIST_LIMIT;

export type MaintenanceRoute = Extract<Route, { kind: 'has' | 'status' | 'repairRun' | 'scrubRun' }>;

export function isMaintenanceRoute(route: Route): route is MaintenanceRoute {
  return route.kind === 'has' || route.kind === 'status' || route.kind === 'repairRun' || route.kind === 'scrubRun';
}

/** The request body's bytes, refused past `max`. */
export function readBody(req: IncomingMessage, max = MAX_JSON_BODY): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > max) return Promise.reject(tooLarge(max, declared));
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  // Events, not `for await`: an async iterator costs several objects per request, and small
  // batched reads arrive by the thousand a second.
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    const done = (e?: unknown) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', done);
      req.off('close', onClose);
      if (e) reject(e);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) return done(tooLarge(max));
      parts.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(parts.length === 1 ? parts[0]! : Buffer.concat(parts, size));
    };
    const onClose = () => done(new DdcError('DDC_ABORTED', 'the client closed the connection before sending the whole body'));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', done);
    req.once('close', onClose);
  });
}

/** Body bytes as JSON ({} when empty). */
export function parseJsonBody(bytes: Uint8Array): unknown {
  if (bytes.length === 0) return {};
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'));
  } catch (cause) {
    throw new DdcError('DDC_INVALID_ARGUMENT', 'the body is not valid JSON', { cause, hint: 'Send a JSON object' });
  }
}

/** The request body as JSON ({} when empty), refused past MAX_JSON_BODY. */
export async function readJsonBody(req: IncomingMessage, max = MAX_JSON_BODY): Promise<unknown> {
  return parseJsonBody(await readBody(req, max));
}

/** A signed POST's body as JSON: the signature covers the body's SHA-256. */
async function readSignedJsonBody(ctx: NodeContext, req: IncomingMessage): Promise<unknown> {
  const bytes = await readBody(req);
  await requireSignedWrite(ctx, req, toHex(sha256(bytes)));
  return parseJsonBody(bytes);
}

function pieceList(body: unknown, required: boolean): string[] | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalidArgument('the body must be a JSON object', 'Send {"pieces":["bafk..."]}');
  const o = body as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (key !== 'pieces' && key !== 'force') throw invalidArgument(`unknown key ${JSON.stringify(key)} in the body`, 'Allowed keys are pieces and force');
  }
  if (o.pieces === undefined) {
    if (required) throw invalidArgument('"pieces" is missing', 'Send {"pieces":["bafk..."]}');
    return undefined;
  }
  if (!Array.isArray(o.pieces) || o.pieces.some((c) => typeof c !== 'string')) throw invalidArgument('"pieces" must be an array of CID strings');
  if (o.pieces.length > MAX_HAS_PIECES) throw invalidArgument(`at most ${MAX_HAS_PIECES} pieces per request, got ${o.pieces.length}`, 'Split the list');
  return o.pieces as string[];
}

function noWorkers(what: string): DdcError {
  return new DdcError('DDC_INVALID_CONFIG', `this node runs no ${what} worker: it was started without a cluster descriptor`, {
    hint: 'Set "cluster" in the node config to the cluster descriptor file',
  });
}

export async function handleMaintenance(ctx: NodeContext, req: IncomingMessage, res: ServerResponse, route: MaintenanceRoute): Promise<void> {
  switch (route.kind) {
    case 'has': {
      const pieces = pieceList(await readJsonBody(req), true)!;
      const held: Record<string, number[]> = {};
      for (const cid of pieces) held[cid] = ctx.store.pieceShards(canonicalCid(cid)).map((s) => s.index);
      return sendJson(res, 200, { held });
    }
    case 'status':
      return sendJson(res, 200, await nodeStatus(ctx));
    case 'repairRun': {
      const body = await readSignedJsonBody(ctx, req);
      const pieces = pieceList(body, false);
      const force = (body as { force?: unknown }).force;
      if (force !== undefined && typeof force !== 'boolean') throw invalidArgument('"force" must be true or false');
      if (!ctx.workers) throw noWorkers('repair');
      const summary = await ctx.workers.repair.run({ ...(pieces ? { pieces: pieces.map(canonicalCid) } : {}), ...(force ? { force } : {}) });
      return sendJson(res, 200, summary);
    }
    case 'scrubRun': {
      const body = await readSignedJsonBody(ctx, req);
      if (!body || typeof body !== 'object' || Object.keys(body).length > 0) throw invalidArgument('POST /v1/scrub/run takes no parameters', 'Send no body or {}');
      if (!ctx.workers) throw noWorkers('scrub');
      return sendJson(res, 200, await ctx.workers.scrub.run());
    }
  }
}

/** GET /v1/status: stable JSON, documented in docs/PROTOCOL.md. */
export async function nodeStatus(ctx: NodeContext): Promise<Record<string, unknown>> {
  const { shards, bytes } = ctx.store.stats();
  const w = ctx.workers ? await ctx.workers.status() : undefined;
  return {
    nodeId: ctx.config.id,
    zone: ctx.config.zone,
    version: NODE_VERSION,
    startedAt: ctx.startedAt,
    draining: ctx.draining,
    membership: w?.membership ?? null,
    store: { shards, bytes },
    repair: w?.repair ?? null,
    scrub: w?.scrub ?? null,
    records: recordsStatus(ctx),
  };
}
