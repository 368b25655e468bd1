/**
 * Membership read from the ledger: a cluster's layout and its Active nodes, so placement
 * follows the chain. New blocks are checked every `pollMs` for NodeRegistry events of
 * this cluster (join, chill, activate, unbond, leave, update), which trigger a re-read;
 * a full re-read also runs every `refreshMs` in case an event was missed (an RPC that
 * prunes logs, a reorg). A failed read keeps the last good view; `current()` rejects
 * only while no view was ever loaded. Isomorphic: fetch-based RPC, no node: imports.
 */
import { DdcError, parseClusterDescriptor } from '@ddc/core';
import type { ClusterLayout, Ledger, NodeRecord } from '@ddc/ledger';

// Loaded on first use: a client given a static descriptor never pays for viem.
const ledgerModule = () => import('@ddc/ledger');
import type { ClusterView, Membership } from './membership.js';

export interface ChainMembershipOptions {
  /** A ledger connection (see `connectLedger` in @ddc/ledger); no signing key needed. */
  ledger: Ledger;
  /** The cluster's id on chain. */
  clusterId: number;
  /** How often new blocks are checked for membership events, in ms. Default 2000. */
  pollMs?: number;
  /** How often the whole membership is re-read regardless of events, in ms. Default 60000. */
  refreshMs?: number;
  /** Problems and view changes, one object each. Default: silent. */
  log?: (event: Record<string, unknown>) => void;
}

export interface ChainMembershipChange {
  view: ClusterView;
  /** The block the view was read at. */
  blockNumber: bigint;
  /** Distinct views loaded so far (1 for the first). */
  version: number;
}

const KEYS = ['ledger', 'clusterId', 'pollMs', 'refreshMs', 'log'];

function positiveMs(name: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) throw new DdcError('DDC_INVALID_CONFIG', `${name} must be an integer >= ${min}, got ${v}`, { hint: `Leave ${name} out to use the default` });
  return v;
}

function isHttpUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/** The view of a cluster given its layout and on-chain nodes: Active nodes only, sorted by id. */
export function clusterViewFromChain(chainId: number, clusterId: number, layout: ClusterLayout, nodes: readonly NodeRecord[], nodeIdFromKey: (key: `0x${string}`) => string, log: (e: Record<string, unknown>) => void = () => undefined): ClusterView {
  const active = nodes
    .filter((n) => n.status === 'active')
    .filter((n) => {
      // One node with a bad URL on chain must not take the whole cluster down.
      if (isHttpUrl(n.url)) return true;
      log({ event: 'membership-node-skipped', nodeKey: n.nodeKey, url: n.url, reason: 'not an http(s) URL' });
      return false;
    })
    .map((n) => ({ id: nodeIdFromKey(n.nodeKey), url: n.url, zone: n.zone, publicKey: n.nodeKey.slice(2).toLowerCase() }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return parseClusterDescriptor({ version: 1, clusterId: `chain-${chainId}-${clusterId}`, k: layout.k, m: layout.m, replicationThreshold: layout.replicationThreshold, nodes: active });
}

function sameView(a: ClusterView, b: ClusterView): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class ChainMembership implements Membership {
  readonly clusterId: number;
  private readonly ledger: Ledger;
  private readonly pollMs: number;
  private readonly refreshMs: number;
  private readonly log: (event: Record<string, unknown>) => void;
  private layout: ClusterLayout | undefined;
  private state: ChainMembershipChange | undefined;
  private problem: DdcError | undefined;
  private lastBlock: bigint | undefined;
  private lastFull = 0;
  private readonly listeners = new Set<(change: ChainMembershipChange) => void>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private ticking: Promise<void> | undefined;
  private closed = false;

  private constructor(options: ChainMembershipOptions) {
    for (const k of Object.keys(options)) {
      if (!KEYS.includes(k)) throw new DdcError('DDC_INVALID_CONFIG', `unknown chain membership option "${k}"`, { hint: `Allowed options are ${KEYS.join(', ')}` });
    }
    if (!Number.isSafeInteger(options.clusterId) || options.clusterId < 1) throw new DdcError('DDC_INVALID_CONFIG', `clusterId must be an integer >= 1, got ${options.clusterId}`, { hint: 'Cluster ids on chain start at 1' });
    this.ledger = options.ledger;
    this.clusterId = options.clusterId;
    this.pollMs = positiveMs('pollMs', options.pollMs ?? 2000, 10);
    this.refreshMs = positiveMs('refreshMs', options.refreshMs ?? 60_000, 100);
    this.log = options.log ?? (() => undefined);
  }

  /** Reads the membership once and starts following the chain. Rejects if the cluster does not exist. */
  static async open(options: ChainMembershipOptions): Promise<ChainMembership> {
    const m = new ChainMembership(options);
    m.layout = (await (await ledgerModule()).getCluster(m.ledger, m.clusterId)).layout;
    await m.reload();
    m.timer = setInterval(() => void m.tick(), m.pollMs);
    (m.timer as { unref?: () => void }).unref?.();
    return m;
  }

  async current(): Promise<ClusterView> {
    if (this.state) return this.state.view;
    throw this.problem ?? new DdcError('DDC_INVALID_CLUSTER', `no membership read for cluster ${this.clusterId} yet`, { hint: 'Check the RPC endpoint' });
  }

  get snapshot(): ChainMembershipChange | undefined {
    return this.state;
  }

  /** Why the latest read was not taken (the last good view stays), if it was not. */
  get lastError(): DdcError | undefined {
    return this.problem;
  }

  onChange(listener: (change: ChainMembershipChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Re-reads the whole membership at the latest block. */
  async reload(): Promise<void> {
    try {
      const blockNumber = await this.ledger.publicClient.getBlockNumber({ cacheTime: 0 });
      const { getClusterNodes, nodeIdFromKey } = await ledgerModule();
      const nodes = await getClusterNodes(this.ledger, this.clusterId, blockNumber);
      this.lastFull = Date.now();
      this.lastBlock = blockNumber;
      this.apply(clusterViewFromChain(this.ledger.deployment.chainId, this.clusterId, this.layout!, nodes, nodeIdFromKey, this.log), blockNumber);
      this.problem = undefined;
    } catch (e) {
      const err = e instanceof DdcError ? e : new DdcError('DDC_LEDGER_UNAVAILABLE', String(e), { cause: e });
      if (this.problem?.message !== err.message) this.log({ event: 'membership-error', clusterId: this.clusterId, code: err.code, message: err.message, keeping: this.state?.version ?? null });
      this.problem = err;
    }
  }

  private apply(view: ClusterView, blockNumber: bigint): void {
    if (this.state && sameView(this.state.view, view)) {
      this.state = { ...this.state, blockNumber };
      return;
    }
    const change: ChainMembershipChange = { view, blockNumber, version: (this.state?.version ?? 0) + 1 };
    this.state = change;
    this.log({ event: 'membership-changed', clusterId: this.clusterId, block: blockNumber.toString(), version: change.version, nodes: view.nodes.length });
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (e) {
        this.log({ event: 'error', message: `membership listener failed: ${String(e)}` });
      }
    }
  }

  /** One poll: re-read when this cluster's nodes emitted events since the last block seen, or when a full refresh is due. */
  private tick(): Promise<void> {
    if (this.ticking || this.closed) return this.ticking ?? Promise.resolve();
    this.ticking = (async () => {
      try {
        if (this.lastBlock === undefined || Date.now() - this.lastFull >= this.refreshMs) return await this.reload();
        const latest = await this.ledger.publicClient.getBlockNumber({ cacheTime: 0 });
        if (latest <= this.lastBlock) return;
        // Membership events put the cluster id in the first indexed topic (see NodeRegistry.sol).
        const logs = (await this.ledger.publicClient.request({
          method: 'eth_getLogs',
          params: [{ address: this.ledger.deployment.contracts.nodes, fromBlock: `0x${(this.lastBlock + 1n).toString(16)}`, toBlock: `0x${latest.toString(16)}`, topics: [null, `0x${this.clusterId.toString(16).padStart(64, '0')}`] }],
        } as never)) as unknown[];
        if (logs.length > 0) await this.reload();
        else this.lastBlock = latest;
      } catch (e) {
        const err = e instanceof DdcError ? e : new DdcError('DDC_LEDGER_UNAVAILABLE', `polling the chain failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e, hint: 'The last good view stays in use' });
        if (this.problem?.message !== err.message) this.log({ event: 'membership-error', clusterId: this.clusterId, code: err.code, message: err.message });
        this.problem = err;
      } finally {
        this.ticking = undefined;
      }
    })();
    return this.ticking;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    this.listeners.clear();
    await this.ticking;
  }
}
