/** Starting the record service's sync worker once the node knows its membership. */
import type { Ed25519KeyPair } from '@ddc/core';
import type { NodeContext } from '../http/context.js';
import { checkRecordRights } from './accept.js';
import { recordsOf } from './context.js';
import { RecordSync } from './sync.js';

/** Starts anti-entropy on a node with membership (cluster or chain); a node without one only serves records. */
export function startRecordSync(ctx: NodeContext, identity: Ed25519KeyPair): RecordSync | undefined {
  const records = recordsOf(ctx);
  if (!ctx.workers) return undefined;
  const sync = new RecordSync({
    nodeId: ctx.config.id,
    store: records.store,
    membership: ctx.workers.membership,
    identity,
    config: ctx.config.records,
    accept: (record) => checkRecordRights(ctx, record),
    log: ctx.log,
  });
  records.sync = sync;
  sync.start();
  return sync;
}
