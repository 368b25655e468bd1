/**
 * The repair worker: rebuilds shards missing from their homes and moves shards whose home
 * changed. A pass walks this node's shards page by page (store.list) and, for every stripe
 * (piece CID, k, m) it takes part in, computes the homes over the current membership with
 * placeStripe. Then:
 *
 * - Responsibility. Exactly one node repairs a stripe: the live home with the lowest index
 *   that holds its shard. This node, home of index j and holding it, asks only the homes of
 *   indexes below j (one POST /v1/pieces/has per node per page); if one of them answers that
 *   it holds its shard, that node is responsible and this one skips the stripe. A home that
 *   does not answer cannot repair, so it does not count.
 * - Repair. When responsible, it asks the other homes too. For a stripe with a home that
 *   answered without its shard it also asks the other members: a shard held by a non-home
 *   (its old home, after a membership change) is left for that node to move, not rebuilt.
 *   For the rest it fetches any k shards of the stripe (its own counts; then any holder),
 *   rebuilds the missing ones (Reed-Solomon, or a copy for k = 1) and PUTs each to its home as
 *   the id its header lists, which the home checks before it stores anything (verifyShard with
 *   that id), so the rebuilt bytes are not hashed here too. A rebuilt shard depends on every
 *   source, so its passing proves them (stripe.ts, gatherAndRebuild). When a home refuses one
 *   (DDC_SHARD_ROOT_MISMATCH), it is rebuilt again and checked here, and if it fails each source
 *   is hashed, the liars reported and replaced. That holds for this node's own copy too, whose
 *   header gives the roots: it is hashed only when a checked rebuild fails, and quarantined if
 *   it is the cause.
 *   Two nodes repairing the same stripe at once store the same bytes under the same id, and
 *   a PUT is idempotent and verified by id, so the worst case is wasted work.
 * - Rebalance. A shard this node holds whose home (for its index) is another node is PUT
 *   there, and only after that node answered 2xx (durable) and the membership still names it
 *   is the local copy deleted. Moves wait until the membership view has been unchanged for
 *   `settleMs`. A node removed from the descriptor but still running drains this way.
 *
 * All traffic goes through one token bucket (bandwidthBytesPerSec x the priority factor).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { setMaxListeners } from 'node:events';
import { DdcError, decodeShardHeader, parseCid, placeStripe, toHex, verifyShard, type ClusterNode, type ShardHeader, type VerifiedShard } from '@ddc/core';
import type { Logger } from '../http/respond.js';
import type { NodeMembership, MembershipView } from '../membership/node-membership.js';
import type { ListedShard, PieceStore } from '../store/piece-store.js';
import { PRIORITY_FACTORS, type RepairConfig } from './config.js';
import type { Peers } from './peers.js';
import { asDdcError, gatherAndRebuild, type SourceCandidate } from './stripe.js';
import { TokenBucket } from './token-bucket.js';
import { runPool } from './pool.js';

/** Local shards read per page of a pass. */
export const REPAIR_PAGE = 500;
/** Failures kept in a run's summary (the count covers all). */
const MAX_FAILURES_KEPT = 50;

export interface RepairFailure {
  /** null for a failure not tied to one piece (a node that did not answer). */
  pieceCid: string | null;
  index: number | null;
  node: string | null;
  code: string;
  message: string;
  time: string;
}

export interface RepairRunSummary {
  pass: number;
  trigger: 'timer' | 'request';
  /** Set when the pass was limited to some pieces (POST /v1/repair/run with "pieces"). */
  pieces: string[] | null;
  force: boolean;
  startedAt: string;
  finishedAt: string | null;
  durationMs: number | null;
  membershipHash: string | null;
  /** Local shards looked at. */
  shardsScanned: number;
  /** Distinct stripes looked at. */
  stripesScanned: number;
  /** Stripes this node was responsible for (lowest live home holding its shard). */
  responsibleStripes: number;
  /** Of those, stripes with a home that lacks its shard or did not answer. */
  shortStripes: number;
  /** Of those, stripes still short when the pass ended (a home unreachable, or a rebuild that failed). */
  stripesLeftShort: number;
  /** Shards rebuilt and newly stored on their home (201). */
  shardsRepaired: number;
  /** Shards rebuilt whose home had meanwhile received them another way (200: a concurrent repair or move). */
  alreadyPresent: number;
  /** Shards sent to their new home and deleted here. */
  shardsMoved: number;
  /** Local copies that failed verification when read for a repair or move, taken out of service. */
  quarantined: number;
  /** Homes that lacked a shard but could not be reached (retried next pass). */
  homesUnreachable: number;
  /** Shards missing from their home but held by another member, left for that node to move. */
  awaitingMove: number;
  bytesFetched: number;
  bytesSent: number;
  failureCount: number;
  failures: RepairFailure[];
  /** Why the pass stopped early (shutdown, no membership), if it did. */
  error: { code: string; message: string } | null;
}

export interface RepairStatus {
  enabled: boolean;
  config: RepairConfig;
  effective: { concurrency: number; bandwidthBytesPerSec: number };
  running: boolean;
  passes: number;
  current: RepairRunSummary | null;
  last: RepairRunSummary | null;
  nextRunAt: string | null;
  totals: { shardsRepaired: number; shardsMoved: number; bytesFetched: number; bytesSent: number; failures: number };
}

export interface RunOptions {
  /** Only the stripes of these pieces (that this node holds a shard of). */
  pieces?: string[];
  /** Repair even if a lower home holds its shard (tests and operators; safe, just more work). */
  force?: boolean;
}

interface Stripe {
  key: string;
  pieceCid: string;
  k: number;
  m: number;
  homes: ClusterNode[];
  local: ListedShard[];
  /** This node's shard at its home index, if it holds one. */
  atHome: ListedShard | undefined;
}

/** What each node answered: piece CID -> indexes it holds. A CID missing from a node's map was not answered (node unreachable). */
type Answers = Map<string, Map<string, number[]>>;

export interface RepairWorkerDeps {
  nodeId: string;
  store: PieceStore;
  membership: NodeMembership;
  peers: Peers;
  bucket: TokenBucket;
  config: RepairConfig;
  log: Logger;
  /** The buckets that reference a local shard (none known when absent). */
  refsOf?: (id: string) => number[];
}

export class RepairWorker {
  private readonly controller = new AbortController();
  private running: Promise<RepairRunSummary> | undefined;
  private queued: Promise<RepairRunSummary> | undefined;
  private current: RepairRunSummary | undefined;
  private last: RepairRunSummary | undefined;
  private passes = 0;
  private nextRunAt: number | undefined;
  private loop: Promise<void> | undefined;
  private readonly targeted = new Set<Promise<unknown>>();
  private readonly totals = { shardsRepaired: 0, shardsMoved: 0, bytesFetched: 0, bytesSent: 0, failures: 0 };

  constructor(private readonly deps: RepairWorkerDeps) {
    // Every request, wait and sleep of a pass listens on this one signal.
    setMaxListeners(0, this.controller.signal);
    const f = PRIORITY_FACTORS[deps.config.priority];
    deps.bucket.setRate(Math.round(deps.config.bandwidthBytesPerSec * f.bandwidth));
  }

  private get concurrency(): number {
    return Math.max(1, Math.round(this.deps.config.concurrency * PRIORITY_FACTORS[this.deps.config.priority].concurrency));
  }

  /** Starts the timer (if enabled): a pass every intervalMs, counted from the end of the last. */
  start(): void {
    if (!this.deps.config.enabled || this.loop) return;
    const signal = this.controller.signal;
    this.loop = (async () => {
      while (!signal.aborted) {
        this.nextRunAt = Date.now() + this.deps.config.intervalMs;
        try {
          await sleep(this.deps.config.intervalMs, undefined, { signal });
        } catch {
          return;
        }
        this.nextRunAt = undefined;
        if (this.running || this.queued) {
          await this.running?.catch(() => undefined);
          continue;
        }
        await this.startPass('timer', {}).catch(() => undefined);
      }
    })();
  }

  /**
   * Runs a pass now and resolves with its summary. A full pass asked for while one is running
   * starts when that one ends (requests arriving meanwhile share it). A pass limited to
   * some pieces runs at once, beside any other.
   */
  run(options: RunOptions = {}): Promise<RepairRunSummary> {
    if (this.controller.signal.aborted) return Promise.reject(new DdcError('DDC_SHUTTING_DOWN', 'the node is shutting down'));
    if (options.pieces) {
      const p = this.execute('request', options);
      this.targeted.add(p);
      void p.finally(() => this.targeted.delete(p)).catch(() => undefined);
      return p;
    }
    if (!this.running) return this.startPass('request', options);
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.startPass('request', options);
      });
    return this.queued;
  }

  private startPass(trigger: RepairRunSummary['trigger'], options: RunOptions): Promise<RepairRunSummary> {
    const p = this.execute(trigger, options, true);
    this.running = p;
    void p.finally(() => {
      if (this.running === p) this.running = undefined;
    }).catch(() => undefined);
    return p;
  }

  status(): RepairStatus {
    const f = PRIORITY_FACTORS[this.deps.config.priority];
    return {
      enabled: this.deps.config.enabled,
      config: this.deps.config,
      effective: { concurrency: this.concurrency, bandwidthBytesPerSec: Math.round(this.deps.config.bandwidthBytesPerSec * f.bandwidth) },
      running: this.running !== undefined,
      passes: this.passes,
      current: this.current ? { ...this.current, failures: [...this.current.failures] } : null,
      last: this.last ?? null,
      nextRunAt: this.nextRunAt === undefined ? null : new Date(this.nextRunAt).toISOString(),
      totals: { ...this.totals },
    };
  }

  async close(): Promise<void> {
    this.controller.abort(new DdcError('DDC_SHUTTING_DOWN', 'the node is shutting down'));
    await Promise.allSettled([this.loop, this.running, this.queued, ...this.targeted]);
  }

  private newSummary(trigger: RepairRunSummary['trigger'], options: RunOptions): RepairRunSummary {
    return {
      pass: ++this.passes,
      trigger,
      pieces: options.pieces ?? null,
      force: options.force === true,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      durationMs: null,
      membershipHash: null,
      shardsScanned: 0,
      stripesScanned: 0,
      responsibleStripes: 0,
      shortStripes: 0,
      stripesLeftShort: 0,
      shardsRepaired: 0,
      alreadyPresent: 0,
      shardsMoved: 0,
      quarantined: 0,
      homesUnreachable: 0,
      awaitingMove: 0,
      bytesFetched: 0,
      bytesSent: 0,
      failureCount: 0,
      failures: [],
      error: null,
    };
  }

  private fail(s: RepairRunSummary, pieceCid: string | null, index: number | null, node: string | null, e: unknown): void {
    const err = asDdcError(e);
    s.failureCount++;
    this.totals.failures++;
    if (s.failures.length < MAX_FAILURES_KEPT) s.failures.push({ pieceCid, index, node, code: err.code, message: err.message, time: new Date().toISOString() });
  }

  private async execute(trigger: RepairRunSummary['trigger'], options: RunOptions, full = false): Promise<RepairRunSummary> {
    const s = this.newSummary(trigger, options);
    if (full) this.current = s;
    const started = Date.now();
    const signal = this.controller.signal;
    try {
      const seen = new Set<string>();
      if (options.pieces) {
        const shards = options.pieces.flatMap((cid) => this.deps.store.pieceShards(cid).map((sh) => ({ id: sh.id, pieceCid: sh.pieceCid, index: sh.index, k: sh.k, m: sh.m, length: sh.length })));
        await this.processPage(shards, s, seen, options.force === true, signal);
      } else {
        let after: string | undefined;
        for (;;) {
          signal.throwIfAborted();
          const page = this.deps.store.list(after, REPAIR_PAGE);
          await this.processPage(page.shards, s, seen, options.force === true, signal);
          if (page.next === null) break;
          after = page.next;
        }
      }
    } catch (e) {
      const err = asDdcError(signal.aborted ? signal.reason : e);
      s.error = { code: err.code, message: err.message };
      if (!signal.aborted) this.deps.log({ event: 'repair-error', code: err.code, message: err.message });
    } finally {
      s.finishedAt = new Date().toISOString();
      s.durationMs = Date.now() - started;
      this.totals.shardsRepaired += s.shardsRepaired;
      this.totals.shardsMoved += s.shardsMoved;
      this.totals.bytesFetched += s.bytesFetched;
      this.totals.bytesSent += s.bytesSent;
      if (full) {
        this.current = undefined;
        this.last = s;
      }
      if (s.shardsRepaired || s.shardsMoved || s.failureCount) {
        this.deps.log({ event: 'repair-pass', pass: s.pass, stripes: s.stripesScanned, short: s.shortStripes, repaired: s.shardsRepaired, moved: s.shardsMoved, failures: s.failureCount, ms: s.durationMs });
      }
    }
    return s;
  }

  /** One page of local shards: group into stripes, settle responsibility, then repair and move. */
  private async processPage(shards: readonly ListedShard[], s: RepairRunSummary, seen: Set<string>, force: boolean, signal: AbortSignal): Promise<void> {
    if (shards.length === 0) return;
    const mv = await this.deps.membership.current(signal);
    s.membershipHash ??= mv.hash;
    const self = this.deps.nodeId;
    const stripes = new Map<string, Stripe>();
    for (const sh of shards) {
      s.shardsScanned++;
      const key = `${sh.pieceCid}/${sh.k}/${sh.m}`;
      if (stripes.has(key) || seen.has(key)) continue;
      const count = sh.k + sh.m;
      let homes: ClusterNode[];
      try {
        if (count > mv.view.nodes.length) {
          throw new DdcError('DDC_INVALID_CLUSTER', `a stripe of ${count} shards needs ${count} nodes, the membership has ${mv.view.nodes.length}`, { hint: 'Add nodes to the cluster' });
        }
        homes = placeStripe(parseCid(sh.pieceCid).bytes, mv.view.nodes, count);
      } catch (e) {
        this.fail(s, sh.pieceCid, sh.index, null, e);
        continue;
      }
      // All local shards of the stripe, wherever they fall in the listing.
      const local = this.deps.store.pieceShards(sh.pieceCid)
        .filter((x) => x.k === sh.k && x.m === sh.m)
        .map((x) => ({ id: x.id, pieceCid: x.pieceCid, index: x.index, k: x.k, m: x.m, length: x.length }));
      if (local.length === 0) continue; // deleted meanwhile
      if (local.length > 1) seen.add(key);
      const atHome = local.find((x) => homes[x.index]?.id === self);
      stripes.set(key, { key, pieceCid: sh.pieceCid, k: sh.k, m: sh.m, homes, local, atHome });
    }
    s.stripesScanned += stripes.size;

    // Responsibility: ask the lower homes whether they hold their shard.
    const lowerAsks = new Map<string, { node: ClusterNode; cids: Set<string> }>();
    const ask = (asks: typeof lowerAsks, node: ClusterNode, cid: string) => {
      let a = asks.get(node.id);
      if (!a) asks.set(node.id, (a = { node, cids: new Set() }));
      a.cids.add(cid);
    };
    const candidates = [...stripes.values()].filter((st) => st.atHome);
    if (!force) for (const st of candidates) for (let i = 0; i < st.atHome!.index; i++) ask(lowerAsks, st.homes[i]!, st.pieceCid);
    const answers: Answers = new Map();
    await this.askAll(lowerAsks, answers, s, signal);
    const responsible = candidates.filter((st) => force || !st.homes.slice(0, st.atHome!.index).some((h, i) => holds(answers, h, st.pieceCid, i)));
    s.responsibleStripes += responsible.length;

    // The responsible node asks the rest of the homes.
    const restAsks = new Map<string, { node: ClusterNode; cids: Set<string> }>();
    for (const st of responsible) {
      st.homes.forEach((h, i) => {
        if (i === st.atHome!.index || (!force && i < st.atHome!.index)) return;
        ask(restAsks, h, st.pieceCid);
      });
    }
    await this.askAll(restAsks, answers, s, signal);

    const short: { st: Stripe; missing: number[]; unreachable: number }[] = [];
    for (const st of responsible) {
      const missing: number[] = [];
      let unreachable = 0;
      st.homes.forEach((h, i) => {
        if (i === st.atHome!.index) return;
        const held = answers.get(h.id)?.get(st.pieceCid);
        if (held === undefined) unreachable++;
        else if (!held.includes(i)) missing.push(i);
      });
      if (missing.length || unreachable) s.shortStripes++;
      s.homesUnreachable += unreachable;
      if (missing.length) short.push({ st, missing, unreachable });
      else if (unreachable) s.stripesLeftShort++;
    }

    // A shard missing from its home may sit on another node (its old home, before a membership
    // change): ask the other members about short stripes. Such a shard is left for its holder to
    // move, not rebuilt, and every holder is a source for what must be rebuilt.
    const otherAsks = new Map<string, { node: ClusterNode; cids: Set<string> }>();
    for (const { st } of short) {
      const homeIds = new Set(st.homes.map((h) => h.id));
      for (const n of mv.view.nodes) if (!homeIds.has(n.id) && n.id !== self) ask(otherAsks, n, st.pieceCid);
    }
    await this.askAll(otherAsks, answers, s, signal);

    const tasks: (() => Promise<void>)[] = [];
    for (const { st, missing, unreachable } of short) {
      const holders = new Map<number, ClusterNode[]>();
      for (const n of mv.view.nodes) {
        if (n.id === self) continue;
        for (const i of answers.get(n.id)?.get(st.pieceCid) ?? []) {
          if (i < st.k + st.m && st.homes[i]!.id !== n.id) (holders.get(i) ?? holders.set(i, []).get(i)!).push(n);
        }
      }
      const rebuild = missing.filter((i) => !holders.has(i));
      s.awaitingMove += missing.length - rebuild.length;
      st.homes.forEach((h, i) => {
        if (holds(answers, h, st.pieceCid, i)) (holders.get(i) ?? holders.set(i, []).get(i)!).unshift(h);
      });
      if (rebuild.length) {
        tasks.push(async () => {
          const stored = await this.repairStripe(st, rebuild, holders, s, signal);
          if (stored < rebuild.length || unreachable) s.stripesLeftShort++;
        });
      } else if (unreachable) s.stripesLeftShort++;
    }
    for (const st of stripes.values()) {
      for (const sh of st.local) if (st.homes[sh.index]?.id !== self) tasks.push(() => this.move(st, sh, s, signal));
    }
    const pauseMs = PRIORITY_FACTORS[this.deps.config.priority].pauseMs;
    await runPool(tasks, this.concurrency, signal, pauseMs);
  }

  /** One has request per node (batched), answers merged into `answers`; a node that cannot answer is left out (and noted once per pass). */
  private async askAll(asks: Map<string, { node: ClusterNode; cids: Set<string> }>, answers: Answers, s: RepairRunSummary, signal: AbortSignal): Promise<void> {
    await Promise.all(
      [...asks.values()].map(async ({ node, cids }) => {
        let got: Map<string, number[]>;
        if (node.id === this.deps.nodeId) {
          got = new Map([...cids].map((cid) => [cid, this.deps.store.pieceShards(cid).map((x) => x.index)]));
        } else {
          try {
            got = await this.deps.peers.has(node, [...cids], signal);
          } catch (e) {
            if (signal.aborted) throw e;
            if (!s.failures.some((f) => f.node === node.id && f.pieceCid === null)) this.fail(s, null, null, node.id, e);
            return;
          }
        }
        const into = answers.get(node.id);
        if (into) for (const [cid, held] of got) into.set(cid, held);
        else answers.set(node.id, got);
      }),
    );
  }

  /** Rebuilds the shards of `missing` from k verified shards and stores each on its home; returns how many homes now hold theirs. */
  private async repairStripe(st: Stripe, missing: readonly number[], holders: ReadonlyMap<number, readonly ClusterNode[]>, s: RepairRunSummary, signal: AbortSignal): Promise<number> {
    const { store, peers } = this.deps;
    let reference: VerifiedShard & { bytes: Uint8Array };
    try {
      reference = await this.readOwnUnhashed(st.atHome!, s);
    } catch (e) {
      this.fail(s, st.pieceCid, st.atHome!.index, this.deps.nodeId, e);
      return 0;
    }
    // Every shard read or fetched here, and every rebuilt one, is pooled memory given back once
    // the stripe is done (see PieceStore.releaseBytes).
    try {
      const header: ShardHeader = reference.header;
      const shardBytes = reference.headerLength + header.shardLength;
      const sources: SourceCandidate[] = [];
      const releaseLocal = (bytes: Uint8Array) => store.releaseBytes(bytes);
      for (const sh of st.local) {
        if (sh.id !== st.atHome!.id) sources.push({ index: sh.index, from: 'local', load: () => store.readShard(sh.id), release: releaseLocal });
      }
      const releaseFetched = (bytes: Uint8Array) => peers.release(bytes);
      for (const [i, nodes] of [...holders].sort((a, b) => a[0] - b[0])) {
        if (st.local.some((x) => x.index === i)) continue;
        for (const h of nodes) sources.push({ index: i, from: h.id, load: (sig) => peers.fetchShard(h, st.pieceCid, i, shardBytes, s, sig), release: releaseFetched });
      }
      // A stripe's shards are stored together under the same tokens: the references of this node's
      // shards of it go with the rebuilt ones, so that a bucket's later delete reaches them too.
      const refs = [...new Set(st.local.flatMap((sh) => this.deps.refsOf?.(sh.id) ?? []))];
      let stored = 0;
      /**
       * Rebuilds `want` and PUTs each to its home; returns the indexes a home refused as not hashing
       * to their id (only when `unchecked`: the rebuilt shards then went unhashed, as every home
       * verifies what it stores, and the caller rebuilds those again, checked, to find the liar).
       */
      const rebuildAndStore = async (want: readonly number[], unchecked: boolean): Promise<number[]> => {
        let rebuilt;
        try {
          const got = await gatherAndRebuild(header, sources, new Map([[header.index, reference]]), want, signal, (size) => store.takeReadBuffer(size), unchecked);
          got.releaseSources();
          // Own copy trusted unhashed: when the rebuild fails it may be the cause, so it is checked now.
          if (got.error) await this.checkOwn(st.atHome!, reference.bytes, s);
          // A source gone meanwhile (moved, node restarting) is routine when another served instead;
          // a source that served wrong bytes is always worth reporting.
          for (const f of got.failures) {
            const routine = f.error.code === 'DDC_SHARD_NOT_FOUND' || f.error.code === 'DDC_NODE_UNAVAILABLE' || f.error.code === 'DDC_TIMEOUT';
            if (f.from !== 'local' && (!got.enough || !routine)) this.fail(s, st.pieceCid, f.index, f.from, f.error);
          }
          if (got.error) throw got.error;
          rebuilt = got.rebuilt!;
        } catch (e) {
          if (signal.aborted) throw e;
          this.fail(s, st.pieceCid, null, null, e);
          return [];
        }
        const refused: number[] = [];
        await Promise.all(
          rebuilt.map(async (r) => {
            const home = st.homes[r.index]!;
            try {
              const { created } = await peers.putShard(home, r.id, r.bytes, s, signal, refs);
              // Answered 2xx: the home read the whole body, so the transport is done with it.
              store.releaseBytes(r.bytes);
              if (created) s.shardsRepaired++;
              else s.alreadyPresent++; // another repair or a move got there first
              stored++;
            } catch (e) {
              if (signal.aborted) throw e;
              if (unchecked && e instanceof DdcError && e.code === 'DDC_SHARD_ROOT_MISMATCH') refused.push(r.index);
              else this.fail(s, st.pieceCid, r.index, home.id, e);
            }
          }),
        );
        return refused;
      };
      const refused = await rebuildAndStore(missing, true);
      if (refused.length > 0) await rebuildAndStore(refused, false);
      return stored;
    } finally {
      store.releaseBytes(reference.bytes);
    }
  }

  /**
   * This node's copy, as a rebuild's reference and source: its header parsed and checked against
   * its id and length, its payload not hashed (the rebuilt shards' check covers it; see checkOwn).
   */
  private async readOwnUnhashed(sh: ListedShard, s: RepairRunSummary): Promise<VerifiedShard & { bytes: Uint8Array }> {
    const bytes = await this.deps.store.readShard(sh.id);
    try {
      const { header, headerLength } = decodeShardHeader(bytes);
      if (bytes.length !== headerLength + header.shardLength || toHex(header.roots[header.index]!) !== sh.id) {
        throw new DdcError('DDC_SHARD_MALFORMED', `the stored shard's header does not describe shard ${sh.id} of ${bytes.length} bytes`);
      }
      return { id: sh.id, header, headerLength, payload: bytes.subarray(headerLength), bytes };
    } catch (e) {
      this.deps.store.releaseBytes(bytes);
      throw await this.quarantineOwn(sh, s, e);
    }
  }

  /** Throws (after quarantining it) if this node's copy does not hash to its id. */
  private async checkOwn(sh: ListedShard, bytes: Uint8Array, s: RepairRunSummary): Promise<void> {
    try {
      verifyShard(bytes, sh.id);
    } catch (e) {
      throw await this.quarantineOwn(sh, s, e);
    }
  }

  /** Takes a damaged local copy out of service; returns the error to throw (the stripe's next pass rebuilds the copy). */
  private async quarantineOwn(sh: ListedShard, s: RepairRunSummary, e: unknown): Promise<DdcError> {
    s.quarantined++;
    const q = await this.deps.store.quarantine(sh.id).catch(() => undefined);
    this.deps.log({ event: 'repair-bad-local-copy', id: sh.id, pieceCid: sh.pieceCid, index: sh.index, quarantined: q?.path ?? null, message: asDdcError(e).message });
    return new DdcError(asDdcError(e).code, `this node's copy fails verification and was quarantined (the stripe's next pass rebuilds it): ${asDdcError(e).message}`, { cause: e });
  }

  /**
   * A local shard, verified. A copy that fails verification is quarantined at once (as scrub
   * would): this node then no longer holds it, so the stripe's responsible node rebuilds it.
   */
  private async readOwn(sh: ListedShard, s: RepairRunSummary): Promise<VerifiedShard & { bytes: Uint8Array }> {
    const bytes = await this.deps.store.readShard(sh.id);
    try {
      return { ...verifyShard(bytes, sh.id), bytes };
    } catch (e) {
      throw await this.quarantineOwn(sh, s, e);
    }
  }

  /** Sends a misplaced shard to its home; deletes the local copy only after a 2xx and if the home is unchanged. */
  private async move(st: Stripe, sh: ListedShard, s: RepairRunSummary, signal: AbortSignal): Promise<void> {
    let target: string | null = null;
    try {
      const settled = await this.deps.membership.settled(this.deps.config.settleMs, signal);
      const home = homeOf(settled, st.pieceCid, sh.k + sh.m, sh.index);
      target = home.id;
      if (home.id === this.deps.nodeId) return; // the view changed back: it is at home again
      const bytes = (await this.readOwn(sh, s)).bytes;
      await this.deps.peers.putShard(home, sh.id, bytes, s, signal, this.deps.refsOf?.(sh.id) ?? []);
      this.deps.store.releaseBytes(bytes);
      const now = await this.deps.membership.current(signal);
      if (now.hash !== settled.hash && homeOf(now, st.pieceCid, sh.k + sh.m, sh.index).id !== home.id) return; // next pass decides
      if (await this.deps.store.delete(sh.id)) s.shardsMoved++;
    } catch (e) {
      if (signal.aborted) throw e;
      this.fail(s, st.pieceCid, sh.index, target, e);
    }
  }
}

function holds(answers: Answers, node: ClusterNode, cid: string, index: number): boolean {
  return answers.get(node.id)?.get(cid)?.includes(index) === true;
}

function homeOf(mv: MembershipView, pieceCid: string, count: number, index: number): ClusterNode {
  if (count > mv.view.nodes.length) throw new DdcError('DDC_INVALID_CLUSTER', `a stripe of ${count} shards needs ${count} nodes, the membership has ${mv.view.nodes.length}`);
  return placeStripe(parseCid(pieceCid).bytes, mv.view.nodes, count)[index]!;
}
