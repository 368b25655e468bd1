/**
 * The scrub worker: re-reads every shard this node holds at `bytesPerSec`, verifies it
 * (file shards streamed through core's ShardVerifier, inline ones with verifyShard) against
 * the id it is stored under, and mends what fails:
 *
 * 1. the bad copy is taken out of service: its index entries are removed (it is never served
 *    again) and its bytes moved to DATA/quarantine/<id>.<ms> for inspection; the folder keeps
 *    the newest QUARANTINE_KEEP files, older ones are deleted;
 * 2. the shard is rebuilt here from k verified siblings fetched from the stripe's homes (each
 *    sibling verified on its own and required to list this shard's id in its header; the
 *    rebuilt shard must hash to the id) and stored under the same id.
 *
 * A pass walks the store in id order; passes start `intervalMs` after the previous ended.
 */
import { open, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { setMaxListeners } from 'node:events';
import { DdcError, ShardVerifier, equalBytes, fromHex, parseCid, placeStripe, verifyShard, type VerifiedShard } from '@ddc/core';
import type { Logger } from '../http/respond.js';
import type { NodeMembership } from '../membership/node-membership.js';
import type { ListedShard, PieceStore } from '../store/piece-store.js';
import type { ScrubConfig } from './config.js';
import type { Peers, TrafficCounter } from './peers.js';
import { asDdcError, gatherShards, rebuildShards, type SourceCandidate } from './stripe.js';
import { TokenBucket } from './token-bucket.js';

export const SCRUB_PAGE = 256;
/** Quarantined files kept; older ones are deleted. */
export const QUARANTINE_KEEP = 256;
const MAX_FINDINGS_KEPT = 100;
const READ_CHUNK = 1024 * 1024;

export interface ScrubFinding {
  id: string;
  pieceCid: string;
  index: number;
  error: { code: string; message: string };
  /** Where the bad bytes went (null if there were none left to keep). */
  quarantined: string | null;
  repaired: boolean;
  /** Why the rebuild failed, if it did (the next pass of repair on another node may still restore it). */
  repairError: { code: string; message: string } | null;
  time: string;
}

export interface ScrubPassSummary {
  pass: number;
  trigger: 'timer' | 'request';
  startedAt: string;
  finishedAt: string | null;
  shardsChecked: number;
  bytesChecked: number;
  bad: number;
  repaired: number;
  error: { code: string; message: string } | null;
  findings: ScrubFinding[];
}

export interface ScrubStatus {
  enabled: boolean;
  config: ScrubConfig;
  running: boolean;
  /** Passes started since the node started. */
  passes: number;
  current: Omit<ScrubPassSummary, 'findings'> | null;
  last: Omit<ScrubPassSummary, 'findings'> | null;
  /** When the last pass that read the whole store ended. */
  lastFullPassAt: string | null;
  nextRunAt: string | null;
  totals: { shardsChecked: number; bytesChecked: number; bad: number; repaired: number };
  /** The most recent findings, newest last. */
  findings: ScrubFinding[];
}

export interface ScrubWorkerDeps {
  nodeId: string;
  store: PieceStore;
  membership: NodeMembership | undefined;
  peers: Peers;
  config: ScrubConfig;
  log: Logger;
  /** The read pace; defaults to a bucket at config.bytesPerSec. */
  bucket?: TokenBucket;
}

export class ScrubWorker {
  private readonly controller = new AbortController();
  private readonly bucket: TokenBucket;
  private running: Promise<ScrubPassSummary> | undefined;
  private queued: Promise<ScrubPassSummary> | undefined;
  private current: ScrubPassSummary | undefined;
  private last: ScrubPassSummary | undefined;
  private lastFullPassAt: string | undefined;
  private passes = 0;
  private nextRunAt: number | undefined;
  private loop: Promise<void> | undefined;
  private readonly findings: ScrubFinding[] = [];
  private readonly totals = { shardsChecked: 0, bytesChecked: 0, bad: 0, repaired: 0 };
  private readBuffer: Buffer | undefined;

  constructor(private readonly deps: ScrubWorkerDeps) {
    // Every request, wait and sleep of a pass listens on this one signal.
    setMaxListeners(0, this.controller.signal);
    this.bucket = deps.bucket ?? new TokenBucket(deps.config.bytesPerSec);
  }

  start(): void {
    if (!this.deps.config.enabled || this.loop) return;
    const signal = this.controller.signal;
    this.loop = (async () => {
      // The first pass soon after start (a restart is when rot is most likely to be found), then every intervalMs.
      let wait = Math.min(this.deps.config.intervalMs, 5_000);
      while (!signal.aborted) {
        this.nextRunAt = Date.now() + wait;
        try {
          await sleep(wait, undefined, { signal });
        } catch {
          return;
        }
        this.nextRunAt = undefined;
        wait = this.deps.config.intervalMs;
        if (this.running || this.queued) {
          await this.running?.catch(() => undefined);
          continue;
        }
        await this.startPass('timer').catch(() => undefined);
      }
    })();
  }

  /** Runs a full pass now (after the running one, if any) and resolves with its summary. */
  run(): Promise<ScrubPassSummary> {
    if (this.controller.signal.aborted) return Promise.reject(new DdcError('DDC_SHUTTING_DOWN', 'the node is shutting down'));
    if (!this.running) return this.startPass('request');
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.startPass('request');
      });
    return this.queued;
  }

  private startPass(trigger: ScrubPassSummary['trigger']): Promise<ScrubPassSummary> {
    const p = this.pass(trigger);
    this.running = p;
    void p.finally(() => {
      if (this.running === p) this.running = undefined;
    }).catch(() => undefined);
    return p;
  }

  status(): ScrubStatus {
    const strip = (s: ScrubPassSummary | undefined) => (s ? (({ findings: _f, ...rest }) => rest)(s) : null);
    return {
      enabled: this.deps.config.enabled,
      config: this.deps.config,
      running: this.running !== undefined,
      passes: this.passes,
      current: strip(this.current),
      last: strip(this.last),
      lastFullPassAt: this.lastFullPassAt ?? null,
      nextRunAt: this.nextRunAt === undefined ? null : new Date(this.nextRunAt).toISOString(),
      totals: { ...this.totals },
      findings: [...this.findings],
    };
  }

  async close(): Promise<void> {
    this.controller.abort(new DdcError('DDC_SHUTTING_DOWN', 'the node is shutting down'));
    await Promise.allSettled([this.loop, this.running, this.queued]);
  }

  private async pass(trigger: ScrubPassSummary['trigger']): Promise<ScrubPassSummary> {
    const signal = this.controller.signal;
    const s: ScrubPassSummary = {
      pass: ++this.passes, trigger, startedAt: new Date().toISOString(), finishedAt: null,
      shardsChecked: 0, bytesChecked: 0, bad: 0, repaired: 0, error: null, findings: [],
    };
    this.current = s;
    try {
      let after: string | undefined;
      for (;;) {
        signal.throwIfAborted();
        const page = this.deps.store.list(after, SCRUB_PAGE);
        for (const sh of page.shards) {
          signal.throwIfAborted();
          await this.bucket.take(sh.length, signal);
          const problem = await this.check(sh);
          s.shardsChecked++;
          s.bytesChecked += sh.length;
          this.totals.shardsChecked++;
          this.totals.bytesChecked += sh.length;
          if (problem) await this.mend(sh, problem, s, signal);
        }
        if (page.next === null) break;
        after = page.next;
      }
      this.lastFullPassAt = new Date().toISOString();
    } catch (e) {
      const err = asDdcError(signal.aborted ? signal.reason : e);
      s.error = { code: err.code, message: err.message };
      if (!signal.aborted) this.deps.log({ event: 'scrub-error', code: err.code, message: err.message });
    } finally {
      s.finishedAt = new Date().toISOString();
      this.current = undefined;
      this.last = s;
    }
    return s;
  }

  /** Undefined if the stored copy verifies (or is gone meanwhile); otherwise what is wrong with it. */
  private async check(sh: ListedShard): Promise<DdcError | undefined> {
    const meta = this.deps.store.meta(sh.id);
    if (!meta) return undefined;
    try {
      if (meta.location === 'inline') {
        const bytes = this.deps.store.inlineBytes(sh.id);
        if (!bytes) throw new DdcError('DDC_SHARD_CORRUPT', 'the index entry has no inline bytes');
        try {
          verifyShard(bytes, sh.id);
        } finally {
          this.deps.store.releaseBytes(bytes);
        }
        return undefined;
      }
      const verifier = new ShardVerifier(Math.max(meta.length, this.deps.store.maxShardBytes));
      // One buffer for every read of every pass: a fresh one per shard made a busy node's small reads slower (docs/BENCHMARKS.md).
      const buf = (this.readBuffer ??= Buffer.allocUnsafeSlow(READ_CHUNK));
      const fh = await open(this.deps.store.filePath(sh.id), 'r');
      try {
        const end = meta.length > 0 ? meta.length : Number.MAX_SAFE_INTEGER;
        for (let pos = 0; pos < end; ) {
          const { bytesRead } = await fh.read(buf, 0, Math.min(READ_CHUNK, end - pos), pos);
          if (bytesRead === 0) break;
          verifier.update(buf.subarray(0, bytesRead)); // the verifier keeps nothing of it
          pos += bytesRead;
        }
      } finally {
        await fh.close();
      }
      verifier.finish(sh.id);
      return undefined;
    } catch (e) {
      if (!this.deps.store.meta(sh.id)) return undefined; // deleted or moved away while it was read
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new DdcError('DDC_SHARD_NOT_FOUND', 'the shard file is missing from disk');
      if (e instanceof DdcError) return e;
      return asDdcError(e);
    }
  }

  private async mend(sh: ListedShard, problem: DdcError, s: ScrubPassSummary, signal: AbortSignal): Promise<void> {
    const finding: ScrubFinding = {
      id: sh.id, pieceCid: sh.pieceCid, index: sh.index,
      error: { code: problem.code, message: problem.message },
      quarantined: null, repaired: false, repairError: null, time: new Date().toISOString(),
    };
    s.bad++;
    this.totals.bad++;
    this.deps.log({ event: 'scrub-bad-shard', id: sh.id, pieceCid: sh.pieceCid, index: sh.index, code: problem.code, message: problem.message });
    try {
      const q = await this.deps.store.quarantine(sh.id);
      finding.quarantined = q?.path ?? null;
      await this.pruneQuarantine();
    } catch (e) {
      const err = asDdcError(e);
      finding.repairError = { code: err.code, message: `could not quarantine: ${err.message}` };
      this.record(finding, s);
      return;
    }
    try {
      const bytes = await this.rebuild(sh, signal);
      await this.deps.store.putBytes(bytes, sh.id);
      finding.repaired = true;
      s.repaired++;
      this.totals.repaired++;
      this.deps.log({ event: 'scrub-repaired', id: sh.id, pieceCid: sh.pieceCid, index: sh.index });
    } catch (e) {
      if (signal.aborted) {
        this.record(finding, s);
        throw e;
      }
      const err = asDdcError(e);
      finding.repairError = { code: err.code, message: err.message };
      this.deps.log({ event: 'scrub-repair-failed', id: sh.id, code: err.code, message: err.message });
    }
    this.record(finding, s);
  }

  private record(f: ScrubFinding, s: ScrubPassSummary): void {
    s.findings.push(f);
    this.findings.push(f);
    if (this.findings.length > MAX_FINDINGS_KEPT) this.findings.splice(0, this.findings.length - MAX_FINDINGS_KEPT);
  }

  /**
   * This node's shard `sh` rebuilt from k siblings fetched from the stripe's homes. Each sibling
   * must verify on its own and list `sh.id` as the root of `sh.index` in its header.
   */
  private async rebuild(sh: ListedShard, signal: AbortSignal): Promise<Uint8Array> {
    if (!this.deps.membership) throw new DdcError('DDC_INVALID_CONFIG', 'this node has no cluster membership, so it cannot fetch siblings', { hint: 'Set "cluster" in the node config' });
    const mv = await this.deps.membership.current(signal);
    const count = sh.k + sh.m;
    if (count > mv.view.nodes.length) throw new DdcError('DDC_INVALID_CLUSTER', `a stripe of ${count} shards needs ${count} nodes, the membership has ${mv.view.nodes.length}`);
    const homes = placeStripe(parseCid(sh.pieceCid).bytes, mv.view.nodes, count);
    const ownRoot = fromHex(sh.id);
    const traffic: TrafficCounter = { bytesFetched: 0, bytesSent: 0 };
    const sources: SourceCandidate[] = [];
    for (const x of this.deps.store.pieceShards(sh.pieceCid)) {
      if (x.k === sh.k && x.m === sh.m && x.index !== sh.index) sources.push({ index: x.index, from: 'local', load: () => this.deps.store.readShard(x.id) });
    }
    homes.forEach((h, i) => {
      if (i === sh.index || h.id === this.deps.nodeId) return;
      sources.push({ index: i, from: h.id, load: (sig) => this.deps.peers.fetchShard(h, sh.pieceCid, i, sh.length, traffic, sig) });
    });
    const check = (bytes: Uint8Array, index: number): VerifiedShard => {
      const v = verifyShard(bytes);
      if (v.header.index !== index || v.header.k !== sh.k || v.header.m !== sh.m || !equalBytes(v.header.roots[sh.index] ?? new Uint8Array(0), ownRoot)) {
        throw new DdcError('DDC_HEADER_MISMATCH', `the shard served for index ${index} belongs to another stripe (its header does not list ${sh.id})`);
      }
      return v;
    };
    const { shards, failures } = await gatherShards(sources, sh.k, check, signal);
    if (shards.size < sh.k) {
      const why = failures.map((f) => `${f.from}#${f.index}: ${f.error.code}`).join(', ');
      throw new DdcError('DDC_PIECE_UNRECOVERABLE', `only ${shards.size} of the ${sh.k} sibling shards needed could be read${why ? ` (${why})` : ''}`, {
        hint: 'Repair on another node restores this shard once enough siblings are reachable',
      });
    }
    const reference = shards.values().next().value!.header;
    const [rebuilt] = rebuildShards(reference, shards, [sh.index]);
    return rebuilt!.bytes;
  }

  private async pruneQuarantine(): Promise<void> {
    const dir = this.deps.store.quarantineDir;
    const names = await readdir(dir).catch(() => [] as string[]);
    if (names.length <= QUARANTINE_KEEP) return;
    const byAge = names
      .map((n) => ({ n, t: Number(n.slice(n.lastIndexOf('.') + 1)) || 0 }))
      .sort((a, b) => a.t - b.t);
    for (const { n } of byAge.slice(0, names.length - QUARANTINE_KEEP)) await unlink(join(dir, n)).catch(() => undefined);
  }
}
