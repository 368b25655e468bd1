/**
 * The node's background workers, started when the node knows its cluster (config
 * `cluster` or `chain`, or a Membership passed to startNode): repair/rebalance and scrub, sharing one
 * HTTP transport to the other nodes.
 */
import { ChainMembership, FileMembership, UndiciTransport, requestSigner, type Membership, type Transport } from '@ddc/client';
import type { Ed25519KeyPair } from '@ddc/core';
import type { NodeChainConfig, NodeConfig } from '../config.js';
import type { Logger } from '../http/respond.js';
import { NodeMembership, type MembershipStatus } from '../membership/node-membership.js';
import type { PieceStore } from '../store/piece-store.js';
import { Peers } from './peers.js';
import { RepairWorker, type RepairStatus } from './repair.js';
import { ScrubWorker, type ScrubStatus } from './scrub.js';
import { TokenBucket } from './token-bucket.js';

export interface NodeWorkers {
  readonly membership: NodeMembership;
  readonly repair: RepairWorker;
  readonly scrub: ScrubWorker;
  status(): Promise<{ membership: MembershipStatus; repair: RepairStatus; scrub: ScrubStatus }>;
  /** Stops the timers and waits for passes under way to stop (they abort at the next step). */
  close(): Promise<void>;
}

export interface StartWorkersOptions {
  config: NodeConfig;
  store: PieceStore;
  log: Logger;
  /** Overrides config.cluster (tests, embedding). */
  membership?: Membership;
  transport?: Transport;
  /** Signs the workers' writes to other nodes (the node's identity key); default a fresh key. */
  identity?: Ed25519KeyPair;
  /** The buckets that reference a stored shard, sent along when repair moves or rebuilds it. */
  refsOf?: (id: string) => number[];
}

/** Membership from the ledger; viem is loaded only by nodes configured with `chain`. */
async function openChainMembership(chain: NodeChainConfig, log: Logger): Promise<Membership> {
  const { connectLedger, readDeploymentFile } = await import('@ddc/ledger/node');
  const ledger = connectLedger({ deployment: await readDeploymentFile(chain.deployment), rpcUrl: chain.rpcUrl });
  return ChainMembership.open({ ledger, clusterId: chain.clusterId, ...(chain.pollMs ? { pollMs: chain.pollMs } : {}), log });
}

/** Undefined when the node has no membership source: it then only stores and serves. */
export async function startWorkers(options: StartWorkersOptions): Promise<NodeWorkers | undefined> {
  const { config, store, log } = options;
  let inner = options.membership;
  let source = 'static';
  if (!inner && config.cluster) {
    inner = await FileMembership.open(config.cluster, { log });
    source = config.cluster;
  }
  if (!inner && config.chain) {
    inner = await openChainMembership(config.chain, log);
    source = `chain ${config.chain.rpcUrl} cluster ${config.chain.clusterId}`;
  }
  if (!inner) return undefined;
  const membership = new NodeMembership(inner, source);
  const ownsTransport = options.transport === undefined;
  const transport = options.transport ?? new UndiciTransport({ connections: 8, headersTimeoutMs: 60_000, bodyTimeoutMs: 60_000 });
  const repairBucket = new TokenBucket(0);
  const signer = requestSigner(options.identity);
  const repair = new RepairWorker({
    nodeId: config.id, store, membership, peers: new Peers(transport, repairBucket, signer), bucket: repairBucket, config: config.repair, log,
    ...(options.refsOf ? { refsOf: options.refsOf } : {}),
  });
  // Scrub reads at its own pace; the siblings it fetches to mend a copy are few and unmetered.
  const scrub = new ScrubWorker({ nodeId: config.id, store, membership, peers: new Peers(transport, new TokenBucket(0), signer), config: config.scrub, log });
  repair.start();
  scrub.start();
  let closing: Promise<void> | undefined;
  return {
    membership,
    repair,
    scrub,
    async status() {
      return { membership: await membership.status(), repair: repair.status(), scrub: scrub.status() };
    },
    close() {
      closing ??= (async () => {
        await Promise.allSettled([repair.close(), scrub.close()]);
        if (ownsTransport) await transport.close?.();
        if (!options.membership) await membership.close();
      })();
      return closing;
    },
  };
}
