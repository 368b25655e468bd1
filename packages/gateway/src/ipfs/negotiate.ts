/**
 * Which answer a trustless-gateway request wants: `?format=` first, else the Accept header
 * (RFC 9110 §12.5.1, by q), with the CAR parameters of IPIP-412 (version, order, dups) from
 * the media type or the car-* query parameters. This gateway is strict trustless: it
 * serves raw blocks and CARs only, never deserialized files (those are under /ddc/).
 */
import { GatewayHttpError } from '../errors.js';

export const RAW_TYPE = 'application/vnd.ipld.raw';
export const CAR_TYPE = 'application/vnd.ipld.car';

export type DagScope = 'all' | 'entity' | 'block';

export type Wanted =
  | { format: 'raw' }
  | { format: 'car'; dups: boolean; scope: DagScope; entityBytes: EntityBytes | undefined; explicitParams: boolean };

/** `entity-bytes=from:to`: inclusive; negative counts from the end; `*` is the end. */
export interface EntityBytes {
  from: number;
  to: number | '*';
}

interface MediaRange {
  type: string;
  params: Map<string, string>;
  q: number;
}

function parseAccept(header: string): MediaRange[] {
  return header
    .split(',')
    .map((part) => {
      const [type = '', ...rest] = part.split(';').map((s) => s.trim());
      const params = new Map<string, string>();
      for (const p of rest) {
        const eq = p.indexOf('=');
        if (eq > 0) params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim().replace(/^"|"$/g, ''));
      }
      const q = params.has('q') ? Number(params.get('q')) : 1;
      return { type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 0 };
    })
    .filter((r) => r.type !== '' && r.q > 0)
    .sort((a, b) => b.q - a.q);
}

function bad(message: string, hint: string): GatewayHttpError {
  return new GatewayHttpError(400, 'DDC_INVALID_ARGUMENT', `${message}. ${hint}`);
}

function notAcceptable(message: string): GatewayHttpError {
  return new GatewayHttpError(406, 'DDC_NOT_ACCEPTABLE', `${message}. This trustless gateway answers ${RAW_TYPE} (one block) and ${CAR_TYPE}; version=1; order=dfs (a DAG); read files as files under /ddc/<bucket>/<key>`);
}

/** CAR parameters we can honour: version 1 (or none), order dfs/unk (or none), dups y/n (or none). */
function carParamsOk(version: string | undefined, order: string | undefined, dups: string | undefined): boolean {
  return (version === undefined || version === '1') && (order === undefined || order === 'dfs' || order === 'unk') && (dups === undefined || dups === 'y' || dups === 'n');
}

function parseEntityBytes(v: string): EntityBytes {
  const m = /^(-?\d+):(-?\d+|\*)$/.exec(v);
  if (!m) throw bad(`entity-bytes=${v} is not from:to`, 'Use e.g. entity-bytes=0:1023, 1024:* or -1024:*');
  const from = Number(m[1]);
  const to = m[2] === '*' ? '*' : Number(m[2]);
  if (!Number.isSafeInteger(from) || (to !== '*' && !Number.isSafeInteger(to))) throw bad(`entity-bytes=${v} is out of range`, 'Use offsets below 2^53');
  return { from, to };
}

export function negotiate(query: URLSearchParams, accept: string | undefined): Wanted {
  const format = query.get('format');
  let car: { version?: string | undefined; order?: string | undefined; dups?: string | undefined } | undefined;
  let explicitParams = false;
  if (format !== null) {
    if (format === 'raw') return checkRawParams(query, { format: 'raw' });
    if (format !== 'car') throw bad(`format=${format} is not served here`, 'Use format=raw (one block) or format=car (the DAG)');
    car = {};
    // The Accept header may still carry the CAR parameters.
    const range = accept ? parseAccept(accept).find((r) => r.type === CAR_TYPE) : undefined;
    if (range) car = { version: range.params.get('version'), order: range.params.get('order'), dups: range.params.get('dups') };
  } else {
    const ranges = accept ? parseAccept(accept) : [];
    // No Accept, or only wildcards (fetch and curl send */*): the client did not say which of the two it wants.
    if (ranges.every((r) => r.type === '*/*' || r.type === 'application/*')) {
      throw bad('no format asked for', `Add ?format=raw or ?format=car, or an Accept header of ${RAW_TYPE} or ${CAR_TYPE}`);
    }
    let chosen: Wanted | undefined;
    for (const r of ranges) {
      if (r.type === RAW_TYPE) {
        chosen = { format: 'raw' };
        break;
      }
      if (r.type === CAR_TYPE) {
        const c = { version: r.params.get('version'), order: r.params.get('order'), dups: r.params.get('dups') };
        if (!carParamsOk(c.version, c.order, c.dups)) continue;
        car = c;
        break;
      }
    }
    if (chosen) return checkRawParams(query, chosen);
    if (!car) throw notAcceptable(`Accept: ${accept ?? ''} names nothing this gateway serves`);
  }
  // Query parameters win over the media type's.
  const version = query.get('car-version') ?? car.version;
  const order = query.get('car-order') ?? car.order;
  const dups = query.get('car-dups') ?? car.dups;
  explicitParams = order !== undefined || dups !== undefined;
  if (!carParamsOk(version, order, dups)) throw notAcceptable(`CAR version=${version ?? '-'} order=${order ?? '-'} dups=${dups ?? '-'} cannot be produced`);
  const scopeText = query.get('dag-scope') ?? 'all';
  if (scopeText !== 'all' && scopeText !== 'entity' && scopeText !== 'block') throw bad(`dag-scope=${scopeText} is unknown`, 'Use dag-scope=all, entity or block');
  const eb = query.get('entity-bytes');
  const entityBytes = eb === null ? undefined : parseEntityBytes(eb);
  return { format: 'car', dups: dups === 'y', scope: entityBytes ? 'entity' : scopeText, entityBytes, explicitParams };
}

function checkRawParams(query: URLSearchParams, w: Wanted): Wanted {
  for (const p of ['dag-scope', 'entity-bytes']) {
    if (query.has(p)) throw bad(`${p} applies to CAR answers only`, 'Drop it, or ask for format=car');
  }
  return w;
}
