/**
 * Record anti-entropy. Every `records.syncIntervalMs` (after the previous pass ends) the node
 * takes each bucket it or another member holds records of (GET /v1/buckets on each member,
 * so a replica that missed a bucket's first writes still learns of it), computes the bucket's replicas (rendezvous
 * placement of `bucket:<id>` over the membership, R = 3, as clients do), and, if it is one
 * of them, pages through each other replica's digest (GET /v1/buckets/{b}/digest) and pulls
 * the records it neither holds nor has purged (GET .../records/{key}?version=V), signed as
 * a peer. A pulled record is checked as a POSTed one is (signature, token chain at its
 * time) before it is stored. Purge tombstones travel the same way, so a purge reaches
 * every replica and a purged version is never pulled back.
 */
import { DdcError, decodeRecord, placeStripe, textEncoder, type ClusterNode, type Ed25519KeyPair, type ObjectRecord } from '@ddc/core';
import type { Logger } from '../http/respond.js';
import type { NodeMembership } from '../membership/node-membership.js';
import type { RecordsConfig } from './config.js';
import { peerError, signedGet } from './peer-http.js';
import type { RecordStore } from './store.js';

export const RECORD_REPLICAS = 3;
const REQUEST_TIMEOUT_MS = 15_000;
/** A digest page of 10000 keys of 1 KiB each, as JSON. */
const MAX_DIGEST_BYTES = 32 * 1024 * 1024;
const MAX_RECORD_BYTES = 128 * 1024;
const KEPT_FAILURES = 20;

export interface RecordSyncFailure {
  bucket: number;
  node: string;
  key: string | null;
  code: string;
  message: string;
}

export interface RecordSyncSummary {
  pass: number;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  /** Buckets this node is a replica of and compared. */
  buckets: number;
  /** Digest pages read from peers. */
  digestPages: number;
  pulled: number;
  failureCount: number;
  failures: RecordSyncFailure[];
  /** Why the pass stopped early (no membership, shutdown), or null. */
  error: string | null;
}

export interface RecordSyncStatus {
  enabled: boolean;
  intervalMs: number;
  running: boolean;
  passes: number;
  /** When the last pass ended. */
  lastSync: string | null;
  /** Records pulled since start. */
  pulled: number;
  last: RecordSyncSummary | null;
}

export interface RecordSyncOptions {
  nodeId: string;
  store: RecordStore;
  membership: NodeMembership;
  /** The node's identity key: sync requests are signed as a peer. */
  identity: Ed25519KeyPair;
  config: RecordsConfig;
  /** Throws unless the record may be stored (checkRecordRights). */
  accept: (record: ObjectRecord) => Promise<void>;
  log: Logger;
}

/** The nodes that keep a bucket's records (fewer than 3 only in a smaller cluster). */
export function bucketReplicas<N extends ClusterNode>(bucket: number, nodes: readonly N[]): N[] {
  return placeStripe(textEncoder.encode(`bucket:${bucket}`), nodes, Math.min(RECORD_REPLICAS, nodes.length));
}

export class RecordSync {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<RecordSyncSummary> | undefined;
  private readonly abort = new AbortController();
  private passes = 0;
  private pulledTotal = 0;
  private last: RecordSyncSummary | null = null;
  private closed = false;

  constructor(private readonly o: RecordSyncOptions) {}

  /** Starts the timer (the first pass soon after start). */
  start(): void {
    if (this.o.config.syncEnabled) this.schedule(Math.min(1000, this.o.config.syncIntervalMs));
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      void this.run().finally(() => this.schedule(this.o.config.syncIntervalMs));
    }, ms);
    this.timer.unref();
  }

  /** Runs a pass now, or joins the one under way. */
  run(): Promise<RecordSyncSummary> {
    this.running ??= this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  status(): RecordSyncStatus {
    return {
      enabled: this.o.config.syncEnabled,
      intervalMs: this.o.config.syncIntervalMs,
      running: this.running !== undefined,
      passes: this.passes,
      lastSync: this.last?.finishedAt ?? null,
      pulled: this.pulledTotal,
      last: this.last,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.abort.abort();
    await this.running?.catch(() => undefined);
  }

  private async pass(): Promise<RecordSyncSummary> {
    const started = Date.now();
    const s: RecordSyncSummary = {
      pass: ++this.passes, startedAt: new Date(started).toISOString(), finishedAt: null, durationMs: null,
      buckets: 0, digestPages: 0, pulled: 0, failureCount: 0, failures: [], error: null,
    };
    const signal = this.abort.signal;
    try {
      const { view } = await this.o.membership.current(signal);
      for (const bucket of await this.knownBuckets(view.nodes, s, signal)) {
        if (signal.aborted) throw new DdcError('DDC_ABORTED', 'the node is shutting down');
        const replicas = bucketReplicas(bucket, view.nodes);
        if (!replicas.some((n) => n.id === this.o.nodeId)) continue;
        s.buckets++;
        for (const peer of replicas) {
          if (peer.id === this.o.nodeId) continue;
          try {
            await this.pullFrom(peer, bucket, s, signal);
          } catch (e) {
            if (signal.aborted) throw e;
            this.fail(s, bucket, peer, null, e);
          }
        }
      }
    } catch (e) {
      s.error = e instanceof Error ? e.message : String(e);
    }
    s.finishedAt = new Date().toISOString();
    s.durationMs = Date.now() - started;
    this.pulledTotal += s.pulled;
    this.last = s;
    if (s.pulled > 0 || s.failureCount > 0) this.o.log({ event: 'records-sync', pass: s.pass, pulled: s.pulled, failures: s.failureCount });
    return s;
  }

  /** Buckets held here or by any other member that answers. */
  private async knownBuckets(nodes: readonly ClusterNode[], s: RecordSyncSummary, signal: AbortSignal): Promise<number[]> {
    const all = new Set(this.o.store.buckets());
    await Promise.all(nodes.filter((n) => n.id !== this.o.nodeId).map(async (peer) => {
      try {
        const got = await signedGet(peer.url, '/v1/buckets', peer.id, this.o.identity, MAX_DIGEST_BYTES, REQUEST_TIMEOUT_MS, signal);
        if (got.status !== 200) throw peerError(`${peer.id} /v1/buckets`, got);
        const ids = (JSON.parse(got.body.toString('utf8')) as { buckets?: unknown }).buckets;
        if (!Array.isArray(ids) || !ids.every((b) => Number.isSafeInteger(b) && b >= 0)) throw new DdcError('DDC_NODE_BAD_RESPONSE', `${peer.id} answered /v1/buckets without a list of bucket ids`);
        for (const b of ids as number[]) all.add(b);
      } catch (e) {
        if (!signal.aborted) this.fail(s, -1, peer, null, e);
      }
    }));
    return [...all].sort((a, b) => a - b);
  }

  private fail(s: RecordSyncSummary, bucket: number, peer: ClusterNode, key: string | null, e: unknown): void {
    s.failureCount++;
    if (s.failures.length < KEPT_FAILURES) {
      const err = e instanceof DdcError ? e : new DdcError('DDC_INTERNAL', String(e));
      s.failures.push({ bucket, node: peer.id, key, code: err.code, message: err.message });
    }
  }

  /** Pages through `peer`'s digest of `bucket` and pulls what this node lacks. */
  private async pullFrom(peer: ClusterNode, bucket: number, s: RecordSyncSummary, signal: AbortSignal): Promise<void> {
    const { store, identity, config } = this.o;
    let after: string | null = null;
    do {
      const path = `/v1/buckets/${bucket}/digest?limit=${config.syncPageSize}${after ? `&after=${after}` : ''}`;
      const got = await signedGet(peer.url, path, peer.id, identity, MAX_DIGEST_BYTES, REQUEST_TIMEOUT_MS, signal);
      if (got.status !== 200) throw peerError(`${peer.id} ${path}`, got);
      const page = parseDigest(got.body, peer.id);
      s.digestPages++;
      for (const [key, version] of page.entries) {
        if (store.knows(bucket, key, version)) continue;
        try {
          if (await this.pullOne(peer, bucket, key, version, signal)) s.pulled++;
        } catch (e) {
          if (signal.aborted) throw e;
          this.fail(s, bucket, peer, key, e);
        }
      }
      after = page.next;
    } while (after !== null);
  }

  private async pullOne(peer: ClusterNode, bucket: number, key: string, version: string, signal: AbortSignal): Promise<boolean> {
    const path = `/v1/buckets/${bucket}/records/${encodeURIComponent(key)}?version=${version}`;
    const got = await signedGet(peer.url, path, peer.id, this.o.identity, MAX_RECORD_BYTES, REQUEST_TIMEOUT_MS, signal);
    if (got.status === 404) return false; // purged there since its digest
    if (got.status !== 200) throw peerError(`${peer.id} ${path}`, got);
    const record = decodeRecord(got.body);
    if (record.bucket !== bucket || record.key !== key || record.version !== version) {
      throw new DdcError('DDC_NODE_BAD_RESPONSE', `${peer.id} answered for ${key}@${version} with the record of ${record.key}@${record.version} in bucket ${record.bucket}`);
    }
    await this.o.accept(record);
    return (await this.o.store.put(record)) === 'created';
  }
}

function parseDigest(body: Buffer, peer: string): { entries: Array<[string, string]>; next: string | null } {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (cause) {
    throw new DdcError('DDC_NODE_BAD_RESPONSE', `${peer} answered a digest that is not JSON`, { cause });
  }
  const o = json as { entries?: unknown; next?: unknown };
  const ok = Array.isArray(o.entries) && o.entries.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && typeof e[1] === 'string' && /^[0-9a-f]{20}$/.test(e[1]))
    && (o.next === null || (typeof o.next === 'string' && /^[A-Za-z0-9_-]+$/.test(o.next)));
  if (!ok) throw new DdcError('DDC_NODE_BAD_RESPONSE', `${peer} answered a digest that is not {"entries":[[key,version]...],"next"}`);
  return { entries: o.entries as Array<[string, string]>, next: o.next as string | null };
}
