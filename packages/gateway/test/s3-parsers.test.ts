/**
 * The S3 layer's parsers and rules without a cluster: ranges against a model, conditional
 * headers, completion checks (order, ETags, sizes), routes (path and virtual-host style),
 * XML bodies (fuzzed: only S3Errors, DOCTYPE refused, entities decoded), metadata headers,
 * checksums against known values, and the key and bucket-name files (0600, atomic, reloaded
 * when another process changes them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { createChecksum } from '../src/auth/checksums.js';
import { headerMap } from '../src/auth/sigv4.js';
import { AccessKeyStore } from '../src/keys/store.js';
import { BucketNames, checkBucketName } from '../src/s3/bucket-names.js';
import { checkConditions, parseRange } from '../src/s3/conditional.js';
import { S3Error } from '../src/s3/errors.js';
import { composable } from '../src/s3/multipart/ops.js';
import type { PartInfo } from '../src/s3/multipart/store.js';
import { code } from './s3-code.js';
import { decodeContinuation, encodeContinuation } from '../src/s3/list.js';
import { metaFromHeaders, multipartEtag, objectHeaders } from '../src/s3/metadata.js';
import { checkCompletion } from '../src/s3/multipart/ops.js';
import { parseCopySource } from '../src/s3/objects.js';
import { routeOf } from '../src/s3/request.js';
import { escapeXml, parseXmlBody, textOf, children } from '../src/s3/xml.js';

test('ranges follow RFC 9110 for one range: a model of first-last, first- and -suffix', () => {
  fc.assert(fc.property(fc.nat(5000), fc.option(fc.nat(6000)), fc.option(fc.nat(6000)), (size, a, b) => {
    const value = `bytes=${a ?? ''}-${b ?? ''}`;
    let want: { start: number; end: number } | undefined | 'InvalidRange';
    if (a === null && b === null) want = undefined;
    else if (a === null) want = b === 0 || size === 0 ? 'InvalidRange' : { start: Math.max(0, size - b!), end: size };
    else if (a >= size) want = 'InvalidRange';
    else if (b !== null && b < a) want = undefined;
    else want = { start: a, end: Math.min(size, (b ?? size - 1) + 1) };
    if (want === 'InvalidRange') assert.equal(code(() => parseRange(value, size)), 'InvalidRange');
    else assert.deepEqual(parseRange(value, size), want);
  }), { numRuns: 2000 });
  assert.equal(parseRange('bytes=0-1,5-6', 100), undefined, 'multiple ranges: the whole object');
  assert.equal(parseRange('items=0-1', 100), undefined);
  assert.equal(parseRange(undefined, 100), undefined);
});

test('conditional reads: If-Match before If-Unmodified-Since, If-None-Match before If-Modified-Since; copies answer 412', () => {
  const t = Date.UTC(2026, 0, 1, 12, 0, 0, 500);
  const h = (o: Record<string, string>) => headerMap(Object.entries(o).flat());
  const before = new Date(t - 60_000).toUTCString();
  const after = new Date(t + 60_000).toUTCString();
  assert.equal(checkConditions(h({}), 'e', t), 'ok');
  assert.equal(checkConditions(h({ 'if-match': '"e"' }), 'e', t), 'ok');
  assert.equal(checkConditions(h({ 'if-match': '"x", "e"' }), 'e', t), 'ok');
  assert.equal(checkConditions(h({ 'if-match': '*' }), 'e', t), 'ok');
  assert.equal(checkConditions(h({ 'if-match': '"x"' }), 'e', t), 412);
  assert.equal(checkConditions(h({ 'if-match': '"e"', 'if-unmodified-since': before }), 'e', t), 'ok');
  assert.equal(checkConditions(h({ 'if-unmodified-since': before }), 'e', t), 412);
  assert.equal(checkConditions(h({ 'if-unmodified-since': new Date(t).toUTCString() }), 'e', t), 'ok', 'second precision');
  assert.equal(checkConditions(h({ 'if-none-match': 'W/"e"' }), 'e', t), 304);
  assert.equal(checkConditions(h({ 'if-none-match': '"x"', 'if-modified-since': after }), 'e', t), 'ok');
  assert.equal(checkConditions(h({ 'if-modified-since': after }), 'e', t), 304);
  assert.equal(checkConditions(h({ 'if-modified-since': before }), 'e', t), 'ok');
  assert.equal(checkConditions(h({ 'if-modified-since': 'not a date' }), 'e', t), 'ok');
  assert.equal(checkConditions(h({ 'x-amz-copy-source-if-none-match': '"e"' }), 'e', t, 'x-amz-copy-source-'), 412);
});

test('completion checks: ascending part numbers, known parts with their ETags, every part but the last at least the minimum', () => {
  const parts = [1, 2, 3, 5].map((n) => ({ partNumber: n, etag: `e${n}`, size: n === 5 ? 10 : 100, lastModified: '', file: '' }));
  const named = (...ns: number[]) => ns.map((n) => ({ partNumber: n, etag: `e${n}` }));
  assert.deepEqual(checkCompletion(named(1, 2, 5), parts, 100, 10_000).map((p) => p.partNumber), [1, 2, 5]);
  assert.equal(code(() => checkCompletion(named(2, 1), parts, 100, 10_000)), 'InvalidPartOrder');
  assert.equal(code(() => checkCompletion(named(1, 1), parts, 100, 10_000)), 'InvalidPartOrder');
  assert.equal(code(() => checkCompletion(named(1, 4), parts, 100, 10_000)), 'InvalidPart');
  assert.equal(code(() => checkCompletion([{ partNumber: 1, etag: 'e2' }], parts, 100, 10_000)), 'InvalidPart');
  assert.equal(code(() => checkCompletion(named(1, 5, 6), [...parts, { ...parts[0]!, partNumber: 6, etag: 'e6' }], 100, 10_000)), 'EntityTooSmall');
  assert.equal(code(() => checkCompletion([], parts, 100, 10_000)), 'MalformedXML');
  assert.equal(code(() => checkCompletion(named(1, 2, 3), parts, 100, 2)), 'MalformedXML');
  assert.equal(multipartEtag(['d41d8cd98f00b204e9800998ecf8427e', 'd41d8cd98f00b204e9800998ecf8427e']), '5873dd45edd01f09c1ef2e7819369e8e-2', 'md5(md5("") || md5("")), as Python\'s hashlib computes it');
});

test('routes: path style, virtual-host style (bucket.<base>), keys decoded once and never normalized', () => {
  assert.deepEqual(routeOf('/', 'localhost', ['localhost']), { bucket: undefined, key: undefined, virtualHost: false });
  assert.deepEqual(routeOf('/b', '127.0.0.1', ['localhost']), { bucket: 'b', key: undefined, virtualHost: false });
  assert.deepEqual(routeOf('/b/', '127.0.0.1', ['localhost']), { bucket: 'b', key: undefined, virtualHost: false });
  assert.deepEqual(routeOf('/b/a//c/./d%20e%2Bf+g', '127.0.0.1', ['localhost']), { bucket: 'b', key: 'a//c/./d e+f+g', virtualHost: false });
  assert.deepEqual(routeOf('/a/b', 'photos.localhost', ['localhost']), { bucket: 'photos', key: 'a/b', virtualHost: true });
  assert.deepEqual(routeOf('/', 'my.dotted.bucket.s3.example', ['s3.example']), { bucket: 'my.dotted.bucket', key: undefined, virtualHost: true });
  assert.equal(code(() => routeOf('/b/%zz', 'h', [])), 'InvalidURI');
  assert.deepEqual(parseCopySource('/src-bucket/a%20b/c?versionId=0123'), { bucket: 'src-bucket', key: 'a b/c', version: '0123' });
  assert.deepEqual(parseCopySource('src-bucket/k'), { bucket: 'src-bucket', key: 'k' });
  assert.equal(code(() => parseCopySource('just-a-bucket')), 'InvalidArgument');
});

test('bucket names follow S3 rules', () => {
  for (const ok of ['abc', 'my-bucket.1', 'a'.repeat(63)]) checkBucketName(ok);
  for (const bad of ['ab', 'a'.repeat(64), 'Abc', 'a_b', '-ab', 'ab-', 'a..b', 'a.-b', '192.168.1.1', 'xn--abc']) assert.equal(code(() => checkBucketName(bad)), 'InvalidBucketName', bad);
});

test('XML bodies: fuzzed input only ever gives S3 errors; DOCTYPE refused; entities and numeric references decoded', () => {
  const body = parseXmlBody('<?xml version="1.0"?><Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet><Object><Key>a&amp;b&#34;&#x41;</Key></Object><Object><Key> sp </Key><VersionId>v</VersionId></Object></Delete>', 'Delete');
  assert.equal(textOf(body, 'Quiet'), 'true');
  assert.deepEqual(children(body, 'Object'), [{ Key: 'a&b"A' }, { Key: ' sp ', VersionId: 'v' }]);
  assert.equal(code(() => parseXmlBody('<!DOCTYPE x [<!ENTITY a "b">]><Delete/>', 'Delete')), 'MalformedXML');
  assert.equal(code(() => parseXmlBody('<Other/>', 'Delete')), 'MalformedXML');
  assert.equal(code(() => parseXmlBody('<Delete><Object>', 'Delete')), 'MalformedXML');
  assert.deepEqual(parseXmlBody('<Delete></Delete>', 'Delete'), {});
  fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.stringMatching(/^<(Delete|CompleteMultipartUpload)>[<>/A-Za-z &;#0-9"]{0,80}$/)), (text) => {
    try {
      const o = parseXmlBody(text, 'Delete');
      for (const c of children(o, 'Object')) void c;
    } catch (e) {
      assert.ok(e instanceof S3Error && e.code === 'MalformedXML', String(e));
    }
  }), { numRuns: 3000 });
  fc.assert(fc.property(fc.string({ maxLength: 60 }), (s) => {
    const key = s.replace(/[\ud800-\udfff]/g, '');
    const parsed = parseXmlBody(`<Delete><Object><Key>${escapeXml(key)}</Key></Object></Delete>`, 'Delete');
    assert.deepEqual(children(parsed, 'Object'), [{ Key: key }], 'escapeXml round-trips through the parser');
  }), { numRuns: 1000 });
});

test('metadata: x-amz-meta-* kept by name, UTF-8 and RFC 2047 values decoded, reserved and invalid names refused, too much refused', () => {
  const h = (pairs: [string, string][]) => headerMap(pairs.flat());
  const m = metaFromHeaders(h([
    ['x-amz-meta-author', 'ana'], ['X-Amz-Meta-Note', Buffer.from('café', 'utf8').toString('latin1')], ['x-amz-meta-b64', '=?UTF-8?B?w6k=?='],
    ['Content-Type', 'text/plain'], ['Cache-Control', 'no-cache'], ['Content-Encoding', 'gzip, aws-chunked'],
  ]));
  assert.deepEqual(m, { contentType: 'text/plain', metadata: { author: 'ana', note: 'café', b64: 'é', 's3-cache-control': 'no-cache', 's3-content-encoding': 'gzip' } });
  assert.equal(code(() => metaFromHeaders(h([['x-amz-meta-s3-etag', 'x']]))), 'InvalidArgument');
  assert.equal(code(() => metaFromHeaders(h([['x-amz-meta-Bad Name', 'x']]))), 'InvalidArgument');
  assert.equal(code(() => metaFromHeaders(h([['x-amz-meta-big', 'x'.repeat(2000)]]))), 'MetadataTooLarge');
  const record = { metadata: { ...m.metadata, 's3-etag': 'abc', 's3-parts': '3' }, cid: 'bafy', time: 0, contentType: 'text/plain', version: '0'.repeat(20) };
  const out = objectHeaders(record as never);
  assert.equal(out.ETag, '"abc"');
  assert.equal(out['x-amz-meta-note'], '=?UTF-8?B?Y2Fmw6k=?=');
  assert.equal(out['cache-control'], 'no-cache');
  assert.equal(out['x-amz-mp-parts-count'], '3');
  assert.equal(out['x-amz-meta-s3-etag'], undefined);
});

test('checksums: CRC32, CRC32C, CRC64/NVME, SHA-1 and SHA-256 of "123456789" match their catalogue values', () => {
  const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
  const of = (alg: Parameters<typeof createChecksum>[0], parts: string[]) => {
    const c = createChecksum(alg);
    for (const p of parts) c.update(Buffer.from(p));
    return c.digest();
  };
  for (const parts of [['123456789'], ['1234', '56789'], ['1', '', '23456789']]) {
    assert.equal(of('crc32', parts), b64('cbf43926'));
    assert.equal(of('crc32c', parts), b64('e3069283'));
    assert.equal(of('crc64nvme', parts), b64('ae8b14860a799888'));
    assert.equal(of('sha1', parts), b64('f7c3bc1d808e04732adf679965ccc34ca7ae3441'));
    assert.equal(of('sha256', parts), b64('15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225'));
  }
});

/** Byte-at-a-time CRCs straight from their definitions: the reference the sliced ones must equal. */
function referenceCrc32c(data: Uint8Array): string {
  let c = 0xffffffff;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return Buffer.from(((c ^ 0xffffffff) >>> 0).toString(16).padStart(8, '0'), 'hex').toString('base64');
}

function referenceCrc64Nvme(data: Uint8Array): string {
  const poly = 0x9a6c9329ac4bc9b5n;
  let c = 0xffffffffffffffffn;
  for (const byte of data) {
    c ^= BigInt(byte);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ poly : c >> 1n;
  }
  return Buffer.from((c ^ 0xffffffffffffffffn).toString(16).padStart(16, '0'), 'hex').toString('base64');
}

test('property: the sliced CRC-32C and CRC-64/NVME equal the bitwise definitions for any bytes and splits', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(40), { maxLength: 8 }), (data, cuts) => {
      for (const [alg, want] of [['crc32c', referenceCrc32c(data)], ['crc64nvme', referenceCrc64Nvme(data)]] as const) {
        const c = createChecksum(alg);
        let at = 0;
        for (const n of cuts) {
          c.update(data.subarray(at, at + n));
          at = Math.min(data.length, at + n);
        }
        c.update(data.subarray(at));
        assert.equal(c.digest(), want, alg);
      }
    }),
    { numRuns: 300 },
  );
});

test('multipart completion composes only stored parts whose every part but the last is whole MiBs', () => {
  const MiB = 1024 * 1024;
  const part = (partNumber: number, size: number, stored = true): PartInfo => ({ partNumber, etag: '00', size, lastModified: '', file: 'f', ...(stored ? { cid: 'bafk' } : {}) });
  assert.equal(composable([part(1, 5 * MiB), part(2, 8 * MiB), part(3, 7)]), true);
  assert.equal(composable([part(1, 3)]), true, 'one part of any size');
  assert.equal(composable([part(1, 0)]), true, 'an empty object');
  assert.equal(composable([part(1, 5 * MiB + 7), part(2, 100)]), false, 'a part before the last not of whole MiBs');
  assert.equal(composable([part(1, 5 * MiB), part(2, 100, false)]), false, 'a staged part');
});

test('continuation tokens round-trip any key; garbage is InvalidArgument', () => {
  fc.assert(fc.property(fc.string({ maxLength: 100 }), (k) => {
    const key = k.replace(/[\ud800-\udfff]/g, '');
    assert.equal(decodeContinuation(encodeContinuation(key)), key);
  }));
  assert.equal(code(() => decodeContinuation('garbage!')), 'InvalidArgument');
  assert.equal(code(() => decodeContinuation('Zm9v')), 'InvalidArgument');
});

test('key and bucket-name files: mode 0600, written whole, re-read when another process changed them', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ddc-s3-files-'));
  try {
    const a = await AccessKeyStore.open(dir);
    const b = await AccessKeyStore.open(dir);
    const k = await a.create({ buckets: ['photos'] });
    assert.match(k.accessKeyId, /^DDC[A-Z2-7]{17}$/);
    assert.equal(k.secretAccessKey.length, 40);
    assert.equal((await stat(a.path)).mode & 0o777, 0o600);
    assert.equal(b.get(k.accessKeyId), undefined);
    await b.reloadIfStale();
    assert.equal(b.get(k.accessKeyId)?.secretAccessKey, k.secretAccessKey, 'the other store sees the new key');
    const k2 = await b.create({ buckets: ['*'] });
    await a.reloadIfStale();
    assert.deepEqual(a.list().map((x) => x.accessKeyId).sort(), [k.accessKeyId, k2.accessKeyId].sort(), 'writes merge with the file, none lost');
    await assert.rejects(a.create({ buckets: ['a', 'b'], token: 'ddct1x' }), /exactly one bucket/);
    assert.equal(await a.remove(k.accessKeyId), true);
    assert.equal(JSON.parse(await readFile(a.path, 'utf8')).keys.length, 1);

    const names = await BucketNames.open(dir);
    await names.set('photos', 7);
    await assert.rejects(names.set('photos', 8), (e: unknown) => e instanceof S3Error && e.code === 'BucketAlreadyExists');
    assert.equal((await stat(names.path)).mode & 0o777, 0o600);
    const other = await BucketNames.open(dir);
    assert.equal(other.get('photos')?.id, 7);
    await writeFile(names.path, '{"format":"nope"}');
    await assert.rejects(other.reload(), /is not/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
