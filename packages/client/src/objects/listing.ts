/**
 * S3-like listing over the replicas' merged record pages: current objects only (delete
 * markers are fetched, so that a newer marker on one replica hides an older live record
 * on another, then dropped), common prefixes for a delimiter, and a continuation token
 * (the last key or prefix returned) that resumes exactly after it.
 */
import { DEFAULT_MAX_KEYS, DdcError } from '@ddc/core';
import type { RecordReplicas } from './record-replicas.js';
import type { ListObjectsOptions, ListObjectsResult, ObjectSummary } from './types.js';

/** Pages asked per listing call at most (many delete markers in a row cost more pages). */
const MAX_ROUNDS = 100;

export async function listObjects(records: RecordReplicas, o: ListObjectsOptions): Promise<ListObjectsResult> {
  const maxKeys = o.maxKeys ?? DEFAULT_MAX_KEYS;
  if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) throw new DdcError('DDC_INVALID_ARGUMENT', `maxKeys ${maxKeys} must be a whole number of at least 1`, { hint: 'Leave it out to list up to 1000 keys a page' });
  const prefix = o.prefix ?? '';
  const delimiter = o.delimiter ?? '';
  let after = o.continuationToken ?? null;
  const objects: ObjectSummary[] = [];
  const commonPrefixes: string[] = [];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const want = maxKeys - objects.length - commonPrefixes.length;
    const page = await records.list({ prefix, delimiter, after, limit: want, ...(o.signal ? { signal: o.signal } : {}) });
    for (const r of page.entries) {
      if (r.cid === null) continue;
      objects.push({ key: r.key, size: r.size, version: r.version, cid: r.cid, time: r.time, contentType: r.contentType, metadata: r.metadata });
    }
    commonPrefixes.push(...page.commonPrefixes);
    if (!page.truncated || page.nextToken === null) return { objects, commonPrefixes, nextContinuationToken: null, isTruncated: false };
    after = page.nextToken;
    if (objects.length + commonPrefixes.length >= maxKeys) break;
  }
  return { objects, commonPrefixes, nextContinuationToken: after, isTruncated: true };
}
