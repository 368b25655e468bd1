/**
 * Membership read from a cluster descriptor file that may change while the process runs
 * (Node only). The file is re-read when fs.watch reports a change to it and on a periodic
 * check (every `pollMs`, default 2 s), so an edit is seen even where watching is
 * unreliable (network file systems, editors that replace the file). A file that is
 * missing, not JSON or not a valid descriptor keeps the last good view and is logged once
 * per distinct problem; `current()` rejects only while no good view was ever loaded.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, dirname, resolve } from 'node:path';
import { DdcError, parseClusterDescriptor } from '@ddc/core';
import type { ClusterView, Membership } from './membership.js';

export interface FileMembershipOptions {
  /** How often the file is re-read even without a watch event, in ms. Default 2000. */
  pollMs?: number;
  /** Problems reading the file and view changes, one object each. Default: silent. */
  log?: (event: Record<string, unknown>) => void;
}

export interface MembershipChange {
  view: ClusterView;
  /** SHA-256 (hex, 16 digits) of the descriptor as parsed: equal views have equal hashes. */
  hash: string;
  /** Distinct views loaded so far (1 for the first). */
  version: number;
}

/** A short stable fingerprint of a view: equal descriptors give equal hashes on every node. */
export function clusterViewHash(view: ClusterView): string {
  const canonical = { ...view, nodes: [...view.nodes].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex').slice(0, 16);
}

export class FileMembership implements Membership {
  readonly path: string;
  private readonly pollMs: number;
  private readonly log: (event: Record<string, unknown>) => void;
  private state: MembershipChange | undefined;
  private changed: number | undefined;
  private problem: DdcError | undefined;
  private readonly listeners = new Set<(change: MembershipChange) => void>();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  private again = false;
  private closed = false;

  private constructor(path: string, options: FileMembershipOptions) {
    this.path = resolve(path);
    this.pollMs = options.pollMs ?? 2000;
    this.log = options.log ?? (() => undefined);
    if (!Number.isInteger(this.pollMs) || this.pollMs < 10) {
      throw new DdcError('DDC_INVALID_CONFIG', `pollMs must be an integer >= 10, got ${String(options.pollMs)}`, { hint: 'Leave pollMs out to use 2000' });
    }
  }

  /**
   * Loads the file and starts watching it. A missing or bad file does not throw: the
   * membership has no view until a good file appears (see `current()`).
   */
  static async open(path: string, options: FileMembershipOptions = {}): Promise<FileMembership> {
    const m = new FileMembership(path, options);
    await m.reload();
    m.startWatching();
    return m;
  }

  /** The last good view; rejects with DDC_INVALID_CLUSTER while none was ever loaded. */
  async current(): Promise<ClusterView> {
    if (this.state) return this.state.view;
    throw this.problem ?? new DdcError('DDC_INVALID_CLUSTER', `no cluster descriptor loaded from ${this.path} yet`, { hint: 'Write a valid descriptor to that file' });
  }

  /** The last good view, its hash and version, or undefined before the first one. */
  get snapshot(): MembershipChange | undefined {
    return this.state;
  }

  /** When the current view was loaded (ms since the epoch). */
  get changedAt(): number | undefined {
    return this.changed;
  }

  /** Why the file's latest content was not taken (the last good view stays), if it was not. */
  get lastError(): DdcError | undefined {
    return this.problem;
  }

  /** Called with every new view (not with re-reads of an unchanged file). Returns an unsubscribe function. */
  onChange(listener: (change: MembershipChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Re-reads the file now; resolves once the read (and any change) is applied. */
  reload(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = (async () => {
      try {
        do {
          this.again = false;
          await this.readOnce();
        } while (this.again && !this.closed);
      } finally {
        this.reading = undefined;
      }
    })();
    return this.reading;
  }

  private async readOnce(): Promise<void> {
    let view: ClusterView;
    try {
      let text: string;
      try {
        text = await readFile(this.path, 'utf8');
      } catch (cause) {
        throw new DdcError('DDC_INVALID_CLUSTER', `cannot read the cluster file ${this.path}`, { cause, hint: 'Check the path; the last good view stays in use' });
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (cause) {
        throw new DdcError('DDC_INVALID_CLUSTER', `the cluster file ${this.path} is not valid JSON`, { cause, hint: 'Fix the file; the last good view stays in use' });
      }
      view = parseClusterDescriptor(json);
    } catch (e) {
      const err = e instanceof DdcError ? e : new DdcError('DDC_INVALID_CLUSTER', String(e));
      if (this.problem?.message !== err.message) this.log({ event: 'membership-error', path: this.path, code: err.code, message: err.message, keeping: this.state?.hash ?? null });
      this.problem = err;
      return;
    }
    this.problem = undefined;
    const hash = clusterViewHash(view);
    if (hash === this.state?.hash) return;
    const change: MembershipChange = { view, hash, version: (this.state?.version ?? 0) + 1 };
    this.state = change;
    this.changed = Date.now();
    this.log({ event: 'membership-changed', path: this.path, hash, version: change.version, nodes: view.nodes.length });
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch (e) {
        this.log({ event: 'error', message: `membership listener failed: ${String(e)}` });
      }
    }
  }

  private startWatching(): void {
    const schedule = () => {
      if (this.closed) return;
      clearTimeout(this.debounce);
      // Writers replace the file with a rename; coalesce the burst of events it makes.
      this.debounce = setTimeout(() => void this.reload(), 50);
      this.debounce.unref();
    };
    try {
      // Watch the folder, not the file: a file replaced by rename is a new inode.
      const name = basename(this.path);
      this.watcher = watch(dirname(this.path), { persistent: false }, (_event, file) => {
        if (file === null || file === name || String(file).startsWith(`${name}.`)) schedule();
      });
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch {
      // No watching here (folder missing, platform limits): the periodic check still runs.
    }
    this.timer = setInterval(() => void this.reload(), this.pollMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.debounce);
    this.watcher?.close();
    this.watcher = undefined;
    this.listeners.clear();
    await this.reading;
  }
}
