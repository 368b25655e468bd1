/** What every handler needs: the store, the write gate, the config and the node's state. */
import type { NodeConfig } from '../config.js';
import type { PieceStore } from '../store/piece-store.js';
import type { Logger } from './respond.js';
import type { WriteGate } from './write-gate.js';
import type { NodeWorkers } from '../workers/index.js';
import type { NodeAuth } from '../auth/node-auth.js';

export interface NodeContext {
  readonly config: NodeConfig;
  readonly store: PieceStore;
  readonly gate: WriteGate;
  readonly log: Logger;
  readonly startedAt: string;
  /** Signed requests, shard references, buckets (auth/). */
  readonly auth: NodeAuth;
  /** Set when close() starts: health answers 503 and writes are refused. */
  draining: boolean;
  /** Repair and scrub, when the node knows its cluster (config.cluster). */
  workers?: NodeWorkers;
}
