/** Helpers for the repair, rebalance and scrub tests: drive passes over HTTP, read node status. */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { clusterViewHash } from '@ddc/client';
import type { RepairRunSummary, ScrubPassSummary } from '@ddc/node';
import type { DevCluster } from '../src/index.js';

export interface NodeStatus {
  nodeId: string;
  membership: { hash: string | null; nodes: number } | null;
  store: { shards: number; bytes: number };
  repair: { running: boolean; last: RepairRunSummary | null } | null;
  scrub: { lastFullPassAt: string | null; findings: unknown[] } | null;
}

async function post<T>(url: string, body?: unknown): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await res.text();
  assert.ok(res.ok, `${url} answered ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

export function repairRun(url: string, body?: { pieces?: string[]; force?: boolean }): Promise<RepairRunSummary> {
  return post<RepairRunSummary>(`${url}/v1/repair/run`, body);
}

export function scrubRun(url: string): Promise<ScrubPassSummary> {
  return post<ScrubPassSummary>(`${url}/v1/scrub/run`);
}

export async function status(url: string): Promise<NodeStatus> {
  const res = await fetch(`${url}/v1/status`);
  assert.equal(res.status, 200);
  return (await res.json()) as NodeStatus;
}

function running(cluster: DevCluster) {
  return [...cluster.nodes.values()].filter((n) => n.process);
}

/** One repair pass on every running node, all at once; the summaries by node id. */
export async function repairAll(cluster: DevCluster): Promise<Map<string, RepairRunSummary>> {
  const nodes = running(cluster);
  const results = await Promise.all(nodes.map((n) => repairRun(n.url)));
  return new Map(nodes.map((n, i) => [n.id, results[i]!]));
}

/**
 * Concurrent passes may see a shard in flight between two nodes and fail on it; the next
 * pass retries. Runs passes until one has nothing to do (at most `maxPasses`) and returns
 * them all, the last one quiet.
 */
export async function repairUntilQuiet(cluster: DevCluster, maxPasses = 6): Promise<Map<string, RepairRunSummary>[]> {
  const passes: Map<string, RepairRunSummary>[] = [];
  for (let i = 0; i < maxPasses; i++) {
    const pass = await repairAll(cluster);
    passes.push(pass);
    if (total(pass, 'shardsMoved') + total(pass, 'shardsRepaired') + total(pass, 'failureCount') === 0) break;
  }
  return passes;
}

export function total(summaries: Map<string, RepairRunSummary>, field: 'shardsRepaired' | 'shardsMoved' | 'failureCount' | 'shortStripes'): number {
  return [...summaries.values()].reduce((n, s) => n + s[field], 0);
}

/** Waits until every running node's membership view is the cluster's current descriptor. */
export async function waitForMembership(cluster: DevCluster, timeoutMs = 15_000): Promise<void> {
  const want = clusterViewHash(cluster.descriptor());
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = await Promise.all(running(cluster).map(async (n) => (await status(n.url)).membership?.hash));
    if (seen.every((h) => h === want)) return;
    if (Date.now() > deadline) assert.fail(`nodes did not load membership ${want} in time: ${seen.join(', ')}`);
    await sleep(100);
  }
}
