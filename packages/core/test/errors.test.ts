import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DdcError, ERROR_STATUS, errorFromJSON, statusOf } from '../src/index.js';

test('every error code is documented in docs/ERRORS.md with its status', () => {
  const doc = readFileSync(new URL('../../../../docs/ERRORS.md', import.meta.url), 'utf8');
  for (const [code, status] of Object.entries(ERROR_STATUS)) assert.match(doc, new RegExp(`\\| \`${code}\` \\| ${status} \\|`), code);
});

test('errors carry code, status, hint, and survive a JSON round trip', () => {
  const e = new DdcError('DDC_TOO_LARGE', 'the shard is too big', { hint: 'Send less', details: { limit: 5 } });
  assert.equal(e.status, 413);
  assert.match(e.message, /Send less/);
  const back = errorFromJSON(JSON.parse(JSON.stringify(e)));
  assert.equal(back.code, 'DDC_TOO_LARGE');
  assert.deepEqual(back.details, { limit: 5 });
  assert.equal(errorFromJSON({ code: 'NOPE', message: 'x' }).code, 'DDC_NODE_BAD_RESPONSE');
  assert.equal(statusOf('whatever'), 500);
});
