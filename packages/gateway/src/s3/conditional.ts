/**
 * Conditional reads (If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, RFC 9110
 * as S3 applies them) and byte ranges (one `bytes=` range; S3 does not serve multipart ranges).
 */
import { header } from '../auth/sigv4.js';
import { S3Error } from './errors.js';

function etagList(v: string): string[] {
  return v.split(',').map((s) => s.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1')).filter((s) => s !== '');
}

function matches(list: string, etag: string): boolean {
  const tags = etagList(list);
  return tags.includes('*') || tags.includes(etag);
}

function httpTime(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : t;
}

/** 'ok', or the status a conditional GET/HEAD gets (304, 412); prefix 'x-amz-copy-source-' for copies. */
export function checkConditions(headers: Map<string, string[]>, etag: string, lastModifiedMs: number, prefix = ''): 'ok' | 304 | 412 {
  const h = (n: string) => header({ headers }, `${prefix}${n}`);
  const modified = Math.floor(lastModifiedMs / 1000) * 1000;
  const ifMatch = h('if-match');
  const ifNoneMatch = h('if-none-match');
  if (ifMatch !== undefined) {
    if (!matches(ifMatch, etag)) return 412;
  } else {
    const ius = httpTime(h('if-unmodified-since'));
    if (ius !== undefined && modified > ius) return 412;
  }
  if (ifNoneMatch !== undefined) {
    if (matches(ifNoneMatch, etag)) return prefix ? 412 : 304;
  } else {
    const ims = httpTime(h('if-modified-since'));
    if (ims !== undefined && modified <= ims) return prefix ? 412 : 304;
  }
  return 'ok';
}

export interface ByteRange {
  start: number;
  /** Exclusive. */
  end: number;
}

/**
 * The range a Range header asks of an object of `size` bytes: undefined for the whole object
 * (no header, or one this does not parse, which HTTP says to ignore), InvalidRange (416) when
 * no byte of it is in the object.
 */
export function parseRange(value: string | undefined, size: number): ByteRange | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(value);
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  const unsatisfiable = () => new S3Error('InvalidRange', 'The requested range is not satisfiable', { RangeRequested: value.slice(0, 100), ActualObjectSize: String(size) });
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) throw unsatisfiable();
    return { start: Math.max(0, size - n), end: size };
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? size - 1 : Number(m[2]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(last)) throw unsatisfiable();
  if (start >= size) throw unsatisfiable();
  if (last < start) return undefined;
  return { start, end: Math.min(size, last + 1) };
}
