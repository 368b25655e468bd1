/**
 * A bucket's object records over its R = 3 replicas (docs/ACCESS.md "Object records v1").
 * Writes go to all replicas and succeed at W = 2; reads ask all and need 2 answers ("no
 * such key" is an answer), verify every record (signature, bucket, key), take the newest
 * and write it back, in the background, to the replicas that lacked it (read repair).
 * R + W > N: a writer reads its own last write; concurrent writers resolve to the larger
 * version id.
 */
import {
  DdcError, decodeBase64Strict, decodeRecord, MAX_RECORD_BYTES, mergeListings, newestRecord, compareRecords,
  type CapabilityToken, type ClusterNode, type ListPage, type ObjectRecord,
} from '@ddc/core';
import type { ClusterView } from '../membership.js';
import type { RequestSigner } from '../request-signer.js';
import { nodeRequest, jsonBody, type FetchLike } from './node-http.js';
import { quorumOf, recordReplicas } from './replicas.js';

export interface RecordAccess {
  bucket: number;
  view(signal?: AbortSignal): Promise<ClusterView>;
  fetch: FetchLike;
  /** The signer and token for a request of this kind, or none (public reads). */
  credentials(op: 'get' | 'list' | 'put'): Promise<{ signer: RequestSigner; token: CapabilityToken | undefined } | undefined>;
  /** Wait this long for the last replica once a quorum has answered. Default 50 ms. */
  graceMs?: number;
}

interface Answer<T> {
  node: ClusterNode;
  value: T;
}

interface Gathered<T> {
  answers: Answer<T>[];
  failures: { node: ClusterNode; error: unknown }[];
  replicas: ClusterNode[];
  /** Resolves when every replica has answered or failed (a read may settle before). */
  settled?: Promise<void>;
}

const NOT_FOUND = new Set(['DDC_NO_SUCH_KEY', 'DDC_NOT_FOUND']);
/** Codes that say "you may not", not "the node is down": worth reporting as they are. */
const REFUSALS = /^DDC_(TOKEN_|UNAUTHENTICATED|SIGNATURE_INVALID|REQUEST_|NO_SUCH_BUCKET|BUCKETS_UNAVAILABLE|RECORD_INVALID|INVALID_ARGUMENT|ABORTED)/;

function quorumError(what: string, g: Gathered<unknown>, needed: number): DdcError {
  const failures = g.failures.map((f) => ({ node: f.node.id, code: f.error instanceof DdcError ? f.error.code : 'DDC_INTERNAL', message: f.error instanceof Error ? f.error.message : String(f.error) }));
  // Every replica refused for one reason (a bad token, a stale clock): that reason is the answer.
  const refusal = g.failures.find((f) => f.error instanceof DdcError && REFUSALS.test(f.error.code))?.error;
  if (refusal instanceof DdcError && g.answers.length === 0) return refusal;
  // Replicas learn of a revocation each on its own poll: once one refuses the token as revoked, that is the answer.
  const revoked = g.failures.find((f) => f.error instanceof DdcError && f.error.code === 'DDC_TOKEN_REVOKED')?.error;
  if (revoked instanceof DdcError) return revoked;
  return new DdcError('DDC_RECORD_QUORUM', `${what}: ${g.answers.length} of ${g.replicas.length} record replicas answered, ${needed} are needed`, {
    hint: 'Too many of the bucket\'s record replicas are down or refusing; check `ddc cluster health` and retry',
    details: { replicas: g.replicas.map((n) => n.id), failures },
  });
}

export class RecordReplicas {
  constructor(private readonly access: RecordAccess) {}

  private get base(): string {
    return `/v1/buckets/${this.access.bucket}/records`;
  }

  async replicas(signal?: AbortSignal): Promise<ClusterNode[]> {
    return recordReplicas(await this.access.view(signal), this.access.bucket);
  }

  /**
   * Runs `ask` on every replica; resolves once `needed` answered and the rest answered too,
   * failed, or had `graceMs` more. Throws DDC_RECORD_QUORUM (or the replicas' common
   * refusal) when fewer than `needed` can answer.
   */
  private async gather<T>(replicas: ClusterNode[], needed: number, ask: (node: ClusterNode) => Promise<T>, what: string, agree?: (values: T[]) => boolean): Promise<Gathered<T>> {
    const g: Gathered<T> = { answers: [], failures: [], replicas };
    let allSettled!: () => void;
    g.settled = new Promise<void>((r) => (allSettled = r));
    await new Promise<void>((resolve) => {
      let settled = 0;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        resolve();
      };
      for (const node of replicas) {
        ask(node).then(
          (value) => g.answers.push({ node, value }),
          (error: unknown) => g.failures.push({ node, error }),
        ).finally(() => {
          settled++;
          if (settled === replicas.length) allSettled();
          if (settled === replicas.length || g.failures.length > replicas.length - needed) done();
          // Answers that agree settle the read at once (R + W > N already gives the newest); the
          // grace period is for answers that differ, so the last replica can break the tie.
          else if (g.answers.length >= needed && agree?.(g.answers.map((a) => a.value))) done();
          else if (g.answers.length >= needed && !timer) timer = setTimeout(done, this.access.graceMs ?? 50);
        });
      }
    });
    if (g.answers.length < needed) throw quorumError(what, g, needed);
    return g;
  }

  /** Stores a signed record on the bucket's replicas; resolves once W of them have it durably. */
  async write(record: ObjectRecord, signal?: AbortSignal): Promise<void> {
    const replicas = await this.replicas(signal);
    const creds = await this.access.credentials('put');
    const g: Gathered<void> = { answers: [], failures: [], replicas };
    const needed = quorumOf(replicas.length);
    // Resolve at W acks; the remaining replica finishes in the background (sync or read repair catch it up otherwise).
    await new Promise<void>((resolve) => {
      let settled = 0;
      for (const node of replicas) {
        this.post(node, record, creds, signal).then(
          () => g.answers.push({ node, value: undefined }),
          (error: unknown) => g.failures.push({ node, error }),
        ).finally(() => {
          settled++;
          if (g.answers.length >= needed || settled === replicas.length || g.failures.length > replicas.length - needed) resolve();
        });
      }
    });
    if (g.answers.length < needed) throw quorumError(`writing ${JSON.stringify(record.key)} version ${record.version}`, g, needed);
  }

  private async post(node: ClusterNode, record: ObjectRecord, creds: Awaited<ReturnType<RecordAccess['credentials']>>, signal?: AbortSignal): Promise<void> {
    const res = await nodeRequest(this.access.fetch, { node, method: 'POST', path: this.base, body: record.bytes, signer: creds?.signer, token: creds?.token, signal });
    await res.arrayBuffer().catch(() => undefined);
  }

  /** A replica's answer decoded and checked against the bucket and key asked. */
  private check(bytes: Uint8Array, key: string | undefined, node: ClusterNode): ObjectRecord {
    const r = decodeRecord(bytes);
    if (r.bucket !== this.access.bucket || (key !== undefined && r.key !== key)) {
      throw new DdcError('DDC_RECORD_INVALID', `replica ${node.id} answered with a record of bucket ${r.bucket}, key ${JSON.stringify(r.key)}, not the one asked`, { hint: 'The replica is faulty; the read uses the others' });
    }
    return r;
  }

  private async getRecords(node: ClusterNode, key: string, query: string, signal?: AbortSignal): Promise<ObjectRecord[]> {
    const creds = await this.access.credentials('get');
    let res: Response;
    try {
      res = await nodeRequest(this.access.fetch, { node, method: 'GET', path: `${this.base}/${encodeURIComponent(key)}${query}`, signer: creds?.signer, token: creds?.token, signal });
    } catch (e) {
      if (e instanceof DdcError && NOT_FOUND.has(e.code)) return [];
      throw e;
    }
    return (await recordsOf(res, `GET ${key}`)).map((b) => this.check(b, key, node));
  }

  /**
   * The current record of `key` (or the record of `version`): the newest valid one the
   * replicas hold, a delete marker included; null when none has it.
   */
  async read(key: string, options: { version?: string; signal?: AbortSignal } = {}): Promise<ObjectRecord | null> {
    const { version, signal } = options;
    const replicas = await this.replicas(signal);
    const query = version ? `?version=${version}` : '';
    const newest = (rs: ObjectRecord[]) => newestRecord(rs)?.version ?? null;
    const agree = (values: ObjectRecord[][]) => values.every((v) => newest(v) === newest(values[0]!));
    const g = await this.gather(replicas, quorumOf(replicas.length), (node) => this.getRecords(node, key, query, signal), `reading ${JSON.stringify(key)}`, agree);
    const all = g.answers.flatMap((a) => a.value).filter((r) => version === undefined || r.version === version);
    let best = newestRecord(all);
    // Replicas that disagree may differ by a purge: one that has it answers the version below the
    // purged one, one that lacks it the purged version. Only the versions with their purges tell.
    if (version === undefined && new Set(all.map((r) => r.version)).size > 1) {
      const current = (await this.versions(key, signal))[0];
      best = current ?? null;
    }
    if (best) this.repair(best, replicas, g);
    return best;
  }

  /** Every version of `key` the replicas hold (purged ones and purges left out), newest first. */
  async versions(key: string, signal?: AbortSignal): Promise<ObjectRecord[]> {
    const replicas = await this.replicas(signal);
    const g = await this.gather(replicas, quorumOf(replicas.length), (node) => this.getRecords(node, key, '?versions=1', signal), `listing the versions of ${JSON.stringify(key)}`);
    const byVersion = new Map<string, ObjectRecord>();
    const purged = new Set<string>();
    for (const r of g.answers.flatMap((a) => a.value)) {
      if (r.purges !== null) purged.add(r.purges);
      const had = byVersion.get(r.version);
      if (!had || compareRecords(r, had) > 0) byVersion.set(r.version, r);
    }
    return [...byVersion.values()].filter((r) => r.purges === null && !purged.has(r.version)).sort((a, b) => compareRecords(b, a));
  }

  /** One page of the latest records (delete markers included) merged from a quorum of replicas. */
  async list(o: { prefix: string; delimiter: string; after: string | null; limit: number; signal?: AbortSignal }): Promise<ListPage<ObjectRecord>> {
    const replicas = await this.replicas(o.signal);
    const q = new URLSearchParams({ prefix: o.prefix, delimiter: o.delimiter, after: o.after ?? '', limit: String(o.limit) });
    const path = `${this.base}?${q.toString()}`;
    const g = await this.gather(replicas, quorumOf(replicas.length), async (node) => {
      const creds = await this.access.credentials('list');
      const res = await nodeRequest(this.access.fetch, { node, method: 'GET', path, signer: creds?.signer, token: creds?.token, signal: o.signal });
      const body = await jsonBody<{ records?: unknown; commonPrefixes?: unknown; next?: unknown }>(res, 'a record listing');
      if (!Array.isArray(body.records) || !Array.isArray(body.commonPrefixes) || (body.next !== null && typeof body.next !== 'string')) {
        throw new DdcError('DDC_NODE_BAD_RESPONSE', `replica ${node.id} answered a listing without records, commonPrefixes and next`, { hint: 'Check that the node runs the same DDC version as this client' });
      }
      const entries = body.records.map((b) => this.check(base64Record(b), undefined, node));
      for (const r of entries) {
        if (!r.key.startsWith(o.prefix)) throw new DdcError('DDC_RECORD_INVALID', `replica ${node.id} listed ${JSON.stringify(r.key)} outside the prefix ${JSON.stringify(o.prefix)}`);
      }
      const page: ListPage<ObjectRecord> = { entries, commonPrefixes: body.commonPrefixes.filter((p): p is string => typeof p === 'string'), nextToken: body.next, truncated: body.next !== null };
      return page;
    }, 'listing');
    const merged = mergeListings(g.answers.map((a) => a.value), { maxKeys: o.limit, includeDeleted: true });
    return { ...merged, entries: await this.settleDisagreements(merged.entries, g.answers.map((a) => a.value.entries), o.signal) };
  }

  /**
   * Keys whose newest record differs between replicas' pages may differ by a purge (one replica
   * answers the version below a purged one): as a read does, take those from the key's versions
   * with their purges. Without the right to read versions, the merged entry stands.
   */
  private async settleDisagreements(entries: ObjectRecord[], pages: ObjectRecord[][], signal?: AbortSignal): Promise<ObjectRecord[]> {
    const seen = new Map<string, Set<string>>();
    for (const page of pages) for (const r of page) (seen.get(r.key) ?? seen.set(r.key, new Set()).get(r.key)!).add(r.version);
    const out: ObjectRecord[] = [];
    for (const e of entries) {
      if ((seen.get(e.key)?.size ?? 0) <= 1) {
        out.push(e);
        continue;
      }
      try {
        const current = (await this.versions(e.key, signal))[0];
        if (current) out.push(current);
      } catch (err) {
        if (signal?.aborted) throw err;
        out.push(e);
      }
    }
    return out;
  }

  /** Writes `best` back to the replicas whose answer lacked it; never fails the read. */
  private repair(best: ObjectRecord, replicas: ClusterNode[], g: Gathered<ObjectRecord[]>): void {
    void (async () => {
      // After every replica answered (in the background: the read has returned): write back to
      // those that answered without the record; one that did not answer is left to the nodes' sync.
      await g.settled;
      const behind = g.answers.filter((a) => !a.value.some((r) => r.version === best.version)).map((a) => a.node);
      if (behind.length === 0) return;
      const creds = await this.access.credentials('put');
      await Promise.allSettled(behind.map((node) => this.post(node, best, creds)));
    })().catch(() => undefined);
  }
}

function base64Record(v: unknown): Uint8Array {
  const bytes = decodeBase64Strict(v, MAX_RECORD_BYTES);
  if (!bytes) throw new DdcError('DDC_NODE_BAD_RESPONSE', 'a listed record is not base64', { hint: 'Check that the node runs the same DDC version as this client' });
  return bytes;
}

/** The record(s) of a GET answer: raw record bytes, or JSON {record} / {records}. */
async function recordsOf(res: Response, what: string): Promise<Uint8Array[]> {
  const type = res.headers.get('content-type') ?? '';
  if (!type.includes('json')) return [new Uint8Array(await res.arrayBuffer())];
  const body = await jsonBody<{ record?: unknown; records?: unknown }>(res, what);
  if (Array.isArray(body.records)) return body.records.map(base64Record);
  if (body.record !== undefined) return [base64Record(body.record)];
  throw new DdcError('DDC_NODE_BAD_RESPONSE', `the answer to ${what} holds no record`, { hint: 'Check that the node runs the same DDC version as this client' });
}
