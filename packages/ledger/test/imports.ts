export * from '../src/index.node.js';
export { DdcError, isDdcError } from '@ddc/core';
import { DdcError } from '@ddc/core';
export function isDdcErrorLike(e: unknown): e is DdcError {
  return e instanceof DdcError;
}
