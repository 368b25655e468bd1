/**
 * The auditor behind `ddc audit`: random Merkle challenges across a cluster, judged against
 * the roots that other nodes' signed headers agree on (multi-node comparison), with the
 * failing signed answers kept as evidence (core's identity/evidence.ts).
 *
 * 1. Keys: each node's public key from the descriptor, else from its /info (the report
 *    says which). Listings: every node's shards (`GET /v1/shards`), so challenges can be
 *    drawn from what nodes hold; a node that cannot be listed is challenged on the shards
 *    placement gives it in the stripes the other nodes list.
 * 2. Challenges are spread round-robin over the nodes, each a random (piece, shard index,
 *    leaf) of that node, with a fresh nonce.
 * 3. For each, the stripe's headers are read (signed) from at least two other nodes,
 *    homes first; the root they agree on for the index is what the node must prove. A node
 *    that cannot be asked counts as unreachable, a stripe whose other headers do not agree
 *    as inconclusive; neither is evidence.
 */
import {
  DdcError, agreeOnRoot, challengeAnswerToJson, checkChallengeAnswer, decodeShardHeader, fromHex, headerStatementToJson, isDdcError,
  isPublicKeyHex, leafCount, parseChallengeAnswer, parseCid, placeStripe, toHex, verifyHeaderStatement, EVIDENCE_FORMAT, EVIDENCE_VERSION,
  type AuditEvidence, type ClusterDescriptor, type ClusterNode, type EvidenceItem, type HeaderStatement, type HeaderVote, type KeySource,
} from '@ddc/core';
import { DEFAULT_TIMEOUT_MS, Unreachable, getHeaderStatement, getJson } from './http.js';

export interface AuditOptions {
  /** Challenges to run (spread over the nodes). */
  samples: number;
  signal?: AbortSignal;
  /** Challenges in flight at once; default 8. */
  concurrency?: number;
  /** Per request; default 10000. */
  timeoutMs?: number;
  /** A source of numbers in [0, 1) for the draws; default Math.random. */
  random?: () => number;
  onProgress?: (done: number, total: number) => void;
}

export type ChallengeOutcome = 'passed' | 'failed' | 'unreachable' | 'inconclusive';

export interface ChallengeResult {
  nodeId: string;
  pieceCid: string;
  index: number;
  /** The shard asked for: the root the other nodes' headers agree on (null if they did not). */
  shardId: string | null;
  leafIndex: number | null;
  outcome: ChallengeOutcome;
  /** For failures: a ChallengeFailReason, or missing / error / malformed. */
  reason?: string;
  message?: string;
  /** True when the failing answer is kept as evidence (signed and provably wrong). */
  proven?: boolean;
  /** Nodes whose headers fixed the expected root. */
  headersFrom: string[];
}

export interface NodeAuditSummary {
  nodeId: string;
  zone: string;
  url: string;
  /** Where the public key came from; 'unknown' when neither source had one. */
  keySource: KeySource | 'unknown';
  publicKey: string | null;
  /** Shards the node listed, or null if it could not be listed. */
  shards: number | null;
  passed: number;
  failed: number;
  unreachable: number;
  inconclusive: number;
  notes: string[];
}

export interface AuditReport {
  clusterId: string;
  startedAt: string;
  finishedAt: string;
  samples: number;
  totals: Record<ChallengeOutcome, number>;
  nodes: NodeAuditSummary[];
  challenges: ChallengeResult[];
  evidence: AuditEvidence;
}

interface Listed {
  id: string;
  pieceCid: string;
  index: number;
  k: number;
  m: number;
}

interface Target {
  node: ClusterNode;
  pieceCid: string;
  index: number;
  /** The id the node listed for this index, if it listed one. */
  listedId?: string;
}

const PAGE = 10_000;
/** Other nodes asked for headers at first; more only if these do not agree. */
const FIRST_HEADERS = 3;
/** Stripes examined by placement for a node that could not be listed. */
const PLACEMENT_SAMPLE = 256;

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function listShards(url: string, signal: AbortSignal | undefined, timeoutMs: number): Promise<Listed[]> {
  const out: Listed[] = [];
  let after: string | null = null;
  for (;;) {
    const page = (await getJson(`${url}/v1/shards?limit=${PAGE}${after ? `&after=${after}` : ''}`, signal, timeoutMs)) as { shards?: unknown; next?: unknown };
    if (!Array.isArray(page.shards)) throw new DdcError('DDC_NODE_BAD_RESPONSE', `${url}/v1/shards: not a shard listing`);
    for (const s of page.shards as Record<string, unknown>[]) {
      if (typeof s.id === 'string' && typeof s.pieceCid === 'string' && typeof s.index === 'number' && typeof s.k === 'number' && typeof s.m === 'number') {
        out.push({ id: s.id, pieceCid: s.pieceCid, index: s.index, k: s.k, m: s.m });
      }
    }
    if (typeof page.next !== 'string' || page.shards.length === 0) return out;
    after = page.next;
  }
}

function randomNonce(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(16));
}

async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

export async function runAudit(cluster: ClusterDescriptor, options: AuditOptions): Promise<AuditReport> {
  const startedAt = new Date().toISOString();
  const random = options.random ?? Math.random;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const { signal } = options;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

  const summaries = new Map<string, NodeAuditSummary>();
  const listings = new Map<string, Listed[]>();
  await Promise.all(
    cluster.nodes.map(async (n) => {
      const s: NodeAuditSummary = { nodeId: n.id, zone: n.zone, url: n.url, keySource: 'unknown', publicKey: null, shards: null, passed: 0, failed: 0, unreachable: 0, inconclusive: 0, notes: [] };
      summaries.set(n.id, s);
      if (n.publicKey) {
        s.publicKey = n.publicKey;
        s.keySource = 'descriptor';
      } else {
        try {
          const info = (await getJson(`${n.url}/info`, signal, timeoutMs)) as { publicKey?: unknown };
          if (isPublicKeyHex(info.publicKey)) {
            s.publicKey = info.publicKey;
            s.keySource = 'info';
          } else s.notes.push('its /info names no public key (a node without identity keys?)');
        } catch (e) {
          if (isDdcError(e, 'DDC_ABORTED')) throw e;
          s.notes.push(`/info: ${message(e)}`);
        }
      }
      try {
        const listed = await listShards(n.url, signal, timeoutMs);
        listings.set(n.id, listed);
        s.shards = listed.length;
      } catch (e) {
        if (isDdcError(e, 'DDC_ABORTED')) throw e;
        s.notes.push(`listing: ${message(e)}`);
      }
    }),
  );

  // Stripes as the nodes list them: piece -> k, m and who holds which index.
  const stripes = new Map<string, { k: number; m: number; holders: { nodeId: string; index: number; id: string }[] }>();
  for (const [nodeId, listed] of listings) {
    for (const l of listed) {
      const st = stripes.get(l.pieceCid) ?? { k: l.k, m: l.m, holders: [] };
      st.holders.push({ nodeId, index: l.index, id: l.id });
      stripes.set(l.pieceCid, st);
    }
  }
  const homesOf = (pieceCid: string): ClusterNode[] => {
    const st = stripes.get(pieceCid)!;
    try {
      return placeStripe(parseCid(pieceCid).bytes, cluster.nodes, Math.min(st.k + st.m, cluster.nodes.length));
    } catch {
      return [];
    }
  };

  // What each node can be challenged on.
  const candidates = new Map<string, Target[]>();
  const pieces = [...stripes.keys()];
  for (const node of cluster.nodes) {
    const listed = listings.get(node.id);
    if (listed) {
      candidates.set(node.id, listed.map((l) => ({ node, pieceCid: l.pieceCid, index: l.index, listedId: l.id })));
      continue;
    }
    const targets: Target[] = [];
    for (let i = 0; i < Math.min(PLACEMENT_SAMPLE, pieces.length); i++) {
      const pieceCid = pick(pieces);
      homesOf(pieceCid).forEach((home, index) => home.id === node.id && targets.push({ node, pieceCid, index }));
    }
    candidates.set(node.id, targets);
  }

  // Round-robin over the nodes in random order; each node's shards in random order, so a
  // shard is challenged twice only once all of that node's shards have been.
  const shuffle = <T>(xs: T[]): T[] => {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  };
  const order = shuffle(cluster.nodes.filter((n) => (candidates.get(n.id)?.length ?? 0) > 0));
  for (const n of order) shuffle(candidates.get(n.id)!);
  const targets: Target[] = [];
  for (let i = 0; i < options.samples && order.length > 0; i++) {
    const node = order[i % order.length]!;
    const mine = candidates.get(node.id)!;
    targets.push(mine[Math.floor(i / order.length) % mine.length]!);
  }

  const headerCache = new Map<string, Promise<HeaderStatement>>();
  const headerOf = (node: ClusterNode, id: string) => {
    const key = `${node.id}/${id}`;
    let p = headerCache.get(key);
    if (!p) {
      p = getHeaderStatement(node.url, id, signal, timeoutMs);
      p.catch(() => undefined);
      headerCache.set(key, p);
    }
    return p;
  };
  const nodesById = new Map(cluster.nodes.map((n) => [n.id, n]));
  const evidenceItems: EvidenceItem[] = [];
  const results: ChallengeResult[] = [];
  let done = 0;

  const challenge = async (t: Target): Promise<ChallengeResult> => {
    const base = { nodeId: t.node.id, pieceCid: t.pieceCid, index: t.index };
    const summary = summaries.get(t.node.id)!;
    // Other holders of the stripe, placement homes first.
    const homes = homesOf(t.pieceCid);
    const sources = stripes
      .get(t.pieceCid)!
      .holders.filter((h) => h.nodeId !== t.node.id && nodesById.has(h.nodeId))
      .map((h) => ({ ...h, home: homes[h.index]?.id === h.nodeId, order: random() }))
      .sort((a, b) => Number(b.home) - Number(a.home) || a.order - b.order);
    const votes: HeaderVote[] = [];
    const statements = new Map<string, HeaderStatement>();
    const notes: string[] = [];
    const gather = async (batch: typeof sources) => {
      await Promise.all(
        batch.map(async (src) => {
          const key = summaries.get(src.nodeId)?.publicKey;
          if (!key || statements.has(src.nodeId)) return;
          let st: HeaderStatement;
          try {
            st = await headerOf(nodesById.get(src.nodeId)!, src.id);
          } catch (e) {
            notes.push(`header from ${src.nodeId}: ${message(e)}`);
            return;
          }
          if (st.nodeId !== src.nodeId || toHex(st.publicKey) !== key || !verifyHeaderStatement(st)) {
            notes.push(`header from ${src.nodeId}: not validly signed by its key`);
            return;
          }
          try {
            const { header } = decodeShardHeader(st.header);
            if (header.pieceCid.toString() !== t.pieceCid) throw new Error(`it is for piece ${header.pieceCid.toString()}`);
            votes.push({ nodeId: src.nodeId, header });
            statements.set(src.nodeId, st);
          } catch (e) {
            notes.push(`header from ${src.nodeId}: ${message(e)}`);
          }
        }),
      );
    };
    await gather(sources.slice(0, FIRST_HEADERS));
    let agreement = agreeOnRoot(votes, t.index);
    if (!agreement && sources.length > FIRST_HEADERS) {
      await gather(sources.slice(FIRST_HEADERS));
      agreement = agreeOnRoot(votes, t.index);
    }
    if (!agreement) {
      return {
        ...base, shardId: t.listedId ?? null, leafIndex: null, outcome: 'inconclusive', headersFrom: [...statements.keys()],
        message: `fewer than two other nodes' headers agree on shard ${t.index} of this piece${notes.length ? ` (${notes.join('; ')})` : ''}`,
      };
    }
    const headersFrom = agreement.voters;
    const shardId = toHex(agreement.root);
    if (!summary.publicKey) {
      return { ...base, shardId, leafIndex: null, outcome: 'inconclusive', headersFrom, message: 'the node\'s public key is unknown (not in the descriptor, no /info), so its answers cannot be checked' };
    }
    const leafIndex = Math.floor(random() * leafCount(agreement.fields.shardLength));
    const nonce = randomNonce();
    let body: unknown;
    try {
      body = await getJson(`${t.node.url}/v1/shards/${shardId}/challenge?leaf=${leafIndex}&nonce=${toHex(nonce)}`, signal, timeoutMs);
    } catch (e) {
      if (isDdcError(e, 'DDC_ABORTED')) throw e;
      if (e instanceof Unreachable) return { ...base, shardId, leafIndex, outcome: 'unreachable', headersFrom, message: e.message };
      const listedOther = t.listedId && t.listedId !== shardId ? ` (it lists ${t.listedId} for this index instead)` : '';
      if (isDdcError(e, 'DDC_SHARD_NOT_FOUND')) return { ...base, shardId, leafIndex, outcome: 'failed', reason: 'missing', proven: false, headersFrom, message: `the node does not have the shard the stripe's headers agree on${listedOther}` };
      return { ...base, shardId, leafIndex, outcome: 'failed', reason: 'error', proven: false, headersFrom, message: message(e) };
    }
    let answer;
    try {
      answer = parseChallengeAnswer(body);
    } catch (e) {
      return { ...base, shardId, leafIndex, outcome: 'failed', reason: 'malformed', proven: false, headersFrom, message: message(e) };
    }
    const verdict = checkChallengeAnswer(answer, agreement.root, agreement.fields, { publicKey: fromHex(summary.publicKey), shardId: agreement.root, leafIndex, nonce });
    if (verdict.pass) return { ...base, shardId, leafIndex, outcome: 'passed', headersFrom };
    if (verdict.proven) {
      evidenceItems.push({
        nodeId: t.node.id,
        pieceCid: t.pieceCid,
        index: t.index,
        reason: verdict.reason,
        message: verdict.message,
        keySource: summary.keySource as KeySource,
        answer: challengeAnswerToJson(answer),
        headers: headersFrom.map((id) => headerStatementToJson(statements.get(id)!)),
      });
    }
    return { ...base, shardId, leafIndex, outcome: 'failed', reason: verdict.reason, message: verdict.message, proven: verdict.proven, headersFrom };
  };

  await pool(targets, options.concurrency ?? 8, async (t) => {
    if (signal?.aborted) throw new DdcError('DDC_ABORTED', 'the audit was aborted', { cause: signal.reason });
    const r = await challenge(t);
    results.push(r);
    summaries.get(r.nodeId)![r.outcome]++;
    options.onProgress?.(++done, targets.length);
  });

  const totals = { passed: 0, failed: 0, unreachable: 0, inconclusive: 0 };
  for (const r of results) totals[r.outcome]++;
  // Same order as the draws would give for a given random source: by node, piece, index.
  results.sort((a, b) => a.nodeId.localeCompare(b.nodeId) || a.pieceCid.localeCompare(b.pieceCid) || a.index - b.index || (a.leafIndex ?? 0) - (b.leafIndex ?? 0));
  return {
    clusterId: cluster.clusterId,
    startedAt,
    finishedAt: new Date().toISOString(),
    samples: options.samples,
    totals,
    nodes: cluster.nodes.map((n) => summaries.get(n.id)!),
    challenges: results,
    evidence: { format: EVIDENCE_FORMAT, version: EVIDENCE_VERSION, createdAt: startedAt, clusterId: cluster.clusterId, items: evidenceItems },
  };
}

