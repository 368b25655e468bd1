/**
 * Serving a stored shard (GET/HEAD by id or by piece and index). Small shards go out with
 * one res.end(buffer); files are streamed so a 16 MiB GET never sits in memory.
 *
 * Stored bytes are served as they are, without re-hashing: the client verifies every shard
 * against its id and the piece CID anyway, and scrub finds rot in the background.
 * `?verify=1` makes the node check the shard first (500 DDC_SHARD_CORRUPT if it fails).
 */
import type { ServerResponse } from 'node:http';
import { close, open as openCb, read } from 'node:fs';
import { pipeline } from 'node:stream';
import { verifyShard } from '@ddc/core';
import { shardCorrupt, shardNotFound } from '../errors.js';
import type { ShardMeta } from '../store/meta-codec.js';
import type { NodeContext } from './context.js';
import { sendError } from './respond.js';

const STREAM_CHUNK = 1024 * 1024;
/** File shards up to this size are read whole and sent with one res.end (no stream machinery). */
const WHOLE_READ_MAX = 2 * 1024 * 1024;

function shardHeaders(id: string, meta: ShardMeta): string[] {
  return [
    'content-type', 'application/octet-stream',
    'content-length', String(meta.length),
    'x-ddc-shard-id', id,
    'x-ddc-piece-cid', meta.pieceCid,
    'x-ddc-shard-index', String(meta.index),
  ];
}

/** TEST-ONLY (faults.corruptReads): a copy of the shard with one payload byte flipped. */
export function corruptCopy(bytes: Uint8Array, headerLength: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  const payload = out.length - headerLength;
  const at = payload > 0 ? headerLength + Math.floor(payload / 2) : out.length - 1;
  if (at >= 0) out[at]! ^= 0xff;
  return out;
}

export async function serveShard(ctx: NodeContext, res: ServerResponse, id: string, meta: ShardMeta, head: boolean, verify: boolean): Promise<void> {
  if (head) {
    res.writeHead(200, shardHeaders(id, meta));
    res.end();
    return;
  }
  if (verify || ctx.config.faults?.corruptReads) {
    let bytes = await ctx.store.readShard(id, meta);
    if (verify) {
      try {
        verifyShard(bytes, id);
      } catch (cause) {
        throw shardCorrupt(id, cause);
      }
    }
    if (ctx.config.faults?.corruptReads) bytes = corruptCopy(bytes, meta.headerLength);
    res.writeHead(200, shardHeaders(id, meta));
    res.end(bytes);
    return;
  }
  if (meta.location === 'inline') {
    const bytes = ctx.store.inlineBytes(id);
    if (!bytes) throw shardNotFound(id); // deleted since the lookup
    res.writeHead(200, shardHeaders(id, meta));
    // As with a whole file (below): the pooled copy is free once the socket has sent it.
    res.end(bytes, () => ctx.store.releaseBytes(bytes));
    return;
  }
  if (meta.length <= WHOLE_READ_MAX) return sendWholeFile(ctx, res, id, meta);
  await streamFile(ctx, res, id, meta);
}

/** Reads exactly meta.length bytes from offset 0 into `buf`: open, read (once, for a whole file), close. */
function readWhole(path: string, buf: Uint8Array, done: (e: NodeJS.ErrnoException | null, got?: number) => void): void {
  const length = buf.length;
  openCb(path, 'r', (e, fd) => {
    if (e) return done(e);
    let off = 0;
    const finish = (err: NodeJS.ErrnoException | null) => close(fd, () => done(err, off));
    const step = () => {
      if (off >= length) return finish(null);
      read(fd, buf, off, length - off, off, (re, n) => {
        if (re) return finish(re);
        if (n === 0) return finish(null); // the file is shorter than indexed
        off += n;
        step();
      });
    };
    step();
  });
}

function sendWholeFile(ctx: NodeContext, res: ServerResponse, id: string, meta: ShardMeta): Promise<void> {
  return new Promise((resolve, reject) => {
    const buf = ctx.store.takeReadBuffer(meta.length);
    readWhole(ctx.store.filePath(id), buf, (e, got) => {
      if (e || got! < meta.length || res.destroyed) {
        ctx.store.releaseBytes(buf); // nothing was sent from it
        if (e) return reject(e.code === 'ENOENT' ? shardNotFound(id) : e);
        // Content-Length is promised up front, so a file cut short on disk cannot be served.
        if (got! < meta.length) return reject(shardCorrupt(id, new Error(`the file holds ${got} of ${meta.length} bytes`)));
        return resolve();
      }
      res.writeHead(200, shardHeaders(id, meta));
      // The socket holds the buffer until the last write completes ('finish'); only then is it
      // free for the next read. A response destroyed before that leaves it to the GC.
      res.end(buf, () => ctx.store.releaseBytes(buf));
      resolve();
    });
  });
}

async function streamFile(ctx: NodeContext, res: ServerResponse, id: string, meta: ShardMeta): Promise<void> {
  const fh = await ctx.store.openFile(id);
  try {
    const { size } = await fh.stat();
    // Content-Length is promised up front, so a file cut short on disk cannot be streamed.
    if (size < meta.length) throw shardCorrupt(id, new Error(`the file holds ${size} of ${meta.length} bytes`));
  } catch (e) {
    await fh.close();
    throw e;
  }
  res.writeHead(200, shardHeaders(id, meta));
  const stream = fh.createReadStream({ start: 0, end: meta.length - 1, highWaterMark: STREAM_CHUNK });
  pipeline(stream, res, (err) => {
    if (err && (err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') sendError(res, err, ctx.log);
  });
}
