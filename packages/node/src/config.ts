/**
 * The node's options: a typed object with documented defaults, validated at start.
 * Unknown keys are refused so a typo never silently falls back to a default.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { invalidConfig } from './errors.js';
import { parseRepairConfig, parseScrubConfig, type RepairConfig, type ScrubConfig } from './workers/config.js';
import { parseAuthConfig, type AuthConfig } from './auth/config.js';
import { parseRecordsConfig, type RecordsConfig } from './records/config.js';

/**
 * TEST-ONLY fault injection. Never set these on a node that holds real data: they make
 * the node lie on purpose so clients and validators can be tested against a bad node.
 */
export interface NodeFaults {
  /** Flip a byte in the payload of every shard served (GET shards/pieces, challenge leaves). */
  corruptReads?: boolean;
  /** Wait this many ms before answering any shard, piece or challenge request. */
  delayMs?: number;
  /** Answer challenges with a wrong proof (a flipped proof hash, or leaf byte), signed all the same. */
  badProofs?: boolean;
}

export interface NodeConfig {
  /** Config format version; always 1. */
  version: 1;
  /** Stable node id: 1-64 lowercase letters, digits and dashes (as in the cluster descriptor). */
  id: string;
  /** Failure domain the node runs in. */
  zone: string;
  /** Folder of the piece store (created if missing). Relative paths resolve against the config file's folder. */
  dataDir: string;
  /** Address to listen on. Default 127.0.0.1. */
  host: string;
  /** Port to listen on; 0 picks a free one. Default 0. */
  port: number;
  /** Largest request body: the largest v1 shard with its header. Default 16 MiB + 64 KiB. */
  maxShardBytes: number;
  /** Shards at most this many bytes (header included) live inside LMDB; larger ones are files. Default 528 KiB (512 KiB + 16 KiB). */
  inlineThreshold: number;
  /** PUTs running at once. Default 32. */
  maxConcurrentWrites: number;
  /** PUTs waiting for a slot; past this the node answers 503 DDC_BUSY. Default 256. */
  maxQueuedWrites: number;
  /** Longest time to receive a whole request (headers and body). Default 120000. */
  requestTimeoutMs: number;
  /** Longest time close() waits for in-flight writes before cutting them off. Default 10000. */
  shutdownTimeoutMs: number;
  /** TEST-ONLY, see NodeFaults. */
  faults?: NodeFaults;
  /** Cluster descriptor file (relative to the config file's folder); without it (and without `chain`) the repair and scrub workers stay off. */
  cluster?: string;
  /**
   * Membership read from the ledger instead of a descriptor file (exclusive with `cluster`).
   * The node's id is then derived from its identity key (`n` + 24 hex digits, as the chain
   * membership names nodes), whatever `id` says: `id` only names it in logs.
   */
  chain?: NodeChainConfig;
  /** The repair and rebalance worker (workers/config.ts has the defaults). */
  repair: RepairConfig;
  /** The scrub worker (workers/config.ts has the defaults). */
  scrub: ScrubConfig;
  /** Signed requests (auth/config.ts has the defaults). */
  auth: AuthConfig;
  /** Object records and their sync (records/config.ts has the defaults). */
  records: RecordsConfig;
}

export interface NodeChainConfig {
  /** The chain's JSON-RPC URL (http or https). */
  rpcUrl: string;
  /** The deployment file (relative to the config file's folder). */
  deployment: string;
  /** The cluster's id on chain. */
  clusterId: number;
  /** How often new blocks are checked for membership events, in ms. Default 2000. */
  pollMs?: number;
}

/** What a caller writes: the required keys, and any defaults it wants to override. */
export type NodeConfigInput = Pick<NodeConfig, 'version' | 'id' | 'zone' | 'dataDir'> &
  Partial<Omit<NodeConfig, 'version' | 'id' | 'zone' | 'dataDir' | 'repair' | 'scrub' | 'auth' | 'records'>> & { repair?: Partial<RepairConfig>; scrub?: Partial<ScrubConfig>; auth?: Partial<AuthConfig>; records?: Partial<RecordsConfig> };

export const NODE_CONFIG_DEFAULTS = {
  host: '127.0.0.1',
  port: 0,
  maxShardBytes: 16 * 1024 * 1024 + 64 * 1024,
  // The shards of a 1 MiB piece for any k >= 2 (256 KiB + header at k = 4) commit inside LMDB:
  // concurrent PUTs share one transaction and one fsync, where a file each cost an inode, a rename
  // and two fsyncs (measured: put 33-36% and repair 11-28% faster; docs/BENCHMARKS.md).
  inlineThreshold: 512 * 1024 + 16 * 1024,
  maxConcurrentWrites: 32,
  maxQueuedWrites: 256,
  requestTimeoutMs: 120_000,
  shutdownTimeoutMs: 10_000,
} as const;

const KEYS = ['version', 'id', 'zone', 'dataDir', 'faults', 'cluster', 'chain', 'repair', 'scrub', 'auth', 'records', ...Object.keys(NODE_CONFIG_DEFAULTS)] as const;
const FAULT_KEYS = ['corruptReads', 'delayMs', 'badProofs'] as const;
const CHAIN_KEYS = ['rpcUrl', 'deployment', 'clusterId', 'pollMs'] as const;
const NODE_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** LMDB keeps values of this size well; bigger shards belong in files. */
const MAX_INLINE = 1024 * 1024;

type Bounds = readonly [min: number, max: number];
const INT_BOUNDS: Record<keyof typeof NODE_CONFIG_DEFAULTS & string, Bounds | undefined> = {
  host: undefined,
  port: [0, 65535],
  maxShardBytes: [1024, 2 ** 32 - 1],
  inlineThreshold: [0, MAX_INLINE],
  maxConcurrentWrites: [1, 65536],
  maxQueuedWrites: [0, 1_000_000],
  requestTimeoutMs: [100, 24 * 3600 * 1000],
  shutdownTimeoutMs: [0, 3600 * 1000],
};

function refuseUnknown(o: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) throw invalidConfig(`unknown key ${JSON.stringify(key)} in ${where}`, `Remove it; allowed keys are ${allowed.join(', ')}`);
  }
}

function int(name: string, value: unknown, [min, max]: Bounds): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidConfig(`${name} is ${JSON.stringify(value)}`, `Set ${name} to an integer from ${min} to ${max}`);
  }
  return value;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseFaults(input: unknown): NodeFaults {
  if (!isObject(input)) throw invalidConfig('faults must be an object', 'Write e.g. "faults": {"corruptReads": true} (tests only)');
  refuseUnknown(input, FAULT_KEYS, 'faults');
  const faults: NodeFaults = {};
  if (input.corruptReads !== undefined) {
    if (typeof input.corruptReads !== 'boolean') throw invalidConfig('faults.corruptReads must be true or false', 'Remove it or set a boolean');
    faults.corruptReads = input.corruptReads;
  }
  if (input.delayMs !== undefined) faults.delayMs = int('faults.delayMs', input.delayMs, [0, 60_000]);
  if (input.badProofs !== undefined) {
    if (typeof input.badProofs !== 'boolean') throw invalidConfig('faults.badProofs must be true or false', 'Remove it or set a boolean');
    faults.badProofs = input.badProofs;
  }
  return faults;
}

function parseChain(input: unknown, baseDir: string): NodeChainConfig {
  const example = 'Write e.g. "chain": {"rpcUrl": "http://127.0.0.1:8545", "deployment": "../deployment.json", "clusterId": 1}';
  if (!isObject(input)) throw invalidConfig('chain must be an object', example);
  refuseUnknown(input, CHAIN_KEYS, 'chain');
  let url: URL | undefined;
  try {
    url = typeof input.rpcUrl === 'string' ? new URL(input.rpcUrl) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw invalidConfig(`chain.rpcUrl ${JSON.stringify(input.rpcUrl)}`, 'Set it to the chain\'s http(s) JSON-RPC URL');
  if (typeof input.deployment !== 'string' || input.deployment.length === 0 || input.deployment.includes('\0')) throw invalidConfig('chain.deployment must be a path', example);
  const chain: NodeChainConfig = { rpcUrl: input.rpcUrl as string, deployment: resolve(baseDir, input.deployment), clusterId: int('chain.clusterId', input.clusterId, [1, Number.MAX_SAFE_INTEGER]) };
  if (input.pollMs !== undefined) chain.pollMs = int('chain.pollMs', input.pollMs, [10, 3_600_000]);
  return chain;
}

/**
 * Validates parsed JSON (or an object from code) and returns a config with every default
 * filled in. A relative dataDir resolves against baseDir (default: the working folder).
 */
export function parseNodeConfig(input: unknown, baseDir?: string): NodeConfig {
  if (!isObject(input)) throw invalidConfig('not a JSON object', 'Write {"version":1,"id":"node-1","zone":"zone-a","dataDir":"data"}');
  refuseUnknown(input, KEYS, 'the node config');
  if (input.version !== 1) throw invalidConfig(`version ${JSON.stringify(input.version)}`, 'Set "version": 1');
  if (typeof input.id !== 'string' || !NODE_ID.test(input.id)) {
    throw invalidConfig(`id ${JSON.stringify(input.id)}`, 'Use 1-64 lowercase letters, digits and dashes, starting with a letter or digit');
  }
  if (typeof input.zone !== 'string' || input.zone.length === 0 || input.zone.length > 64) {
    throw invalidConfig(`zone ${JSON.stringify(input.zone)}`, 'Name the zone (failure domain) in 1-64 characters');
  }
  if (typeof input.dataDir !== 'string' || input.dataDir.length === 0 || input.dataDir.includes('\0')) {
    throw invalidConfig('dataDir is missing', 'Set "dataDir" to the folder that holds this node\'s shards');
  }
  const host = input.host === undefined ? NODE_CONFIG_DEFAULTS.host : input.host;
  if (typeof host !== 'string' || host.length === 0) throw invalidConfig('host must be a non-empty string', 'Use e.g. "127.0.0.1" or "0.0.0.0"');
  const num = (key: keyof typeof INT_BOUNDS): number => int(key, input[key] === undefined ? NODE_CONFIG_DEFAULTS[key] : input[key], INT_BOUNDS[key]!);
  const config: NodeConfig = {
    version: 1,
    id: input.id,
    zone: input.zone,
    dataDir: resolve(baseDir ?? process.cwd(), input.dataDir),
    host,
    port: num('port'),
    maxShardBytes: num('maxShardBytes'),
    inlineThreshold: num('inlineThreshold'),
    maxConcurrentWrites: num('maxConcurrentWrites'),
    maxQueuedWrites: num('maxQueuedWrites'),
    requestTimeoutMs: num('requestTimeoutMs'),
    shutdownTimeoutMs: num('shutdownTimeoutMs'),
    repair: parseRepairConfig(input.repair),
    scrub: parseScrubConfig(input.scrub),
    auth: parseAuthConfig(input.auth),
    records: parseRecordsConfig(input.records),
  };
  if (input.cluster !== undefined) {
    if (typeof input.cluster !== 'string' || input.cluster.length === 0 || input.cluster.includes('\0')) {
      throw invalidConfig('cluster must be a path', 'Set "cluster" to the cluster descriptor file (e.g. "../cluster.json"), or leave it out');
    }
    config.cluster = resolve(baseDir ?? process.cwd(), input.cluster);
  }
  if (input.chain !== undefined) {
    if (config.cluster !== undefined) throw invalidConfig('both cluster and chain are set', 'Keep one membership source: "cluster" (a descriptor file) or "chain" (the ledger)');
    config.chain = parseChain(input.chain, baseDir ?? process.cwd());
  }
  if (config.inlineThreshold > config.maxShardBytes) {
    throw invalidConfig(`inlineThreshold ${config.inlineThreshold} exceeds maxShardBytes ${config.maxShardBytes}`, 'Lower inlineThreshold');
  }
  if (input.faults !== undefined) config.faults = parseFaults(input.faults);
  return config;
}

/** Reads a JSON config file; a relative dataDir is taken relative to the file's folder. */
export async function loadNodeConfig(file: string): Promise<NodeConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw invalidConfig(`cannot read ${file}`, 'Check the --config path', cause);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw invalidConfig(`${file} is not valid JSON`, 'Fix the JSON syntax', cause);
  }
  return parseNodeConfig(json, dirname(resolve(file)));
}
