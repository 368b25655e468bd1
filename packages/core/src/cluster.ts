/**
 * The cluster descriptor: who serves a cluster and with which stripe parameters.
 * Until membership is read from the ledger, it comes from a JSON file (version 1).
 */
import { DdcError } from './errors.js';
import { validateStripeParams } from './shard.js';
import { isPublicKeyHex } from './identity/keys.js';

export interface ClusterNode {
  /** Stable node id: lowercase letters, digits and dashes. */
  id: string;
  /** Base URL of the node's HTTP API, e.g. http://127.0.0.1:7001 */
  url: string;
  zone: string;
  /** The node's Ed25519 identity key, 64 lowercase hex digits (as in its /info). Optional. */
  publicKey?: string;
}

export interface ClusterDescriptor {
  version: 1;
  clusterId: string;
  /** Data shards per stripe. */
  k: number;
  /** Parity shards per stripe. */
  m: number;
  /** Pieces smaller than this many bytes are replicated m + 1 times instead of coded. */
  replicationThreshold: number;
  nodes: ClusterNode[];
}

/** Below 64 KiB a coded stripe would spread kilobyte shards over k + m requests; m + 1 whole copies cost fewer round trips. */
export const DEFAULT_REPLICATION_THRESHOLD = 64 * 1024;

const NODE_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

function invalid(what: string, hint: string): DdcError {
  return new DdcError('DDC_INVALID_CLUSTER', `invalid cluster descriptor: ${what}`, { hint });
}

function refuseUnknownKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) throw invalid(`unknown key "${key}" in ${where}`, `Remove it; allowed keys are ${allowed.join(', ')}`);
  }
}

/** Validates parsed JSON and returns a descriptor with defaults filled in. */
export function parseClusterDescriptor(input: unknown): ClusterDescriptor {
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw invalid('not a JSON object', 'Write the descriptor as {"version":1,"clusterId":...,"k":...,"m":...,"nodes":[...]}');
  const o = input as Record<string, unknown>;
  refuseUnknownKeys(o, ['version', 'clusterId', 'k', 'm', 'replicationThreshold', 'nodes'], 'the descriptor');
  if (o.version !== 1) throw invalid(`version ${String(o.version)}`, 'Set "version": 1');
  if (typeof o.clusterId !== 'string' || o.clusterId.length === 0) throw invalid('clusterId is missing', 'Give the cluster a non-empty "clusterId"');
  if (typeof o.k !== 'number' || typeof o.m !== 'number') throw invalid('k and m must be numbers', 'Set for example "k": 4, "m": 2');
  try {
    validateStripeParams(o.k, o.m);
  } catch (cause) {
    throw new DdcError('DDC_INVALID_CLUSTER', `invalid cluster descriptor: k=${o.k}, m=${o.m}`, { cause, hint: 'Use k >= 1, m >= 0 and k + m <= 256' });
  }
  const threshold = o.replicationThreshold ?? DEFAULT_REPLICATION_THRESHOLD;
  if (typeof threshold !== 'number' || !Number.isInteger(threshold) || threshold < 0) throw invalid('replicationThreshold must be a non-negative integer', 'Remove it to use 65536');
  if (!Array.isArray(o.nodes)) throw invalid('nodes must be an array', 'List the nodes as [{"id","url","zone"}, ...]');
  const ids = new Set<string>();
  const nodes: ClusterNode[] = o.nodes.map((n: unknown, i) => {
    if (!n || typeof n !== 'object') throw invalid(`nodes[${i}] is not an object`, 'Give each node an id, url and zone');
    const node = n as Record<string, unknown>;
    refuseUnknownKeys(node, ['id', 'url', 'zone', 'publicKey'], `nodes[${i}]`);
    if (typeof node.id !== 'string' || !NODE_ID.test(node.id)) throw invalid(`nodes[${i}].id "${String(node.id)}"`, 'Use 1-64 lowercase letters, digits and dashes');
    if (ids.has(node.id)) throw invalid(`node id "${node.id}" appears twice`, 'Give every node its own id');
    ids.add(node.id);
    if (typeof node.url !== 'string') throw invalid(`nodes[${i}].url is missing`, 'Give the node\'s base URL, e.g. http://127.0.0.1:7001');
    let url: URL;
    try {
      url = new URL(node.url);
    } catch (cause) {
      throw new DdcError('DDC_INVALID_CLUSTER', `invalid cluster descriptor: nodes[${i}].url "${node.url}" is not a URL`, { cause, hint: 'Use an absolute http(s) URL' });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(`nodes[${i}].url must be http or https`, 'Use an absolute http(s) URL');
    if (typeof node.zone !== 'string' || node.zone.length === 0) throw invalid(`nodes[${i}].zone is missing`, 'Name the zone (failure domain) the node runs in');
    if (node.publicKey !== undefined && !isPublicKeyHex(node.publicKey)) {
      throw invalid(`nodes[${i}].publicKey is not 64 lowercase hex digits`, 'Copy the key from the node\'s /info, or remove it');
    }
    const out: ClusterNode = { id: node.id, url: node.url.replace(/\/+$/, ''), zone: node.zone };
    if (node.publicKey !== undefined) out.publicKey = node.publicKey;
    return out;
  });
  if (nodes.length < o.k + o.m) {
    throw invalid(`${nodes.length} nodes cannot hold stripes of k + m = ${o.k + o.m} shards on distinct nodes`, 'Add nodes or lower k and m');
  }
  return { version: 1, clusterId: o.clusterId, k: o.k, m: o.m, replicationThreshold: threshold, nodes };
}

export interface StripeLayout {
  k: number;
  m: number;
  /** Shards in the stripe: k + m. */
  count: number;
  replicated: boolean;
}

/** How a piece of this length is stored in this cluster. */
export function stripeLayout(pieceLength: number, cluster: Pick<ClusterDescriptor, 'k' | 'm' | 'replicationThreshold'>): StripeLayout {
  if (pieceLength < cluster.replicationThreshold || cluster.k === 1) return { k: 1, m: cluster.m, count: cluster.m + 1, replicated: true };
  return { k: cluster.k, m: cluster.m, count: cluster.k + cluster.m, replicated: false };
}
