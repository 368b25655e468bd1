/**
 * What every ledger command shares: where the chain is (--rpc, DDC_RPC, the dev chain's
 * .ddc/chain.json), where the contracts are (--deployment, DDC_DEPLOYMENT,
 * .ddc/deployment.json), and who signs. Secrets never come from flags: DDC_PRIVATE_KEY,
 * --key-file FILE, or a prompt on a terminal; on the local dev chain only, dev account 0
 * (whose key `ddc dev` prints) signs when nothing else is given.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Hex } from 'viem';
import { DdcError } from '@ddc/core';
import { connectLedger, devAccounts, readDeploymentFile, DEV_CHAIN_ID, type Ledger } from '@ddc/ledger/node';
import { DEFAULT_DATA_DIR } from '../context.js';
import { usage } from '../errors.js';
import { promptSecret } from '../prompt.js';

/** parseArgs options every ledger command takes. */
export const LEDGER_FLAGS = {
  rpc: { type: 'string' },
  deployment: { type: 'string' },
  'key-file': { type: 'string' },
  json: { type: 'boolean' },
} as const;

export interface LedgerFlags {
  rpc?: string | undefined;
  deployment?: string | undefined;
  'key-file'?: string | undefined;
}

/** Written by `ddc dev` next to deployment.json: how to reach the running dev chain. */
export const CHAIN_FILE = 'chain.json';

export async function defaultRpcUrl(): Promise<string> {
  if (process.env.DDC_RPC) return process.env.DDC_RPC;
  try {
    const o = JSON.parse(await readFile(resolve(DEFAULT_DATA_DIR, CHAIN_FILE), 'utf8')) as { rpcUrl?: unknown };
    if (typeof o.rpcUrl === 'string') return o.rpcUrl;
  } catch {
    // No dev chain running here: fall back to the usual local RPC port.
  }
  return 'http://127.0.0.1:8545';
}

export function deploymentPath(flags: LedgerFlags): string {
  return flags.deployment ?? process.env.DDC_DEPLOYMENT ?? resolve(DEFAULT_DATA_DIR, 'deployment.json');
}

function checkKey(text: string, from: string): Hex {
  const k = text.trim();
  const hex = (k.startsWith('0x') ? k : `0x${k}`) as Hex;
  if (!/^0x[0-9a-fA-F]{64}$/.test(hex)) throw new DdcError('DDC_LEDGER_ACCOUNT', `the private key from ${from} is not 32 bytes of hex`, { hint: 'Write it as 64 hex digits, optionally with 0x' });
  return hex;
}

function isLoopback(url: string): boolean {
  try {
    return ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** The key from DDC_PRIVATE_KEY or --key-file, else a prompt on a terminal, else undefined. */
export async function explicitKey(flags: LedgerFlags, options: { prompt: boolean }): Promise<Hex | undefined> {
  if (process.env.DDC_PRIVATE_KEY) return checkKey(process.env.DDC_PRIVATE_KEY, 'DDC_PRIVATE_KEY');
  if (flags['key-file']) {
    let text: string;
    try {
      text = await readFile(flags['key-file'], 'utf8');
    } catch (cause) {
      throw new DdcError('DDC_LEDGER_ACCOUNT', `cannot read the key file ${flags['key-file']}`, { cause, hint: 'Check the path and its permissions' });
    }
    return checkKey(text, flags['key-file']);
  }
  if (options.prompt && process.stdin.isTTY && process.stderr.isTTY) return checkKey(await promptSecret('private key (hex): '), 'the prompt');
  return undefined;
}

async function signingKey(flags: LedgerFlags, rpcUrl: string, chainId: number, json: boolean): Promise<Hex | undefined> {
  const given = await explicitKey(flags, { prompt: false });
  if (given) return given;
  if (chainId === DEV_CHAIN_ID && isLoopback(rpcUrl)) {
    if (!json) process.stderr.write('ddc: signing as dev account 0 of the local dev chain (set DDC_PRIVATE_KEY to use another)\n');
    return devAccounts(1)[0]!.privateKey;
  }
  return explicitKey(flags, { prompt: true });
}

/** Connects to the chain the flags name; `write` asks for a signing key. */
export async function ledgerFor(flags: LedgerFlags, options: { write: boolean; json: boolean }): Promise<Ledger> {
  const rpcUrl = flags.rpc ?? (await defaultRpcUrl());
  const deployment = await readDeploymentFile(deploymentPath(flags));
  const account = options.write ? await signingKey(flags, rpcUrl, deployment.chainId, options.json) : undefined;
  return connectLedger({ deployment, rpcUrl, ...(account ? { account } : {}) });
}

export function intFlag(name: string, v: string | undefined, fallback?: number): number {
  if (v === undefined) {
    if (fallback === undefined) throw usage(`--${name} is required`);
    return fallback;
  }
  if (!/^\d+$/.test(v)) throw usage(`--${name} must be a whole number, got "${v}"`);
  return Number(v);
}

/** --cluster-id N, else DDC_CLUSTER_ID, else 1 (the cluster `ddc dev` creates). */
export function clusterIdFlag(v: string | undefined): number {
  return intFlag('cluster-id', v ?? process.env.DDC_CLUSTER_ID, 1);
}

/** Turns bigints into strings for JSON output. */
export function plain<T>(x: T): unknown {
  return JSON.parse(JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
}
