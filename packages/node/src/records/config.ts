/**
 * Options of the record service (`records` in the node config): typed, with documented
 * defaults, validated at start, unknown keys refused.
 */
import { invalidConfig } from '../errors.js';

export interface RecordsConfig {
  /** Anti-entropy: pull records this node lacks from the bucket's other replicas on a timer. Default true. */
  syncEnabled: boolean;
  /** Pause between the end of one sync pass and the start of the next, in ms. Default 30000. */
  syncIntervalMs: number;
  /** (key, version) pairs asked per digest page. Default 1000. */
  syncPageSize: number;
}

export const RECORDS_DEFAULTS: RecordsConfig = {
  syncEnabled: true,
  syncIntervalMs: 30_000,
  syncPageSize: 1000,
};

export const RECORDS_KEYS = Object.keys(RECORDS_DEFAULTS);

function int(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidConfig(`${name} is ${JSON.stringify(value)}`, `Set ${name} to an integer from ${min} to ${max}`);
  }
  return value;
}

export function parseRecordsConfig(input: unknown): RecordsConfig {
  if (input === undefined) return { ...RECORDS_DEFAULTS };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalidConfig('records must be an object', 'Write e.g. "records": {"syncIntervalMs": 30000}');
  const o = input as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!RECORDS_KEYS.includes(key)) throw invalidConfig(`unknown key ${JSON.stringify(key)} in records`, `Remove it; allowed keys are ${RECORDS_KEYS.join(', ')}`);
  }
  const v = { ...RECORDS_DEFAULTS, ...o } as Record<keyof RecordsConfig, unknown>;
  if (typeof v.syncEnabled !== 'boolean') throw invalidConfig(`records.syncEnabled is ${JSON.stringify(v.syncEnabled)}`, 'Set records.syncEnabled to true or false');
  return {
    syncEnabled: v.syncEnabled,
    syncIntervalMs: int('records.syncIntervalMs', v.syncIntervalMs, 100, 86_400_000),
    syncPageSize: int('records.syncPageSize', v.syncPageSize, 1, 10_000),
  };
}
