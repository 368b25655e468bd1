/**
 * Brings the dev chain's cluster in line with the dev nodes that run: creates the cluster
 * on first start, then registers, bonds and joins each node, updating URLs that changed
 * (dev nodes may get new ports on a restart). Safe to call on every start: it only sends
 * what differs. For `ddc dev`; real providers use the actions one by one.
 */
import type { Hex } from 'viem';
import { DdcError } from '@ddc/core';
import type { Ledger } from './connect.js';
import { clusterCount, createCluster, getCluster } from './actions/clusters.js';
import { activate, bond, getNode, joinCluster, registerNode, updateNode } from './actions/nodes.js';
import { parseCere } from './amounts.js';
import type { ClusterLayout, ClusterTerms } from './types.js';

export interface DevNodeSpec {
  nodeKey: Hex;
  url: string;
  zone: string;
  capacity?: bigint;
}

export interface DevClusterSpec {
  layout: ClusterLayout;
  /** Defaults: free prices, 100 CERE bond, 30 s unbonding and unlock delays (long enough to move shards in dev). */
  terms?: Partial<ClusterTerms>;
  nodes: readonly DevNodeSpec[];
  log?: (line: string) => void;
}

export const DEV_CLUSTER_TERMS: ClusterTerms = {
  pricePerGbMonth: 0n,
  pricePerGbTransferred: 0n,
  pricePerMillionRequests: 0n,
  treasuryBps: 0,
  validatorBps: 0,
  reserveBps: 0,
  nodeBond: parseCere('100'),
  unbondingDelay: 30,
  depositUnlockDelay: 30,
};

/** Returns the dev cluster's id (1 on a fresh chain). The ledger signs as the manager and provider of every node. */
export async function ensureDevCluster(ledger: Ledger, spec: DevClusterSpec): Promise<{ clusterId: number; changed: string[] }> {
  const log = spec.log ?? (() => undefined);
  const changed: string[] = [];
  let clusterId = 1;
  if ((await clusterCount(ledger)) === 0) {
    clusterId = (await createCluster(ledger, { layout: spec.layout, terms: { ...DEV_CLUSTER_TERMS, ...spec.terms } })).clusterId;
    changed.push(`created cluster ${clusterId}`);
  }
  const cluster = await getCluster(ledger, clusterId);
  const l = cluster.layout;
  if (l.k !== spec.layout.k || l.m !== spec.layout.m || l.replicationThreshold !== spec.layout.replicationThreshold) {
    throw new DdcError('DDC_INVALID_CONFIG', `the dev chain's cluster ${clusterId} has k=${l.k}, m=${l.m}, threshold ${l.replicationThreshold}, not the requested k=${spec.layout.k}, m=${spec.layout.m}, threshold ${spec.layout.replicationThreshold}`, {
      hint: 'A cluster layout never changes: start with the same k and m, or with a fresh data folder',
    });
  }
  for (const n of spec.nodes) {
    const existing = await getNode(ledger, n.nodeKey).catch((e: unknown) => {
      if (e instanceof DdcError && (e.details as { errorName?: string } | undefined)?.errorName === 'NodeNotFound') return undefined;
      throw e;
    });
    const fields = { nodeKey: n.nodeKey, url: n.url, zone: n.zone, capacity: n.capacity ?? 0n };
    if (!existing) {
      await registerNode(ledger, fields);
      changed.push(`registered ${n.nodeKey}`);
    } else if (existing.url !== n.url || existing.zone !== n.zone) {
      await updateNode(ledger, fields);
      changed.push(`updated ${n.nodeKey}`);
    }
    const node = await getNode(ledger, n.nodeKey);
    // A node someone unbonds on purpose is left alone: it is on its way out.
    if (node.status === 'unbonding') continue;
    if ((node.status === 'idle' || node.status === 'chilled') && node.bond < cluster.terms.nodeBond) {
      await bond(ledger, n.nodeKey, cluster.terms.nodeBond - node.bond);
      changed.push(`bonded ${n.nodeKey}`);
    }
    if (node.status === 'idle') {
      await joinCluster(ledger, n.nodeKey, clusterId);
      changed.push(`joined ${n.nodeKey}`);
    } else if (node.status === 'chilled') {
      await activate(ledger, n.nodeKey);
      changed.push(`activated ${n.nodeKey}`);
    }
  }
  if (changed.length) log(`dev chain: ${changed.length} change(s) to cluster ${clusterId}`);
  return { clusterId, changed };
}
