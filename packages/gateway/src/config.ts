/**
 * The gateway's options: a typed object with documented defaults, validated at start.
 * Unknown keys are refused so a typo never silently falls back to a default. A config file
 * (`ddc gateway start --config FILE`) is the same object as JSON; relative paths in it
 * resolve against the file's folder.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DdcError } from '@ddc/core';
import type { DdcClient } from '@ddc/client';
import type { Ledger } from '@ddc/ledger';

export interface GatewayChainConfig {
  /** The chain's JSON-RPC URL. */
  rpcUrl: string;
  /** The deployment file (contract addresses). */
  deployment: string;
  /** The cluster's id on chain (membership, and where S3 CreateBucket puts new buckets). */
  clusterId: number;
  /** How often membership events are checked, in ms. Default 2000. */
  pollMs?: number;
}

export interface GatewayIdentityConfig {
  /** A keystore file (docs/ACCESS.md "Keystore file v1"). Default: DATA/identity.json, made with a new phrase on first start. */
  keystore?: string;
  /** The keystore's passphrase. Default: DDC_GATEWAY_PASSPHRASE, else "" (the generated keystore has none; its file is mode 0600). */
  passphrase?: string;
  /** Programmatic use and tests: a recovery phrase instead of a keystore. */
  mnemonic?: string;
}

export interface GatewayCacheConfig {
  /** Bytes of verified blocks kept on disk (DATA/cache). Default 1 GiB; 0 turns the cache off. */
  maxBytes: number;
}

export interface GatewayConfig {
  /** Address to listen on. Default 127.0.0.1. */
  host: string;
  /** Port to listen on; 0 picks a free one. Default 0. */
  port: number;
  /** The gateway's folder: identity, access keys, bucket names, cache. Created if missing. */
  dataDir: string;
  cache: GatewayCacheConfig;
  /** A cluster descriptor file (static membership); exclusive with `chain`. */
  cluster?: string;
  /** Membership and buckets from the ledger; exclusive with `cluster`. */
  chain?: GatewayChainConfig;
  identity: GatewayIdentityConfig;
  /** Max-age of /ddc/ answers (a key can get a new version; ETag revalidates). Default 60. */
  ddcMaxAgeSeconds: number;
  /** How long a request may take end to end, in ms (0: no limit). Default 0: large objects stream for long. */
  requestTimeoutMs: number;
  /** The S3 API's settings (src/s3/context.ts has their defaults). */
  s3: GatewayS3Config;
}

export interface GatewayS3Config {
  /** Region reported to clients (any is accepted in signatures). Default us-east-1. */
  region?: string;
  /** Host names whose subdomains name a bucket (virtual-host style). Default ['localhost']. */
  virtualHostBases?: string[];
  /** Size limits (maxPutBytes, maxPartBytes, minPartBytes, maxParts, maxXmlBytes). */
  limits?: Partial<Record<'maxPutBytes' | 'maxPartBytes' | 'minPartBytes' | 'maxParts' | 'maxXmlBytes', number>>;
}

/** What a program passes to startGateway: the config, plus ready-made SDK objects. */
export interface GatewayOptions extends Partial<Omit<GatewayConfig, 'cache' | 'identity' | 'dataDir' | 's3'>> {
  s3?: GatewayS3Config;
  dataDir: string;
  cache?: Partial<GatewayCacheConfig>;
  identity?: GatewayIdentityConfig;
  /** A ready client instead of `cluster`/`chain` (its blockCache option is not the gateway's: pass `cluster` to get the edge cache, or build the client with gateway.cache). */
  client?: DdcClient;
  /** A ready ledger connection (buckets, visibility, revocations); with `client`. It signs as the gateway's account when it has one. */
  ledger?: Ledger;
  /** The cluster on chain (S3 CreateBucket) when `ledger` is given. */
  clusterId?: number;
}

export const GATEWAY_DEFAULTS = {
  host: '127.0.0.1',
  port: 0,
  cacheMaxBytes: 1024 ** 3,
  ddcMaxAgeSeconds: 60,
  requestTimeoutMs: 0,
} as const;

const KEYS = ['host', 'port', 'dataDir', 'cache', 'cluster', 'chain', 'identity', 'ddcMaxAgeSeconds', 'requestTimeoutMs', 's3', 'client', 'ledger', 'clusterId'];
/** A config file holds no live objects. */
const FILE_KEYS = KEYS.filter((k) => k !== 'client' && k !== 'ledger');
const CHAIN_KEYS = ['rpcUrl', 'deployment', 'clusterId', 'pollMs'];
const IDENTITY_KEYS = ['keystore', 'passphrase', 'mnemonic'];
const CACHE_KEYS = ['maxBytes'];
const S3_KEYS = ['region', 'virtualHostBases', 'limits'];
const S3_LIMIT_KEYS = ['maxPutBytes', 'maxPartBytes', 'minPartBytes', 'maxParts', 'maxXmlBytes'];

function invalid(message: string, hint: string): DdcError {
  return new DdcError('DDC_INVALID_CONFIG', `gateway config: ${message}`, { hint });
}

function refuseUnknown(o: object, allowed: string[], where: string): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) throw invalid(`unknown key ${JSON.stringify(key)} in ${where}`, `Remove it; allowed keys are ${allowed.join(', ')}`);
  }
}

function int(name: string, v: unknown, fallback: number, min: number, max: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw invalid(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`, `Leave ${name} out for ${fallback}`);
  return v;
}

function str(name: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) throw invalid(`${name} must be a non-empty string`, `Set ${name}`);
  return v;
}

function object(name: string, v: unknown): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw invalid(`${name} must be an object`, `See docs/GATEWAY.md "Configuration"`);
  return v as Record<string, unknown>;
}

/** Validates options and fills in defaults. `base` resolves relative paths (a config file's folder). */
export function resolveGatewayConfig(o: GatewayOptions, base = process.cwd()): GatewayConfig {
  const opts = object('the options', o);
  refuseUnknown(opts, KEYS, 'the gateway options');
  const config: GatewayConfig = {
    host: o.host === undefined ? GATEWAY_DEFAULTS.host : str('host', o.host),
    port: int('port', o.port, GATEWAY_DEFAULTS.port, 0, 65535),
    dataDir: resolve(base, str('dataDir', o.dataDir)),
    cache: { maxBytes: GATEWAY_DEFAULTS.cacheMaxBytes },
    identity: {},
    ddcMaxAgeSeconds: int('ddcMaxAgeSeconds', o.ddcMaxAgeSeconds, GATEWAY_DEFAULTS.ddcMaxAgeSeconds, 0, 31_536_000),
    requestTimeoutMs: int('requestTimeoutMs', o.requestTimeoutMs, GATEWAY_DEFAULTS.requestTimeoutMs, 0, 7 * 24 * 3600 * 1000),
    s3: {},
  };
  if (o.s3 !== undefined) {
    const s3 = object('s3', o.s3);
    refuseUnknown(s3, S3_KEYS, 's3');
    if (s3.region !== undefined) config.s3.region = str('s3.region', s3.region);
    if (s3.virtualHostBases !== undefined) {
      const bases = s3.virtualHostBases;
      if (!Array.isArray(bases) || !bases.every((b) => typeof b === 'string' && /^[a-z0-9.-]+$/.test(b))) throw invalid('s3.virtualHostBases must be a list of host names', 'E.g. ["localhost", "s3.example.com"]');
      config.s3.virtualHostBases = [...bases] as string[];
    }
    if (s3.limits !== undefined) {
      const limits = object('s3.limits', s3.limits);
      refuseUnknown(limits, S3_LIMIT_KEYS, 's3.limits');
      config.s3.limits = {};
      for (const k of S3_LIMIT_KEYS as (keyof NonNullable<GatewayS3Config['limits']>)[]) {
        if (limits[k] !== undefined) config.s3.limits[k] = int(`s3.limits.${k}`, limits[k], 1, 1, Number.MAX_SAFE_INTEGER);
      }
    }
  }
  if (o.cache !== undefined) {
    refuseUnknown(object('cache', o.cache), CACHE_KEYS, 'cache');
    config.cache.maxBytes = int('cache.maxBytes', o.cache.maxBytes, GATEWAY_DEFAULTS.cacheMaxBytes, 0, Number.MAX_SAFE_INTEGER);
  }
  if (o.identity !== undefined) {
    const id = object('identity', o.identity);
    refuseUnknown(id, IDENTITY_KEYS, 'identity');
    if (id.keystore !== undefined && id.mnemonic !== undefined) throw invalid('identity has both keystore and mnemonic', 'Keep one of them');
    if (id.keystore !== undefined) config.identity.keystore = resolve(base, str('identity.keystore', id.keystore));
    if (id.passphrase !== undefined) {
      if (typeof id.passphrase !== 'string') throw invalid('identity.passphrase must be a string', 'Or set DDC_GATEWAY_PASSPHRASE');
      config.identity.passphrase = id.passphrase;
    }
    if (id.mnemonic !== undefined) config.identity.mnemonic = str('identity.mnemonic', id.mnemonic);
  }
  const sources = [o.cluster !== undefined, o.chain !== undefined, o.client !== undefined].filter(Boolean).length;
  if (sources !== 1) throw invalid(sources ? 'cluster, chain and client exclude each other' : 'no cluster to serve', 'Set exactly one of cluster (a descriptor file), chain ({rpcUrl, deployment, clusterId}) or client');
  if (o.cluster !== undefined) config.cluster = resolve(base, str('cluster', o.cluster));
  if (o.chain !== undefined) {
    const c = object('chain', o.chain);
    refuseUnknown(c, CHAIN_KEYS, 'chain');
    config.chain = {
      rpcUrl: str('chain.rpcUrl', c.rpcUrl),
      deployment: resolve(base, str('chain.deployment', c.deployment)),
      clusterId: int('chain.clusterId', c.clusterId, 0, 1, Number.MAX_SAFE_INTEGER),
      ...(c.pollMs !== undefined ? { pollMs: int('chain.pollMs', c.pollMs, 2000, 50, 3_600_000) } : {}),
    };
    if (!/^https?:\/\//.test(config.chain.rpcUrl)) throw invalid(`chain.rpcUrl ${config.chain.rpcUrl} is not an http(s) URL`, 'Use the RPC URL of the chain, e.g. http://127.0.0.1:8545');
  }
  if (o.ledger !== undefined && o.client === undefined) throw invalid('ledger is only taken with client', 'Pass chain instead, or client and ledger together');
  return config;
}

/** Reads a JSON config file (no live objects: client/ledger are refused). */
export async function loadGatewayConfigFile(path: string): Promise<GatewayOptions> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new DdcError('DDC_INVALID_CONFIG', `cannot read the gateway config ${path}`, { cause, hint: 'Check the path given to --config' });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new DdcError('DDC_INVALID_CONFIG', `the gateway config ${path} is not valid JSON`, { cause, hint: 'Fix the file (docs/GATEWAY.md "Configuration")' });
  }
  refuseUnknown(object('the config file', json), FILE_KEYS, path);
  const o = json as GatewayOptions;
  // Paths in the file are relative to its folder.
  const base = dirname(resolve(path));
  return {
    ...o,
    dataDir: resolve(base, str('dataDir', o.dataDir)),
    ...(o.cluster !== undefined ? { cluster: resolve(base, str('cluster', o.cluster)) } : {}),
    ...(o.chain !== undefined ? { chain: { ...object('chain', o.chain) as unknown as GatewayChainConfig, deployment: resolve(base, str('chain.deployment', o.chain.deployment)) } } : {}),
    ...(o.identity?.keystore !== undefined ? { identity: { ...o.identity, keystore: resolve(base, o.identity.keystore) } } : {}),
  };
}
