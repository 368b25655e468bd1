/** CLI usage errors; everything else is core's DdcError. */
import { DdcError } from '@ddc/core';

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function usage(message: string): UsageError {
  return new UsageError(message);
}

export { DdcError };
