/** The S3 error code `f` throws, or 'ok' (anything else thrown fails the test). */
import assert from 'node:assert/strict';
import { S3Error } from '../src/s3/errors.js';

export function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof S3Error, `not an S3Error: ${String(e)}`);
    return e.code;
  }
  return 'ok';
}
