import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DdcError } from '@ddc/core';
import { sendError } from '../src/http/respond.js';
import { json, rawRequest } from './helpers.js';

describe('error answers', () => {
  it('maps DdcErrors to their status and code, and hides unknown errors behind 500 DDC_INTERNAL', async () => {
    const logged: Record<string, unknown>[] = [];
    const errors: unknown[] = [
      new DdcError('DDC_SHARD_ROOT_MISMATCH', 'bytes hash elsewhere', { hint: 'Re-upload', details: { id: 'x' } }),
      new Error('secret path /etc/passwd'),
      'a string thrown',
      new DdcError('DDC_BUSY', 'full', { details: { retryAfter: 3 } }),
    ];
    let i = 0;
    const server = createServer((_req, res) => sendError(res, errors[i++], (e) => logged.push(e)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const a = await rawRequest(url);
      assert.equal(a.status, 422);
      assert.deepEqual(json(a), { code: 'DDC_SHARD_ROOT_MISMATCH', message: 'bytes hash elsewhere. Re-upload', details: { id: 'x' } });
      for (const _ of [1, 2]) {
        const b = await rawRequest(url);
        assert.equal(b.status, 500);
        assert.equal(json(b).code, 'DDC_INTERNAL');
        assert.doesNotMatch(b.body.toString(), /secret|passwd|string thrown|at /);
      }
      assert.equal(logged.length, 2, 'the details go to the log instead');
      assert.match(String(logged[0]!.stack), /secret path/);
      const c = await rawRequest(url);
      assert.equal(c.status, 503);
      assert.equal(c.headers['retry-after'], '3');
    } finally {
      server.close();
    }
  });
});
