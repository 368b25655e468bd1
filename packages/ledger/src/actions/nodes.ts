/** Storage nodes: register, bond, join, chill/activate, unbond, leave, read. */
import type { Hex } from 'viem';
import type { Ledger } from '../connect.js';
import { nodes } from '../contracts.js';
import { read, sendTx, type TxResult } from '../tx.js';
import { NODE_STATUSES, type NodeRecord } from '../types.js';
import * as v from '../validate.js';
import { ensureAllowance } from './token.js';

export interface RegisterNodeParams {
  /** The node's Ed25519 public key (32 bytes). */
  nodeKey: Hex | Uint8Array;
  url: string;
  zone: string;
  /** Bytes the node offers. */
  capacity: bigint;
}

function fields(p: Omit<RegisterNodeParams, 'nodeKey'>): [string, string, bigint] {
  return [p.url, p.zone, v.amount('capacity', p.capacity, 64)];
}

export async function registerNode(ledger: Ledger, p: RegisterNodeParams): Promise<TxResult> {
  return sendTx(ledger, nodes(ledger), 'registerNode', [v.key32('nodeKey', p.nodeKey), ...fields(p)]);
}

export async function updateNode(ledger: Ledger, p: RegisterNodeParams): Promise<TxResult> {
  return sendTx(ledger, nodes(ledger), 'updateNode', [v.key32('nodeKey', p.nodeKey), ...fields(p)]);
}

export interface TokenPullOptions {
  /** Approve the contract for the amount first when needed. Default true. */
  approve?: boolean;
}

/** Adds `amount` to the node's bond (approving the registry first unless told not to). */
export async function bond(ledger: Ledger, nodeKey: Hex | Uint8Array, amount: bigint, options: TokenPullOptions = {}): Promise<TxResult> {
  const c = nodes(ledger);
  if (options.approve !== false) await ensureAllowance(ledger, c.address, v.amount('amount', amount));
  return sendTx(ledger, c, 'bond', [v.key32('nodeKey', nodeKey), amount]);
}

export async function joinCluster(ledger: Ledger, nodeKey: Hex | Uint8Array, clusterId: number): Promise<TxResult> {
  return sendTx(ledger, nodes(ledger), 'joinCluster', [v.key32('nodeKey', nodeKey), v.clusterId(clusterId)]);
}

export async function chill(ledger: Ledger, nodeKey: Hex | Uint8Array): Promise<TxResult> {
  return sendTx(ledger, nodes(ledger), 'chill', [v.key32('nodeKey', nodeKey)]);
}

export async function activate(ledger: Ledger, nodeKey: Hex | Uint8Array): Promise<TxResult> {
  return sendTx(ledger, nodes(ledger), 'activate', [v.key32('nodeKey', nodeKey)]);
}

/** Starts the cluster's unbonding delay; the node leaves placement at once. */
export async function unbond(ledger: Ledger, nodeKey: Hex | Uint8Array): Promise<TxResult> {
  return sendTx(ledger, nodes(ledger), 'unbond', [v.key32('nodeKey', nodeKey)]);
}

/** Withdraws the bond and leaves the cluster; reverts with StakeLocked before the delay is over. */
export async function leave(ledger: Ledger, nodeKey: Hex | Uint8Array): Promise<TxResult> {
  return sendTx(ledger, nodes(ledger), 'leave', [v.key32('nodeKey', nodeKey)]);
}

/** The same as `leave`: the bond comes back when the node leaves. */
export const withdrawBond = leave;

type RawNode = { provider: Hex; clusterId: number; status: number; capacity: bigint; bond: bigint; unlockAt: bigint; url: string; zone: string };

function toRecord(nodeKey: Hex, n: RawNode): NodeRecord {
  return { nodeKey, provider: n.provider, clusterId: n.clusterId, status: NODE_STATUSES[n.status] ?? 'none', capacity: n.capacity, bond: n.bond, unlockAt: n.unlockAt, url: n.url, zone: n.zone };
}

export async function getNode(ledger: Ledger, nodeKey: Hex | Uint8Array): Promise<NodeRecord> {
  const c = nodes(ledger);
  const key = v.key32('nodeKey', nodeKey);
  const n = await read({ contract: c.name, functionName: 'getNode' }, () => ledger.publicClient.readContract({ ...c, functionName: 'getNode', args: [key] }));
  return toRecord(key, n);
}

/** Every node in the cluster, whatever its status; `blockNumber` pins the read to one block. */
export async function getClusterNodes(ledger: Ledger, clusterId: number, blockNumber?: bigint): Promise<NodeRecord[]> {
  const c = nodes(ledger);
  const list = await read({ contract: c.name, functionName: 'getClusterNodes' }, () =>
    ledger.publicClient.readContract({ ...c, functionName: 'getClusterNodes', args: [v.clusterId(clusterId)], ...(blockNumber === undefined ? {} : { blockNumber }) }),
  );
  return list.map((x) => toRecord(x.nodeKey, x.node));
}

export async function totalBonded(ledger: Ledger): Promise<bigint> {
  const c = nodes(ledger);
  return read({ contract: c.name, functionName: 'totalBonded' }, () => ledger.publicClient.readContract({ ...c, functionName: 'totalBonded' }));
}
