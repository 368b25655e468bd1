/**
 * The deployment file: where a network's DDC contracts live. Versioned JSON, written by
 * `deployAll` (and `ddc chain deploy`), read by every client of that network.
 */
import { getAddress, isAddress, type Address } from 'viem';
import { DdcError } from '@ddc/core';

export const DEPLOYMENT_FORMAT = 'ddc-ledger-deployment';
export const DEPLOYMENT_VERSION = 1;

export interface DeploymentContracts {
  token: Address;
  clusters: Address;
  nodes: Address;
  buckets: Address;
  deposits: Address;
  validators: Address;
}

export interface Deployment {
  format: typeof DEPLOYMENT_FORMAT;
  version: typeof DEPLOYMENT_VERSION;
  chainId: number;
  /** The block of the first deploy transaction: event scans start here. */
  deployBlock: number;
  deployer: Address;
  /** True when `token` is the dev CERE token deployed with the contracts (mintable by the deployer). */
  devToken: boolean;
  contracts: DeploymentContracts;
}

const CONTRACT_KEYS = ['token', 'clusters', 'nodes', 'buckets', 'deposits', 'validators'] as const;
const KEYS = ['format', 'version', 'chainId', 'deployBlock', 'deployer', 'devToken', 'contracts'];

function bad(what: string, hint: string): DdcError {
  return new DdcError('DDC_LEDGER_DEPLOYMENT', `invalid deployment file: ${what}`, { hint });
}

function address(v: unknown, where: string): Address {
  if (typeof v !== 'string' || !isAddress(v, { strict: false })) throw bad(`${where} is not an address`, 'Write it as 0x followed by 40 hex digits');
  return getAddress(v);
}

function nonNegativeInt(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad(`${where} must be a non-negative integer`, 'Rewrite the file with `ddc chain deploy`');
  return v;
}

/** Validates parsed JSON as a version 1 deployment; unknown keys are refused. */
export function parseDeployment(input: unknown): Deployment {
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw bad('not a JSON object', 'Pass the file written by `ddc chain deploy` or `ddc dev`');
  const o = input as Record<string, unknown>;
  if (o.format !== DEPLOYMENT_FORMAT) throw bad(`format is ${JSON.stringify(o.format)}`, `Expected "${DEPLOYMENT_FORMAT}"`);
  if (o.version !== DEPLOYMENT_VERSION) throw bad(`version ${String(o.version)}`, `This build reads version ${DEPLOYMENT_VERSION}; upgrade DDC or redeploy`);
  for (const k of Object.keys(o)) if (!KEYS.includes(k)) throw bad(`unknown key "${k}"`, `Remove it; allowed keys are ${KEYS.join(', ')}`);
  const chainId = nonNegativeInt(o.chainId, 'chainId');
  if (chainId === 0) throw bad('chainId is 0', 'Use the chain id the contracts were deployed to');
  if (typeof o.devToken !== 'boolean') throw bad('devToken must be true or false', 'Rewrite the file with `ddc chain deploy`');
  const c = o.contracts;
  if (!c || typeof c !== 'object' || Array.isArray(c)) throw bad('contracts is missing', `List ${CONTRACT_KEYS.join(', ')}`);
  const cr = c as Record<string, unknown>;
  for (const k of Object.keys(cr)) if (!(CONTRACT_KEYS as readonly string[]).includes(k)) throw bad(`unknown contract "${k}"`, `Allowed: ${CONTRACT_KEYS.join(', ')}`);
  const contracts = Object.fromEntries(CONTRACT_KEYS.map((k) => [k, address(cr[k], `contracts.${k}`)])) as unknown as DeploymentContracts;
  return {
    format: DEPLOYMENT_FORMAT,
    version: DEPLOYMENT_VERSION,
    chainId,
    deployBlock: nonNegativeInt(o.deployBlock, 'deployBlock'),
    deployer: address(o.deployer, 'deployer'),
    devToken: o.devToken,
    contracts,
  };
}

export function serializeDeployment(d: Deployment): string {
  return `${JSON.stringify(parseDeployment(d), null, 2)}\n`;
}
