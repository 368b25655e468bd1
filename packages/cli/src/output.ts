/** Terminal output: progress bars on a TTY, one JSON document with --json, errors with codes. */
import { DdcError } from '@ddc/core';
import { UsageError } from './errors.js';

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

export class ProgressBar {
  private readonly started = Date.now();
  private lastDraw = 0;
  private readonly enabled: boolean;

  constructor(private readonly label: string, private readonly total: number | undefined, enabled = process.stderr.isTTY === true) {
    this.enabled = enabled;
  }

  update(done: number, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const secs = Math.max(0.001, (now - this.started) / 1000);
    const rate = `${formatBytes(done / secs)}/s`;
    let line: string;
    if (this.total !== undefined && this.total > 0) {
      const frac = Math.min(1, done / this.total);
      const width = 30;
      const fill = Math.round(frac * width);
      line = `${this.label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${(frac * 100).toFixed(0).padStart(3)}% ${formatBytes(done)} / ${formatBytes(this.total)} ${rate}`;
    } else {
      line = `${this.label} ${formatBytes(done)} ${rate}`;
    }
    process.stderr.write(`\r${line}\x1b[K`);
  }

  done(): void {
    if (this.enabled) process.stderr.write('\n');
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
}

/** Prints an error and returns the exit code: 2 for usage, 1 otherwise. */
export function reportError(e: unknown, json: boolean): number {
  if (e instanceof UsageError) {
    if (json) printJson({ error: { code: 'DDC_USAGE', message: e.message } });
    else process.stderr.write(`ddc: ${e.message}\nRun \`ddc help\` for usage.\n`);
    return 2;
  }
  if (e instanceof DdcError) {
    if (json) printJson({ error: e.toJSON() });
    else process.stderr.write(`ddc: ${e.code}: ${e.message}\n`);
    return 1;
  }
  if (json) printJson({ error: { code: 'DDC_INTERNAL', message: e instanceof Error ? e.message : String(e) } });
  else process.stderr.write(`ddc: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return 1;
}
