/**
 * Options of request authentication (docs/ACCESS.md "Signed requests v1"): typed, with
 * documented defaults, validated at start, unknown keys refused.
 */
import { invalidConfig } from '../errors.js';

export interface AuthConfig {
  /** A signed request whose time is further than this from the node's clock is refused (DDC_REQUEST_STALE). Default 60000. */
  maxSkewMs: number;
  /** How often the chain is polled for TokenRevoked events, in ms (nodes with `chain` only). Default 1000. */
  revocationPollMs: number;
  /** TEST-ONLY: accept unsigned PUT, POST and DELETE (tests of unrelated features). Default false. */
  anonymousWrites: boolean;
}

export const AUTH_DEFAULTS: AuthConfig = {
  maxSkewMs: 60_000,
  revocationPollMs: 1000,
  anonymousWrites: false,
};

export const AUTH_KEYS = Object.keys(AUTH_DEFAULTS);

function int(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidConfig(`${name} is ${JSON.stringify(value)}`, `Set ${name} to an integer from ${min} to ${max}`);
  }
  return value;
}

export function parseAuthConfig(input: unknown): AuthConfig {
  if (input === undefined) return { ...AUTH_DEFAULTS };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalidConfig('auth must be an object', 'Write e.g. "auth": {"maxSkewMs": 60000}');
  const o = input as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!AUTH_KEYS.includes(key)) throw invalidConfig(`unknown key ${JSON.stringify(key)} in auth`, `Remove it; allowed keys are ${AUTH_KEYS.join(', ')}`);
  }
  const v = { ...AUTH_DEFAULTS, ...o } as Record<keyof AuthConfig, unknown>;
  if (typeof v.anonymousWrites !== 'boolean') throw invalidConfig(`auth.anonymousWrites is ${JSON.stringify(v.anonymousWrites)}`, 'Set auth.anonymousWrites to true or false (true only in tests)');
  return {
    maxSkewMs: int('auth.maxSkewMs', v.maxSkewMs, 1000, 3_600_000),
    revocationPollMs: int('auth.revocationPollMs', v.revocationPollMs, 10, 3_600_000),
    anonymousWrites: v.anonymousWrites,
  };
}
