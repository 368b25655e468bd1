/**
 * The record service as the handlers see it, kept beside the NodeContext (attached once at
 * start, like the identity) so the context's shape stays the piece store's.
 */
import { DdcError } from '@ddc/core';
import type { NodeContext } from '../http/context.js';
import type { RecordStore } from './store.js';
import type { RecordSync } from './sync.js';

export interface NodeRecords {
  readonly store: RecordStore;
  /** Anti-entropy with the other replicas; undefined on a node without membership. */
  sync: RecordSync | undefined;
}

const attached = new WeakMap<NodeContext, NodeRecords>();

export function attachRecords(ctx: NodeContext, records: NodeRecords): void {
  attached.set(ctx, records);
}

export function recordsOf(ctx: NodeContext): NodeRecords {
  const r = attached.get(ctx);
  if (!r) throw new DdcError('DDC_INTERNAL', 'this node has no record store open', { hint: 'Start nodes with startNode(), which opens DATA/records' });
  return r;
}

/** The `records` part of /v1/status, or null for a context built without startNode. */
export function recordsStatus(ctx: NodeContext): Record<string, unknown> | null {
  const r = attached.get(ctx);
  if (!r) return null;
  const { buckets, records } = r.store.stats();
  const s = r.sync?.status();
  return { buckets, records, lastSync: s?.lastSync ?? null, pulled: s?.pulled ?? 0, sync: s ?? null };
}
