/** Helpers for the repair, rebalance and scrub tests: drive passes over HTTP, read node status. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { clusterViewHash, pathAndQuery } from '@ddc/client';
import { decodeKeyFile, generateKeyPair, sha256, signRequest, toHex, UNSIGNED_PAYLOAD, type Ed25519KeyPair } from '@ddc/core';
import type { RepairRunSummary, ScrubPassSummary } from '@ddc/node';
import type { DevCluster } from '../src/index.js';

export interface NodeStatus {
  nodeId: string;
  membership: { hash: string | null; nodes: number } | null;
  store: { shards: number; bytes: number };
  repair: { running: boolean; last: RepairRunSummary | null } | null;
  scrub: { lastFullPassAt: string | null; findings: unknown[] } | null;
}

/** Signs the tests' writes to nodes that need no peer (POST /v1/repair/run and /v1/scrub/run take any signer). */
export const TEST_KEY = generateKeyPair();
const audiences = new Map<string, string>();

/** The node id behind a URL (its /info), which signed requests name as their audience. */
async function audienceOf(url: string): Promise<string> {
  const origin = new URL(url).origin;
  let id = audiences.get(origin);
  if (!id) {
    id = ((await (await fetch(`${origin}/info`)).json()) as { nodeId: string }).nodeId;
    audiences.set(origin, id);
  }
  return id;
}

/** A dev node's own identity key: requests signed with it are a peer's (e.g. DELETE of a shard). */
export async function nodeIdentity(cluster: DevCluster, id: string): Promise<Ed25519KeyPair> {
  return decodeKeyFile(await readFile(join(cluster.dir, 'nodes', id, 'data', 'identity.key')));
}

/** Signed-request headers (docs/ACCESS.md) for one request to a node; a PUT signs UNSIGNED-PAYLOAD. */
export async function signedHeaders(method: string, url: string, body?: Uint8Array, identity: Ed25519KeyPair = TEST_KEY): Promise<Record<string, string>> {
  const contentSha256 = method === 'PUT' ? UNSIGNED_PAYLOAD : toHex(sha256(body ?? new Uint8Array(0)));
  return signRequest({ method, path: pathAndQuery(url), contentSha256, audience: await audienceOf(url), signing: identity });
}

async function post<T>(url: string, body?: unknown): Promise<T> {
  const bytes = body === undefined ? undefined : new TextEncoder().encode(JSON.stringify(body));
  const headers = await signedHeaders('POST', url, bytes);
  const res = await fetch(url, {
    method: 'POST',
    ...(bytes === undefined ? { headers } : { body: bytes, headers: { ...headers, 'content-type': 'application/json' } }),
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
