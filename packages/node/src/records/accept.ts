/**
 * Whether a record may be stored (docs/ACCESS.md "Object records v1"): its writer's token
 * chain must allow put (delete, for a delete marker or a purge) on its key, for the writer's
 * key, at the record's own time. Revocations are checked only for records made in the last
 * minute: an older record was accepted by a quorum before, and sync and read repair must be
 * able to copy it after its token is revoked. Used by POST records and by sync alike.
 */
import { DdcError, decodeToken, verifyTokenChain, type ObjectRecord, type TokenLedgerView } from '@ddc/core';
import { bucketInfo } from '../auth/authenticate.js';
import type { NodeContext } from '../http/context.js';

/** Records may be made at most this far ahead of the node's clock, and are revocation-checked for this long. */
export const RECORD_CLOCK_WINDOW_MS = 60_000;

export async function checkRecordRights(ctx: NodeContext, record: ObjectRecord, now = Date.now()): Promise<void> {
  if (record.time > now + RECORD_CLOCK_WINDOW_MS) {
    throw new DdcError('DDC_RECORD_INVALID', `the record is dated ${new Date(record.time).toISOString()}, more than ${RECORD_CLOCK_WINDOW_MS / 1000} s ahead of this node's clock`, {
      hint: 'Check the writer\'s clock (NTP) and write the record again',
    });
  }
  await bucketInfo(ctx, record.bucket); // the bucket exists and lives in this node's cluster
  const directory = ctx.auth.directory!; // bucketInfo throws without one
  const view: TokenLedgerView = now - record.time <= RECORD_CLOCK_WINDOW_MS
    ? directory
    : { chainId: directory.chainId, bucketOwner: (b) => directory.bucketOwner(b), isRevoked: () => false };
  const token = decodeToken(record.token);
  const op = record.cid === null ? 'delete' : 'put';
  await verifyTokenChain(token, { bucket: record.bucket, op, key: record.key, requester: record.writer }, view, record.time / 1000);
}
