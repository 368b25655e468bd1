/**
 * Options of the background workers (repair and scrub): typed, with documented defaults,
 * validated at start, unknown keys refused. The defaults suit a production node (slow,
 * gentle); `ddc dev` passes faster settings (DEV_REPAIR_CONFIG, DEV_SCRUB_CONFIG).
 */
import { invalidConfig } from '../errors.js';

export type RepairPriority = 'low' | 'normal' | 'high';

export interface RepairConfig {
  /** Run passes on a timer. Off: passes run only when asked (POST /v1/repair/run). Default true. */
  enabled: boolean;
  /** Pause between the end of one pass and the start of the next, in ms. Default 600000 (10 min). */
  intervalMs: number;
  /** Stripes repaired or moved at once (before the priority factor). Default 4. */
  concurrency: number;
  /** Bytes per second fetched from and sent to other nodes (before the priority factor); 0 = no limit. Default 32 MiB/s. */
  bandwidthBytesPerSec: number;
  /** 'low' halves concurrency and bandwidth and pauses between stripes, 'high' doubles both. Default 'normal'. */
  priority: RepairPriority;
  /**
   * A shard is moved to a new home (and deleted here) only once the membership view has been
   * unchanged for this many ms, so every node has seen the change first. Default 10000.
   */
  settleMs: number;
}

export interface ScrubConfig {
  /** Scrub on a timer. Off: passes run only when asked (POST /v1/scrub/run). Default true. */
  enabled: boolean;
  /** Read pace: bytes of shards re-read and verified per second. Default 4 MiB/s. */
  bytesPerSec: number;
  /** Pause between the end of one full pass and the start of the next, in ms. Default 86400000 (a day). */
  intervalMs: number;
}

export const REPAIR_DEFAULTS: RepairConfig = {
  enabled: true,
  intervalMs: 600_000,
  // 8 stripes at once left fewer cores idle than 4 while one stripe waits on its fetches: a
  // wiped node's 256 MiB came back at 175.2-182.3 MB/s against 167.3-172.5 (docs/BENCHMARKS.md).
  concurrency: 8,
  bandwidthBytesPerSec: 32 * 1024 * 1024,
  priority: 'normal',
  settleMs: 10_000,
};

export const SCRUB_DEFAULTS: ScrubConfig = {
  enabled: true,
  bytesPerSec: 4 * 1024 * 1024,
  intervalMs: 86_400_000,
};

/**
 * `ddc dev`: a missing shard is rebuilt within two minutes with no command (a pass every
 * 20 s), a corrupt one found by a full scrub of a dev-sized store in seconds (every 30 s).
 */
export const DEV_REPAIR_CONFIG: RepairConfig = {
  enabled: true,
  intervalMs: 20_000,
  concurrency: 8,
  bandwidthBytesPerSec: 0,
  priority: 'normal',
  settleMs: 3_000,
};

export const DEV_SCRUB_CONFIG: ScrubConfig = {
  enabled: true,
  bytesPerSec: 128 * 1024 * 1024,
  intervalMs: 30_000,
};

/** How a priority scales concurrency and bandwidth, and the pause after each stripe. */
export const PRIORITY_FACTORS: Record<RepairPriority, { concurrency: number; bandwidth: number; pauseMs: number }> = {
  low: { concurrency: 0.5, bandwidth: 0.5, pauseMs: 20 },
  normal: { concurrency: 1, bandwidth: 1, pauseMs: 0 },
  high: { concurrency: 2, bandwidth: 2, pauseMs: 0 },
};

export const REPAIR_KEYS = Object.keys(REPAIR_DEFAULTS);
export const SCRUB_KEYS = Object.keys(SCRUB_DEFAULTS);
const DAY = 86_400_000;
const MAX_RATE = 2 ** 40;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function refuseUnknown(o: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) throw invalidConfig(`unknown key ${JSON.stringify(key)} in ${where}`, `Remove it; allowed keys are ${allowed.join(', ')}`);
  }
}

function int(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidConfig(`${name} is ${JSON.stringify(value)}`, `Set ${name} to an integer from ${min} to ${max}`);
  }
  return value;
}

function bool(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalidConfig(`${name} is ${JSON.stringify(value)}`, `Set ${name} to true or false`);
  return value;
}

export function parseRepairConfig(input: unknown): RepairConfig {
  if (input === undefined) return { ...REPAIR_DEFAULTS };
  if (!isObject(input)) throw invalidConfig('repair must be an object', 'Write e.g. "repair": {"intervalMs": 60000}');
  refuseUnknown(input, REPAIR_KEYS, 'repair');
  const v = { ...REPAIR_DEFAULTS, ...input } as Record<keyof RepairConfig, unknown>;
  if (v.priority !== 'low' && v.priority !== 'normal' && v.priority !== 'high') {
    throw invalidConfig(`repair.priority is ${JSON.stringify(v.priority)}`, 'Set repair.priority to "low", "normal" or "high"');
  }
  return {
    enabled: bool('repair.enabled', v.enabled),
    intervalMs: int('repair.intervalMs', v.intervalMs, 100, 30 * DAY),
    concurrency: int('repair.concurrency', v.concurrency, 1, 1024),
    bandwidthBytesPerSec: int('repair.bandwidthBytesPerSec', v.bandwidthBytesPerSec, 0, MAX_RATE),
    priority: v.priority,
    settleMs: int('repair.settleMs', v.settleMs, 0, DAY),
  };
}

export function parseScrubConfig(input: unknown): ScrubConfig {
  if (input === undefined) return { ...SCRUB_DEFAULTS };
  if (!isObject(input)) throw invalidConfig('scrub must be an object', 'Write e.g. "scrub": {"bytesPerSec": 8388608}');
  refuseUnknown(input, SCRUB_KEYS, 'scrub');
  const v = { ...SCRUB_DEFAULTS, ...input } as Record<keyof ScrubConfig, unknown>;
  return {
    enabled: bool('scrub.enabled', v.enabled),
    bytesPerSec: int('scrub.bytesPerSec', v.bytesPerSec, 1024, MAX_RATE),
    intervalMs: int('scrub.intervalMs', v.intervalMs, 100, 365 * DAY),
  };
}
