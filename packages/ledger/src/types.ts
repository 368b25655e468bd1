/** Plain TypeScript shapes of what the contracts store, as the typed client returns them. */
import type { Address, Hex } from 'viem';

/** Fixed at creation: where a cluster's data lives depends on these. */
export interface ClusterLayout {
  k: number;
  m: number;
  /** Pieces smaller than this many bytes are stored as m + 1 copies. */
  replicationThreshold: number;
}

/** What a cluster's manager may change later. Amounts are token base units; delays are seconds. */
export interface ClusterTerms {
  pricePerGbMonth: bigint;
  pricePerGbTransferred: bigint;
  pricePerMillionRequests: bigint;
  treasuryBps: number;
  validatorBps: number;
  reserveBps: number;
  nodeBond: bigint;
  unbondingDelay: number;
  depositUnlockDelay: number;
}

export interface Cluster {
  clusterId: number;
  manager: Address;
  layout: ClusterLayout;
  terms: ClusterTerms;
  createdAt: bigint;
}

/** Order matches NodeRegistry.NodeStatus. */
export const NODE_STATUSES = ['none', 'idle', 'active', 'chilled', 'unbonding'] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];

export interface NodeRecord {
  /** The node's Ed25519 public key, 32 bytes as hex. */
  nodeKey: Hex;
  provider: Address;
  /** 0 while the node is in no cluster. */
  clusterId: number;
  status: NodeStatus;
  capacity: bigint;
  bond: bigint;
  /** When an unbonding node may leave (unix seconds); 0 otherwise. */
  unlockAt: bigint;
  url: string;
  zone: string;
}

export interface Bucket {
  bucketId: bigint;
  owner: Address;
  clusterId: number;
  isPublic: boolean;
  /** Unix seconds. */
  createdAt: number;
}

export interface DepositBalance {
  /** Can be charged; move it to `unlocking` with unlock(). */
  available: bigint;
  /** Waiting for the cluster's unlock delay; withdraw() after `unlockAt`. */
  unlocking: bigint;
  unlockAt: bigint;
}

export const VALIDATOR_STATUSES = ['none', 'active', 'unbonding'] as const;
export type ValidatorStatus = (typeof VALIDATOR_STATUSES)[number];

export interface ValidatorRecord {
  address: Address;
  signingKey: Hex;
  stake: bigint;
  status: ValidatorStatus;
  unlockAt: bigint;
  activeSince: bigint;
}
