/** Times on the command line: `--expires 1h`, `7d`, `90m`, `30s`, `2w`, or an ISO 8601 date. */
import { usage } from '../errors.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Unix seconds: `now` plus a duration (`1h`), or an absolute ISO 8601 time (with a zone, or UTC). */
export function parseTimeFlag(name: string, text: string, nowSeconds = Math.floor(Date.now() / 1000)): number {
  const m = /^(\d{1,9})([smhdw])$/.exec(text.trim());
  if (m) return nowSeconds + Number(m[1]) * UNIT_SECONDS[m[2]!]!;
  // A date alone or with a zone: Date.parse reads these unambiguously; a zoneless time would be local.
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/i.test(text.trim())) {
    const ms = Date.parse(text.trim());
    if (Number.isFinite(ms)) return Math.floor(ms / 1000);
  }
  throw usage(`--${name} takes a duration from now (30s, 15m, 1h, 7d, 2w) or an ISO 8601 time (2030-01-31 or 2030-01-31T12:00:00Z), got "${text}"`);
}

export function isoSeconds(s: number): string {
  return new Date(s * 1000).toISOString().replace('.000Z', 'Z');
}
