/**
 * S3-style listing over the latest record of each key, as pure functions: a node pages its
 * own records with listPage, and a client merges the pages of several replicas with
 * mergeListings. Keys sort by their UTF-8 bytes (S3's order, and the node's LMDB order).
 *
 * A page is a run of items in key order; an item is an entry (a key's latest record) or a
 * common prefix (prefix + the key's text up to and including the first delimiter after the
 * prefix), which stands for every key under it. Only live keys (cid not null) make a common
 * prefix; delete markers are entries only when asked for (replicas return them so that a
 * client can tell "deleted" from "not there yet"). `maxKeys` counts entries and prefixes.
 * `nextToken` is the last item of a truncated page: passed back as `after`, the next page
 * starts past it (past every key under it, for a common prefix).
 */
import { DdcError } from '../errors.js';
import { compareRecords, type ObjectRecord } from './record.js';

export const DEFAULT_MAX_KEYS = 1000;

/** What listing needs of a record. */
export type Listable = Pick<ObjectRecord, 'key' | 'version' | 'cid' | 'bytes'>;

export interface ListOptions {
  prefix?: string;
  /** '' or absent: no grouping. */
  delimiter?: string;
  /** Start after this key or token (exclusive). */
  after?: string | null;
  /** At least 1. Default 1000. */
  maxKeys?: number;
  /** Return delete markers as entries (replicas do; a client showing keys does not). */
  includeDeleted?: boolean;
}

export interface ListPage<T> {
  entries: T[];
  commonPrefixes: string[];
  nextToken: string | null;
  truncated: boolean;
}

/** Where a source starts: at keys >= from, keys > after, or the first key past every key starting with pastPrefix. */
export type ListSeek = { from: string } | { after: string } | { pastPrefix: string };

/** Latest records in key order from a seek position (a store cursor, or arraySource over a sorted array). */
export type ListSource<T> = (seek: ListSeek) => Iterable<T>;

/**
 * Compares strings by code point, which is the order of their UTF-8 bytes. (JavaScript's
 * `<` compares UTF-16 units, which puts U+E000..U+FFFF after the astral planes.)
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Surrogates (astral code points) must sort after U+E000..U+FFFF.
    x = x >= 0xd800 && x <= 0xdfff ? x + 0x2000 : x >= 0xe000 ? x - 0x800 : x;
    y = y >= 0xd800 && y <= 0xdfff ? y + 0x2000 : y >= 0xe000 ? y - 0x800 : y;
    return x - y;
  }
  return a.length - b.length;
}

function lowerBound<T extends { key: string }>(sorted: readonly T[], key: string, strict: boolean): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareKeys(sorted[mid]!.key, key);
    if (c < 0 || (strict && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A ListSource over records sorted by compareKeys, one per key. */
export function arraySource<T extends { key: string }>(sorted: readonly T[]): ListSource<T> {
  return function* (seek) {
    let i: number;
    if ('from' in seek) i = lowerBound(sorted, seek.from, false);
    else if ('after' in seek) i = lowerBound(sorted, seek.after, true);
    else {
      i = lowerBound(sorted, seek.pastPrefix, false);
      while (i < sorted.length && sorted[i]!.key.startsWith(seek.pastPrefix)) i++;
    }
    for (; i < sorted.length; i++) yield sorted[i]!;
  };
}

interface Resolved {
  prefix: string;
  delimiter: string;
  after: string | null;
  maxKeys: number;
  includeDeleted: boolean;
}

function resolve(o: ListOptions): Resolved {
  const maxKeys = o.maxKeys ?? DEFAULT_MAX_KEYS;
  if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new DdcError('DDC_INVALID_ARGUMENT', `maxKeys ${maxKeys} must be an integer of at least 1`);
  return { prefix: o.prefix ?? '', delimiter: o.delimiter ?? '', after: o.after ?? null, maxKeys, includeDeleted: o.includeDeleted ?? false };
}

/** The common prefix `key` rolls up into, or null. */
export function commonPrefixOf(key: string, prefix: string, delimiter: string): string | null {
  if (delimiter === '' || !key.startsWith(prefix)) return null;
  const at = key.indexOf(delimiter, prefix.length);
  return at < 0 ? null : key.slice(0, at + delimiter.length);
}

/** Where a listing starts for `after`: past its common prefix if it names one. */
function firstSeek(o: Resolved): ListSeek {
  if (o.after === null || compareKeys(o.after, o.prefix) < 0) return { from: o.prefix };
  const cp = commonPrefixOf(o.after, o.prefix, o.delimiter);
  return cp === null ? { after: o.after } : { pastPrefix: cp };
}

/** One page of a listing over the latest records (one per key, in key order) that `source` yields. */
export function listPage<T extends Listable>(source: ListSource<T> | readonly T[], options: ListOptions = {}): ListPage<T> {
  const o = resolve(options);
  const next = typeof source === 'function' ? source : arraySource(source);
  const entries: T[] = [];
  const commonPrefixes: string[] = [];
  let count = 0;
  let last: string | null = null;
  let seek: ListSeek | null = firstSeek(o);
  while (seek !== null) {
    const current: ListSeek = seek;
    seek = null;
    for (const r of next(current)) {
      if (!r.key.startsWith(o.prefix)) {
        if (compareKeys(r.key, o.prefix) > 0) break; // past the prefix's range
        continue;
      }
      const cp = commonPrefixOf(r.key, o.prefix, o.delimiter);
      const live = r.cid !== null;
      if (cp !== null ? !live : !live && !o.includeDeleted) continue;
      if (count === o.maxKeys) return { entries, commonPrefixes, nextToken: last, truncated: true };
      count++;
      if (cp !== null) {
        commonPrefixes.push(cp);
        last = cp;
        seek = { pastPrefix: cp };
        break;
      }
      entries.push(r);
      last = r.key;
    }
  }
  return { entries, commonPrefixes, nextToken: null, truncated: false };
}

export interface MergeOptions {
  /** Cut the merged page to this many items (entries and prefixes). Default: no cut. */
  maxKeys?: number;
  includeDeleted?: boolean;
}

/**
 * Merges the pages several replicas answered for one request: the union of their items,
 * the newest record per key. A truncated page says nothing past its nextToken, so the
 * merge keeps only items up to the smallest such token and continues from there.
 */
export function mergeListings<T extends Listable>(pages: readonly ListPage<T>[], options: MergeOptions = {}): ListPage<T> {
  let bound: string | null = null;
  for (const p of pages) {
    if (p.truncated && p.nextToken !== null && (bound === null || compareKeys(p.nextToken, bound) < 0)) bound = p.nextToken;
  }
  const within = (k: string) => bound === null || compareKeys(k, bound) <= 0;
  const newest = new Map<string, T>();
  const prefixes = new Set<string>();
  for (const p of pages) {
    for (const r of p.entries) {
      if (!within(r.key)) continue;
      const had = newest.get(r.key);
      if (had === undefined || compareRecords(r, had) > 0) newest.set(r.key, r);
    }
    for (const cp of p.commonPrefixes) if (within(cp)) prefixes.add(cp);
  }
  type Item = { token: string; record: T | null };
  const items: Item[] = [];
  for (const r of newest.values()) if (r.cid !== null || options.includeDeleted) items.push({ token: r.key, record: r });
  for (const cp of prefixes) items.push({ token: cp, record: null });
  items.sort((a, b) => compareKeys(a.token, b.token));
  let truncated = bound !== null;
  let nextToken = bound;
  if (options.maxKeys !== undefined && items.length > options.maxKeys) {
    items.length = Math.max(1, options.maxKeys);
    truncated = true;
    nextToken = items[items.length - 1]!.token;
  }
  const entries: T[] = [];
  const commonPrefixes: string[] = [];
  for (const it of items) {
    if (it.record === null) commonPrefixes.push(it.token);
    else entries.push(it.record);
  }
  return { entries, commonPrefixes, nextToken: truncated ? nextToken : null, truncated };
}
