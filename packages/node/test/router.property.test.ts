import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CID, isDdcError, toHex } from '@ddc/core';
import { canonicalCid, parseRoute, MAX_URL_BYTES, type Route } from '../src/index.js';
import { makeShard } from './helpers.js';

const ROUTER_CODES = new Set(['DDC_NOT_FOUND', 'DDC_METHOD_NOT_ALLOWED', 'DDC_INVALID_ARGUMENT', 'DDC_INVALID_CID']);
const METHODS = ['GET', 'HEAD', 'PUT', 'DELETE', 'POST', 'PATCH', 'OPTIONS', 'get', ''];
const hexId = fc.uint8Array({ minLength: 32, maxLength: 32 }).map(toHex);
const pieceCid = makeShard(100).header.pieceCid.toString();

/** parseRoute's contract: a route, or a DdcError with one of the router's codes; never anything else. */
function tryRoute(method: string, url: string): Route | undefined {
  try {
    return parseRoute(method, url);
  } catch (e) {
    assert.ok(isDdcError(e), `non-DdcError for ${method} ${url}: ${String(e)}`);
    assert.ok(ROUTER_CODES.has(e.code), `unexpected code ${e.code}`);
    return undefined;
  }
}

describe('route parsing (property)', () => {
  it('never throws anything but a router DdcError, for any method and URL', () => {
    fc.assert(
      fc.property(fc.constantFrom(...METHODS), fc.string({ maxLength: 300 }), (method, url) => {
        tryRoute(method, url);
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(fc.constantFrom(...METHODS), fc.webPath(), fc.option(fc.webQueryParameters()), (method, path, query) => {
        tryRoute(method, query === null ? path : `${path}?${query}`);
      }),
      { numRuns: 2000 },
    );
  });

  it('fuzzes around real routes: prefixes, segments, queries', () => {
    const prefix = fc.constantFrom('/v1/shards/', '/v1/pieces/', '/v1/shards', '/health', '/info', '/v1/', '/');
    const tail = fc.string({ maxLength: 120, unit: fc.constantFrom('a', 'f', '0', '9', 'b', 'z', '/', '?', '&', '=', '%', '2', 'G', '.', '-', 'é', ' ') });
    fc.assert(
      fc.property(fc.constantFrom(...METHODS), prefix, tail, (method, p, t) => {
        tryRoute(method, p + t);
      }),
      { numRuns: 5000 },
    );
  });

  it('parses every shard route for any id', () => {
    fc.assert(
      fc.property(hexId, fc.constantFrom('GET', 'HEAD', 'PUT', 'DELETE'), fc.boolean(), (id, method, verify) => {
        const route = parseRoute(method, `/v1/shards/${id}${verify ? '?verify=1' : ''}`);
        assert.deepEqual(route, { kind: 'shard', method, id, verify });
      }),
    );
  });

  it('parses challenges for any leaf index and refuses bad ones', () => {
    fc.assert(
      fc.property(hexId, fc.nat(), (id, leaf) => {
        assert.deepEqual(parseRoute('GET', `/v1/shards/${id}/challenge?leaf=${leaf}`), { kind: 'challenge', id, leaf });
      }),
    );
    fc.assert(
      fc.property(hexId, fc.constantFrom('', '-1', '1.5', 'x', '99999999999', '1e3'), (id, leaf) => {
        assert.throws(() => parseRoute('GET', `/v1/shards/${id}/challenge?leaf=${leaf}`), (e: unknown) => isDdcError(e, 'DDC_INVALID_ARGUMENT'));
      }),
    );
  });

  it('parses listings with any cursor and clamps the limit', () => {
    fc.assert(
      fc.property(fc.option(hexId), fc.option(fc.integer({ min: 1, max: 1_000_000 })), (after, limit) => {
        const q = [after === null ? '' : `after=${after}`, limit === null ? '' : `limit=${limit}`].filter(Boolean).join('&');
        const route = parseRoute('GET', `/v1/shards${q ? `?${q}` : ''}`);
        assert.deepEqual(route, { kind: 'list', after: after ?? undefined, limit: limit === null ? 1000 : Math.min(limit, 10_000) });
      }),
    );
    assert.throws(() => parseRoute('GET', '/v1/shards?limit=0'), (e: unknown) => isDdcError(e, 'DDC_INVALID_ARGUMENT'));
  });

  it('refuses ids that are not 64 lowercase hex digits', () => {
    fc.assert(
      fc.property(hexId, fc.nat({ max: 63 }), fc.constantFrom('g', 'A', 'F', 'z', '-', '.', 'é'), (id, at, c) => {
        const bad = id.slice(0, at) + c + id.slice(at + 1);
        assert.throws(() => parseRoute('GET', `/v1/shards/${bad}`), (e: unknown) => isDdcError(e, 'DDC_INVALID_ARGUMENT'));
      }),
    );
    for (const bad of ['', 'ab', 'ab'.repeat(33)]) assert.throws(() => parseRoute('GET', `/v1/shards/${bad}/challenge?leaf=0`));
  });

  it('parses piece routes for indexes 0..255 and refuses others', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.constantFrom('GET', 'HEAD'), (index, method) => {
        assert.deepEqual(parseRoute(method, `/v1/pieces/${pieceCid}/${index}`), { kind: 'pieceShard', method, cid: pieceCid, index, verify: false });
      }),
    );
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 256 }), fc.constantFrom(-1)), (index) => {
        assert.throws(() => parseRoute('GET', `/v1/pieces/${pieceCid}/${index}`), (e: unknown) => isDdcError(e, 'DDC_INVALID_ARGUMENT'));
      }),
    );
    assert.deepEqual(parseRoute('GET', `/v1/pieces/${pieceCid}`), { kind: 'piece', cid: pieceCid });
  });

  it('canonicalizes piece CIDs to CIDv1 base32', () => {
    const v0 = 'QmbWqxBEKC3P8tqsKc98xmWNzrzDtRLMiMPL8wBuTGsMnR';
    assert.equal(canonicalCid(v0), CID.parse(v0).toV1().toString());
    assert.equal(canonicalCid(pieceCid), pieceCid);
    assert.throws(() => canonicalCid('Qm-not-a-cid'), (e: unknown) => isDdcError(e, 'DDC_INVALID_CID'));
  });

  it('limits URLs to 2 KiB and answers 405 with the allowed methods', () => {
    assert.throws(() => parseRoute('GET', `/v1/shards?x=${'a'.repeat(MAX_URL_BYTES)}`), (e: unknown) => isDdcError(e, 'DDC_INVALID_ARGUMENT'));
    assert.throws(
      () => parseRoute('POST', '/health'),
      (e: unknown) => isDdcError(e, 'DDC_METHOD_NOT_ALLOWED') && JSON.stringify(e.details?.['allow']) === '["GET","HEAD"]',
    );
    assert.deepEqual(parseRoute('HEAD', '/health?x'), { kind: 'health', method: 'HEAD' });
    assert.deepEqual(parseRoute('GET', '/info'), { kind: 'info' });
  });
});
