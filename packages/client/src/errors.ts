/** The client throws core's typed errors; this file names the codes it uses. */
export { DdcError, isDdcError, type DdcErrorCode } from '@ddc/core';
import { DdcError } from '@ddc/core';

/** Statuses worth retrying: the node may answer differently next time. */
export function isRetryable(e: unknown): boolean {
  if (!(e instanceof DdcError)) return true;
  return ['DDC_NODE_UNAVAILABLE', 'DDC_BUSY', 'DDC_TIMEOUT', 'DDC_SHUTTING_DOWN', 'DDC_INTERNAL', 'DDC_NODE_BAD_RESPONSE'].includes(e.code);
}
