/**
 * Object record endpoints (docs/PROTOCOL.md "Records"):
 *
 *   POST /v1/buckets/{bucket}/records              store a record (signed request; the record's own token chain decides)
 *   GET  /v1/buckets/{bucket}/records/{key}        the newest record (?version=V one version, ?versions=1 all)
 *   GET  /v1/buckets/{bucket}/records?prefix=...   a listing page, newest record per key
 *   GET  /v1/buckets/{bucket}/digest?after=&limit= (key, version) pairs for sync
 *   GET  /v1/buckets                               ids of the buckets this node holds records of (open: ids are public)
 *
 * Reads and lists go through authorizeBucketOp (public buckets open, peers may read,
 * otherwise a token with get or list).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DdcError, MAX_RECORD_BYTES, decodeRecord, sha256, toHex, type ObjectRecord } from '@ddc/core';
import { authenticateRequest, authorizeBucketOp } from '../auth/authenticate.js';
import { EMPTY_SHA256, requireSignedWrite } from '../auth/shard-access.js';
import { invalidArgument, shuttingDown, tooLarge } from '../errors.js';
import { checkRecordRights, RECORD_CLOCK_WINDOW_MS } from '../records/accept.js';
import { recordsOf } from '../records/context.js';
import type { NodeContext } from './context.js';
import { sendJson } from './respond.js';
import type { RecordRoute, Route } from './router.js';

export const RECORD_CONTENT_TYPE = 'application/vnd.ddc.record';

export function isRecordRoute(route: Route): route is RecordRoute {
  return route.kind === 'recordBuckets' || route.kind === 'recordPut' || route.kind === 'recordGet' || route.kind === 'recordList' || route.kind === 'recordDigest';
}

async function readRecordBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_RECORD_BYTES) throw tooLarge(MAX_RECORD_BYTES, declared);
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_RECORD_BYTES) throw tooLarge(MAX_RECORD_BYTES);
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts, size);
}

function noSuchKey(bucket: number, key: string, version?: string): DdcError {
  return new DdcError('DDC_NO_SUCH_KEY', version === undefined ? `this node holds no record of ${JSON.stringify(key)} in bucket ${bucket}` : `this node holds no version ${version} of ${JSON.stringify(key)} in bucket ${bucket}`, {
    hint: 'Ask the bucket\'s other replicas (the SDK reads a quorum)',
    details: { bucket, key, ...(version === undefined ? {} : { version }) },
  });
}

const b64 = (r: ObjectRecord) => Buffer.from(r.bytes.buffer, r.bytes.byteOffset, r.bytes.byteLength).toString('base64');

export async function handleRecords(ctx: NodeContext, req: IncomingMessage, res: ServerResponse, route: RecordRoute): Promise<void> {
  const { store } = recordsOf(ctx);
  const url = req.url ?? '/';
  switch (route.kind) {
    case 'recordBuckets':
      // Bucket ids are public on the ledger; peers use this to learn buckets they should replicate.
      return sendJson(res, 200, { buckets: store.buckets() });
    case 'recordPut': {
      if (ctx.draining) throw shuttingDown();
      const body = await readRecordBody(req);
      const auth = await requireSignedWrite(ctx, req, toHex(sha256(body)));
      const record = decodeRecord(body);
      if (record.bucket !== route.bucket) throw invalidArgument(`the record is for bucket ${record.bucket}, not ${route.bucket}`, `POST it to /v1/buckets/${record.bucket}/records`);
      // An old record is checked without revocations (so replicas can copy it); only peers may
      // bring one, or a revoked writer could backdate a record into its token's lifetime.
      if (Date.now() - record.time > RECORD_CLOCK_WINDOW_MS && !auth?.isPeer && !store.knows(record.bucket, record.key, record.version)) {
        throw new DdcError('DDC_RECORD_INVALID', `the record is dated ${new Date(record.time).toISOString()}, more than ${RECORD_CLOCK_WINDOW_MS / 1000} s ago`, {
          hint: 'Write a new record; older ones reach other replicas through their background sync',
        });
      }
      await checkRecordRights(ctx, record);
      const outcome = await store.put(record);
      return sendJson(res, outcome === 'created' ? 201 : 200, { bucket: record.bucket, key: record.key, version: record.version, created: outcome === 'created', purged: outcome === 'purged' });
    }
    case 'recordGet': {
      const auth = await authenticateRequest(ctx, req, url, EMPTY_SHA256);
      await authorizeBucketOp(ctx, auth, { bucket: route.bucket, op: 'get', key: route.key });
      if (route.versions) {
        const all = store.versions(route.bucket, route.key);
        if (all.length === 0) throw noSuchKey(route.bucket, route.key);
        return sendJson(res, 200, { records: all.map(b64) });
      }
      const record = store.get(route.bucket, route.key, route.version);
      if (!record) throw noSuchKey(route.bucket, route.key, route.version);
      res.writeHead(200, ['content-type', RECORD_CONTENT_TYPE, 'content-length', String(record.bytes.length), 'cache-control', 'no-store', 'x-ddc-version', record.version]);
      res.end(record.bytes);
      return;
    }
    case 'recordList': {
      const auth = await authenticateRequest(ctx, req, url, EMPTY_SHA256);
      await authorizeBucketOp(ctx, auth, { bucket: route.bucket, op: 'list', key: route.prefix });
      const page = store.list(route.bucket, { prefix: route.prefix, delimiter: route.delimiter, after: route.after, limit: route.limit });
      return sendJson(res, 200, { records: page.entries.map(b64), commonPrefixes: page.commonPrefixes, next: page.nextToken });
    }
    case 'recordDigest': {
      const auth = await authenticateRequest(ctx, req, url, EMPTY_SHA256);
      await authorizeBucketOp(ctx, auth, { bucket: route.bucket, op: 'list', key: '' });
      return sendJson(res, 200, store.digest(route.bucket, route.after, route.limit));
    }
  }
}
