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
    const prefix = fc.constantFrom('/v1/shards/', '/v1/pieces/', '/v1/shards', '/health', '/info', '/v1/', '/', '/v1/buckets/', '/v1/buckets/1/records/', '/v1/buckets/7/records', '/v1/buckets/7/digest');
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

  it('parses record routes for any bucket id and key (one percent-encoded segment)', () => {
    const key = fc.string({ minLength: 1, maxLength: 60, unit: 'grapheme' }).filter((k) => !k.includes('\0'));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), key, fc.option(fc.constantFrom('0123456789abcdef0123', 'ffffffffffff00000000')), (bucket, k, version) => {
        const route = parseRoute('GET', `/v1/buckets/${bucket}/records/${encodeURIComponent(k)}${version ? `?version=${version}` : ''}`);
        assert.deepEqual(route, { kind: 'recordGet', bucket, key: k, version: version ?? undefined, versions: false });
      }),
      { numRuns: 2000 },
    );
    assert.deepEqual(parseRoute('GET', '/v1/buckets/3/records/a+b%2Fc?versions=1'), { kind: 'recordGet', bucket: 3, key: 'a+b/c', version: undefined, versions: true });
    assert.deepEqual(parseRoute('POST', '/v1/buckets/3/records'), { kind: 'recordPut', bucket: 3 });
    assert.deepEqual(parseRoute('GET', '/v1/buckets'), { kind: 'recordBuckets' });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e9 }), key, fc.constantFrom('', '/', '%2F'), fc.option(fc.integer({ min: 1, max: 5000 })), (bucket, prefix, delim, limit) => {
        const q = `prefix=${encodeURIComponent(prefix)}&delimiter=${delim}&after=${encodeURIComponent(prefix)}${limit === null ? '' : `&limit=${limit}`}`;
        const route = parseRoute('GET', `/v1/buckets/${bucket}/records?${q}`);
        assert.deepEqual(route, { kind: 'recordList', bucket, prefix, delimiter: delim === '' ? '' : '/', after: prefix, limit: Math.min(limit ?? 1000, 1000) });
      }),
    );
    assert.deepEqual(parseRoute('GET', '/v1/buckets/3/records'), { kind: 'recordList', bucket: 3, prefix: '', delimiter: '', after: null, limit: 1000 });
    assert.deepEqual(parseRoute('GET', '/v1/buckets/3/digest?after=AAB_-z&limit=20000'), { kind: 'recordDigest', bucket: 3, after: 'AAB_-z', limit: 10_000 });
    const bad = (method: string, url: string, code: string) => assert.throws(() => parseRoute(method, url), (e: unknown) => isDdcError(e) && e.code === code, url);
    for (const b of ['-1', '01', '1.5', 'x', '99999999999999999', '']) bad('GET', `/v1/buckets/${b}/records/k`, 'DDC_INVALID_ARGUMENT');
    bad('GET', '/v1/buckets/1/records/k?version=ABC', 'DDC_INVALID_ARGUMENT');
    bad('GET', '/v1/buckets/1/records/a%00b', 'DDC_INVALID_ARGUMENT');
    bad('GET', '/v1/buckets/1/records/%FF', 'DDC_INVALID_ARGUMENT');
    bad('GET', `/v1/buckets/1/records/${'%C3%A9'.repeat(513)}`, 'DDC_INVALID_ARGUMENT');
    bad('GET', '/v1/buckets/1/records/', 'DDC_INVALID_ARGUMENT');
    bad('GET', '/v1/buckets/1/digest?after=a%2Bb', 'DDC_INVALID_ARGUMENT');
    bad('GET', '/v1/buckets/1/records?limit=0', 'DDC_INVALID_ARGUMENT');
    bad('GET', '/v1/buckets/1/records?prefix=a%00', 'DDC_INVALID_ARGUMENT');
    bad('PUT', '/v1/buckets/1/records', 'DDC_METHOD_NOT_ALLOWED');
    bad('POST', '/v1/buckets', 'DDC_METHOD_NOT_ALLOWED');
    bad('POST', '/v1/buckets/1/records/k', 'DDC_METHOD_NOT_ALLOWED');
    bad('GET', '/v1/buckets/1/records/a/b', 'DDC_NOT_FOUND');
    bad('GET', '/v1/buckets/1', 'DDC_NOT_FOUND');
    bad('GET', '/v1/buckets/1/other', 'DDC_NOT_FOUND');
  });

  it('limits URLs to 8 KiB and answers 405 with the allowed methods', () => {
    assert.throws(() => parseRoute('GET', `/v1/shards?x=${'a'.repeat(MAX_URL_BYTES)}`), (e: unknown) => isDdcError(e, 'DDC_INVALID_ARGUMENT'));
    assert.throws(
      () => parseRoute('POST', '/health'),
      (e: unknown) => isDdcError(e, 'DDC_METHOD_NOT_ALLOWED') && JSON.stringify(e.details?.['allow']) === '["GET","HEAD"]',
    );
    assert.deepEqual(parseRoute('HEAD', '/health?x'), { kind: 'health', method: 'HEAD' });
    assert.deepEqual(parseRoute('GET', '/info'), { kind: 'info' });
  });
});
