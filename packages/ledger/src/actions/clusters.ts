/** Clusters: create, update terms, hand over management, read. */
import type { Address } from 'viem';
import type { Ledger } from '../connect.js';
import { clusters } from '../contracts.js';
import { eventOf, read, sendTx, type TxResult } from '../tx.js';
import type { Cluster, ClusterLayout, ClusterTerms } from '../types.js';
import * as v from '../validate.js';

function checkLayout(l: ClusterLayout): ClusterLayout {
  return { k: v.uintN('k', l.k, 16), m: v.uintN('m', l.m, 16), replicationThreshold: v.uintN('replicationThreshold', l.replicationThreshold, 32) };
}

function checkTerms(t: ClusterTerms): ClusterTerms {
  return {
    pricePerGbMonth: v.amount('pricePerGbMonth', t.pricePerGbMonth),
    pricePerGbTransferred: v.amount('pricePerGbTransferred', t.pricePerGbTransferred),
    pricePerMillionRequests: v.amount('pricePerMillionRequests', t.pricePerMillionRequests),
    treasuryBps: v.uintN('treasuryBps', t.treasuryBps, 16),
    validatorBps: v.uintN('validatorBps', t.validatorBps, 16),
    reserveBps: v.uintN('reserveBps', t.reserveBps, 16),
    nodeBond: v.amount('nodeBond', t.nodeBond),
    unbondingDelay: v.uintN('unbondingDelay', t.unbondingDelay, 32),
    depositUnlockDelay: v.uintN('depositUnlockDelay', t.depositUnlockDelay, 32),
  };
}

export async function createCluster(ledger: Ledger, params: { layout: ClusterLayout; terms: ClusterTerms }): Promise<TxResult & { clusterId: number }> {
  const c = clusters(ledger);
  const tx = await sendTx(ledger, c, 'createCluster', [checkLayout(params.layout), checkTerms(params.terms)]);
  return { ...tx, clusterId: eventOf(tx, c, 'ClusterCreated').args.clusterId };
}

/** Replaces the terms (the layout never changes). Only the manager may. */
export async function updateCluster(ledger: Ledger, clusterId: number, terms: ClusterTerms): Promise<TxResult> {
  return sendTx(ledger, clusters(ledger), 'updateCluster', [v.clusterId(clusterId), checkTerms(terms)]);
}

export async function setClusterManager(ledger: Ledger, clusterId: number, manager: Address): Promise<TxResult> {
  return sendTx(ledger, clusters(ledger), 'setManager', [v.clusterId(clusterId), v.address('manager', manager)]);
}

export async function getCluster(ledger: Ledger, clusterId: number): Promise<Cluster> {
  const c = clusters(ledger);
  const r = await read({ contract: c.name, functionName: 'getCluster' }, () => ledger.publicClient.readContract({ ...c, functionName: 'getCluster', args: [v.clusterId(clusterId)] }));
  return { clusterId, manager: r.manager, layout: { ...r.layout }, terms: { ...r.terms }, createdAt: r.createdAt };
}

export async function clusterCount(ledger: Ledger): Promise<number> {
  const c = clusters(ledger);
  return read({ contract: c.name, functionName: 'clusterCount' }, () => ledger.publicClient.readContract({ ...c, functionName: 'clusterCount' }));
}
