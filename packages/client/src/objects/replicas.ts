/**
 * Where a bucket's records live: R = 3 nodes, the placement of `bucket:<id>` over the
 * cluster (the same homes the nodes sync records between). Writes need W = 2 acks, reads
 * R = 2 answers, so R + W > N and one writer reads its own writes.
 */
import { placeStripe, textEncoder, type ClusterNode } from '@ddc/core';
import type { ClusterView } from '../membership.js';

export const RECORD_REPLICAS = 3;
export const RECORD_WRITE_QUORUM = 2;
export const RECORD_READ_QUORUM = 2;

export function bucketPlacementKey(bucketId: number): Uint8Array {
  return textEncoder.encode(`bucket:${bucketId}`);
}

/** The record replicas of a bucket (fewer than 3 only in a cluster that small). */
export function recordReplicas(view: ClusterView, bucketId: number): ClusterNode[] {
  return placeStripe(bucketPlacementKey(bucketId), view.nodes, Math.min(RECORD_REPLICAS, view.nodes.length));
}

/** Quorums scaled down for clusters of fewer than 3 nodes (dev setups): a majority. */
export function quorumOf(replicas: number): number {
  return Math.min(replicas, Math.floor(replicas / 2) + 1);
}
