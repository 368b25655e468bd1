/**
 * `ddc ls ddc://BUCKET[/PREFIX]`: S3-like listing. Lines are `PRE prefix/` for common
 * prefixes (with --delimiter) and `time size key` for objects, in key order. One page of
 * --max-keys (default 1000) unless --all; a truncated page says how to continue.
 * --versions lists every version of each listed key, delete markers included (and of the
 * key the URL names exactly, even when its current version is a delete marker).
 */
import { parseArgs } from 'node:util';
import type { ObjectRecord } from '@ddc/core';
import type { BucketHandle, ListObjectsResult } from '@ddc/client';
import { printJson } from '../output.js';
import { usage } from '../errors.js';
import { intFlag } from '../ledger/context.js';
import { BUCKET_FLAGS } from '../objects/context.js';
import { openBucket } from '../objects/open.js';
import { isDdcUrl, parseDdcUrl } from '../objects/url.js';
import { lsHelp } from '../objects/help.js';

function when(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

interface VersionLine {
  key: string;
  version: string;
  size: number;
  cid: string | null;
  time: number;
  deleteMarker: boolean;
  isLatest: boolean;
  encrypted: boolean;
}

function versionLines(key: string, records: ObjectRecord[]): VersionLine[] {
  // versions() is newest first; purges are not versions a reader can ask for.
  return records.filter((r) => r.purges === null).map((r, i) => ({
    key, version: r.version, size: r.size, cid: r.cid, time: r.time, deleteMarker: r.cid === null, isLatest: i === 0, encrypted: r.encryption !== null,
  }));
}

async function pages(bucket: BucketHandle, o: { prefix: string; delimiter: string | undefined; maxKeys: number; start: string | undefined; all: boolean }): Promise<ListObjectsResult> {
  const out: ListObjectsResult = { objects: [], commonPrefixes: [], nextContinuationToken: o.start ?? null, isTruncated: false };
  do {
    const page = await bucket.list({ prefix: o.prefix, maxKeys: o.maxKeys, continuationToken: out.nextContinuationToken, ...(o.delimiter ? { delimiter: o.delimiter } : {}) });
    out.objects.push(...page.objects);
    out.commonPrefixes.push(...page.commonPrefixes);
    out.nextContinuationToken = page.nextContinuationToken;
    out.isTruncated = page.isTruncated;
  } while (o.all && out.isTruncated && out.nextContinuationToken !== null);
  return out;
}

export async function lsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      ...BUCKET_FLAGS, delimiter: { type: 'string' }, 'max-keys': { type: 'string' }, continue: { type: 'string' }, all: { type: 'boolean' }, versions: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  const [target] = positionals;
  if (positionals.length !== 1 || !target || !isDdcUrl(target)) throw usage(`expected one ddc://BUCKET[/PREFIX] URL.\n  ${lsHelp}`);
  const url = parseDdcUrl(target);
  const maxKeys = intFlag('max-keys', values['max-keys'], 1000);
  if (maxKeys < 1) throw usage('--max-keys must be at least 1');
  const open = await openBucket(values, url.bucket);
  try {
    const list = await pages(open.bucket, { prefix: url.key, delimiter: values.delimiter, maxKeys, start: values.continue, all: values.all === true });
    const base = { bucket: url.bucket, prefix: url.key, delimiter: values.delimiter ?? null, commonPrefixes: list.commonPrefixes, isTruncated: list.isTruncated, nextContinuationToken: list.nextContinuationToken };
    if (values.versions) {
      const versions: VersionLine[] = [];
      const keys = list.objects.map((o) => o.key);
      // A key named exactly is shown even when deleted (its current version a delete marker, so not listed).
      if (url.key !== '' && !keys.includes(url.key) && !list.commonPrefixes.includes(url.key)) keys.unshift(url.key);
      for (const key of keys) versions.push(...versionLines(key, await open.bucket.versions(key)));
      if (values.json) printJson({ ...base, versions });
      else {
        for (const p of list.commonPrefixes) process.stdout.write(`${''.padStart(19)} ${'PRE'.padStart(12)} ${p}\n`);
        for (const v of versions) {
          const size = v.deleteMarker ? 'DELETED' : String(v.size);
          process.stdout.write(`${when(v.time)} ${size.padStart(12)} ${v.version}${v.isLatest ? '*' : ' '} ${v.key}\n`);
        }
      }
    } else if (values.json) {
      printJson({ ...base, objects: list.objects });
    } else {
      // Prefixes first, as S3 tools print them.
      for (const p of list.commonPrefixes) process.stdout.write(`${''.padStart(19)} ${'PRE'.padStart(12)} ${p}\n`);
      for (const o of list.objects) process.stdout.write(`${when(o.time)} ${String(o.size).padStart(12)} ${o.key}\n`);
    }
    if (!values.json && list.isTruncated && list.nextContinuationToken !== null) {
      process.stderr.write(`ddc: more keys follow; continue with --continue ${JSON.stringify(list.nextContinuationToken)}, or list them all with --all\n`);
    }
    return 0;
  } finally {
    await open.close();
  }
}
