/**
 * The node's handle on cluster membership: any client `Membership` (a descriptor file
 * today, the ledger later), plus what the workers need on top: a hash naming the view,
 * when it last changed, and waiting until a change has settled.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { clusterViewHash, FileMembership, type ClusterView, type Membership } from '@ddc/client';
import { DdcError } from '@ddc/core';

export interface MembershipView {
  view: ClusterView;
  hash: string;
  /** When this node first saw this view (ms since the epoch). */
  since: number;
}

export interface MembershipStatus {
  /** Where the view comes from: the descriptor file's path, the chain, or 'static'. */
  source: string;
  nodes: number;
  /** Fingerprint of the view (equal on every node that sees the same descriptor), or null before the first. */
  hash: string | null;
  /** Distinct views seen since start. */
  version: number;
  changedAt: string | null;
  /** Why the latest read was not taken (the last good view stays in use). */
  error: { code: string; message: string } | null;
}

export class NodeMembership {
  private last: MembershipView | undefined;
  private versions = 0;
  private error: DdcError | undefined;

  constructor(
    readonly inner: Membership,
    readonly source: string,
  ) {}

  /** The current view; rejects (DDC_INVALID_CLUSTER) while there is none. */
  async current(signal?: AbortSignal): Promise<MembershipView> {
    let view: ClusterView;
    try {
      view = await this.inner.current(signal);
      // File and chain memberships keep the last good view and say why a newer read failed.
      this.error = (this.inner as { lastError?: DdcError }).lastError;
    } catch (e) {
      this.error = e instanceof DdcError ? e : new DdcError('DDC_INVALID_CLUSTER', String(e));
      throw this.error;
    }
    if (this.last?.view === view) return this.last;
    const hash = clusterViewHash(view);
    if (this.last?.hash === hash) {
      this.last = { ...this.last, view };
      return this.last;
    }
    const since = this.inner instanceof FileMembership && this.inner.snapshot?.hash === hash ? (this.inner.changedAt ?? Date.now()) : Date.now();
    this.last = { view, hash, since };
    this.versions++;
    return this.last;
  }

  /**
   * Waits until the current view has been unchanged for `settleMs`, and returns it. A node
   * moves shards (and deletes its copies) only then, so every node has seen the change
   * (the descriptor file is re-read every 2 s) and none moves a shard back on a stale view.
   */
  async settled(settleMs: number, signal?: AbortSignal): Promise<MembershipView> {
    for (;;) {
      const v = await this.current(signal);
      const age = Date.now() - v.since;
      if (age >= settleMs) return v;
      await sleep(Math.min(settleMs - age, 1000), undefined, signal ? { signal } : undefined);
    }
  }

  async status(): Promise<MembershipStatus> {
    await this.current().catch(() => undefined);
    return {
      source: this.source,
      nodes: this.last?.view.nodes.length ?? 0,
      hash: this.last?.hash ?? null,
      version: this.versions,
      changedAt: this.last ? new Date(this.last.since).toISOString() : null,
      error: this.error ? { code: this.error.code, message: this.error.message } : null,
    };
  }

  close(): Promise<void> {
    return this.inner.close?.() ?? Promise.resolve();
  }
}
