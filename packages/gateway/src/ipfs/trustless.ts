/**
 * IPFS trustless gateway (specs.ipfs.tech/http-gateways/trustless-gateway):
 * `GET|HEAD /ipfs/<cid>[?format=raw|car]` (or Accept application/vnd.ipld.raw / .car).
 * raw: exactly the one block; car: CARv1 of the DAG in DFS order (dag-scope, entity-bytes,
 * dups). Every block is verified against its CID before it is sent, and clients verify it
 * again: nothing here needs to be trusted. 400 for a bad CID or request, 404 when the root
 * block is not in DDC, 406 for a media type this gateway cannot produce.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isDdcError, parseCid, type CID } from '@ddc/core';
import { GatewayHttpError } from '../errors.js';
import type { GatewayContext } from '../context.js';
import { notModified, parseRange, pipeBody, sendError } from '../http/respond.js';
import { CAR_TYPE, RAW_TYPE, negotiate, type Wanted } from './negotiate.js';
import { blockGetter, getBlock, notFound } from './blocks.js';
import { carBlockPrefix, carHeader } from './car.js';
import { carBlocks } from './dag.js';

/** Content-addressed answers never change. */
const IMMUTABLE = 'public, max-age=29030400, immutable';

function parsePath(pathname: string): { cid: CID; cidText: string; rest: string } {
  const parts = pathname.slice('/ipfs/'.length).split('/');
  const cidText = decodeURIComponent(parts[0] ?? '');
  if (!cidText) throw new GatewayHttpError(400, 'DDC_INVALID_CID', 'no CID after /ipfs/. Use /ipfs/<cid>?format=raw or ?format=car');
  let cid: CID;
  try {
    cid = parseCid(cidText);
  } catch (e) {
    if (isDdcError(e, 'DDC_INVALID_CID')) throw new GatewayHttpError(400, 'DDC_INVALID_CID', e.message);
    throw e;
  }
  const rest = parts.slice(1).filter((p) => p !== '').map(decodeURIComponent).join('/');
  return { cid, cidText, rest };
}

function etagOf(cid: CID, w: Wanted): string {
  if (w.format === 'raw') return `"${cid}.raw"`;
  const eb = w.entityBytes ? `.${w.entityBytes.from}:${w.entityBytes.to}` : '';
  return `"${cid}.car.dfs.${w.dups ? 'y' : 'n'}.${w.scope}${eb}"`;
}

export async function handleIpfs(req: IncomingMessage, res: ServerResponse, ctx: GatewayContext): Promise<void> {
  const baseHeaders: Record<string, string> = { 'X-Content-Type-Options': 'nosniff', Vary: 'Accept' };
  try {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      throw new GatewayHttpError(405, 'DDC_METHOD_NOT_ALLOWED', `${req.method} is not allowed on /ipfs/. Use GET or HEAD`);
    }
    const url = new URL(req.url ?? '/', 'http://gateway');
    const { cid, rest } = parsePath(url.pathname);
    const wanted = negotiate(url.searchParams, req.headers.accept);
    if (rest && wanted.format === 'raw') throw new GatewayHttpError(400, 'DDC_INVALID_ARGUMENT', 'a raw block is addressed by its CID alone. Drop the path, or ask for format=car');
    const etag = etagOf(cid, wanted);
    const ipfsPath = `/ipfs/${cid}${rest ? `/${rest}` : ''}`;
    const headers: Record<string, string> = {
      ...baseHeaders,
      ETag: etag,
      'Cache-Control': IMMUTABLE,
      'X-Ipfs-Path': ipfsPath,
      'X-Ipfs-Roots': cid.toString(),
    };
    if (notModified(req, etag)) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const signal = AbortSignal.any([ctx.signal, abortOnClose(res)]);
    const cached = ctx.cache?.has(cid.toString()) ?? false;
    // The root first: a missing root is a 404 before any byte of the answer goes out.
    const rootBytes = await getBlock(ctx, cid, signal);
    headers['X-DDC-Cache'] = cached ? 'hit' : 'miss';
    if (wanted.format === 'raw') {
      headers['Content-Type'] = RAW_TYPE;
      headers['Content-Disposition'] = `attachment; filename="${cid}.bin"`;
      headers['Accept-Ranges'] = 'bytes';
      const range = parseRange(req.headers.range, rootBytes.length);
      if (range === 'unsatisfiable') {
        res.writeHead(416, { ...headers, 'Content-Range': `bytes */${rootBytes.length}` });
        res.end();
        return;
      }
      const body = range ? rootBytes.subarray(range.start, range.end + 1) : rootBytes;
      if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${rootBytes.length}`;
      res.writeHead(range ? 206 : 200, { ...headers, 'Content-Length': String(body.length) });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    // DDC objects are UnixFS files: a file has no named children to walk a path into.
    if (rest) throw notFound(cid, `has no path /${rest} (DDC objects are single files)`);
    headers['Content-Type'] = `${CAR_TYPE}; version=1; order=dfs; dups=${wanted.dups ? 'y' : 'n'}`;
    headers['Content-Disposition'] = `attachment; filename="${cid}.car"`;
    res.writeHead(200, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await pipeBody(res, carStream(cid, rootBytes, wanted, ctx, signal));
  } catch (e) {
    sendError(res, e, baseHeaders);
  }
}

async function* carStream(cid: CID, rootBytes: Uint8Array, wanted: Extract<Wanted, { format: 'car' }>, ctx: GatewayContext, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  yield carHeader([cid]);
  for await (const block of carBlocks(cid, rootBytes, wanted, blockGetter(ctx), signal)) {
    yield carBlockPrefix(block.cid, block.bytes.length);
    yield block.bytes;
  }
}

/** Aborted when the client disconnects before the answer is complete. */
export function abortOnClose(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort(new Error('the client went away'));
  });
  return controller.signal;
}
