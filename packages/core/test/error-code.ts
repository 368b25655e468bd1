/** The DdcError code a call throws ('none' when it returns); a plain exception fails the test. */
import assert from 'node:assert/strict';
import { DdcError } from '../src/index.js';

export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof DdcError, `a plain ${String(e)} escaped`);
    return e.code;
  }
  return 'none';
}
