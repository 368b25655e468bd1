/**
 * SigV4 on the receiving side: AWS's published examples (header auth, presigned URL, the
 * signed streaming upload and its chunk signatures) verify; the AWS SDK's own signer
 * (@smithy/signature-v4) and our verifier agree on random requests; and every edit of a
 * signed request (path, query, signed header, time, key) is refused with the S3 code a
 * client expects.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import fc from 'fast-check';
import { SignatureV4 } from '@smithy/signature-v4';
import { AwsChunkedDecoder, authenticate, headerMap, type SigV4Request } from '../src/auth/index.js';
import { S3Error } from '../src/s3/errors.js';
import { code } from './s3-code.js';

const AKID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const lookup = (id: string) => (id === AKID ? SECRET : undefined);
const T_2013 = Date.UTC(2013, 4, 24, 0, 0, 0);

/** SHA-256 (or HMAC with a secret) in the shape the SDK's signer takes. */
class Sha256 {
  private readonly h: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    const key = secret === undefined || typeof secret === 'string' ? secret : ArrayBuffer.isView(secret) ? new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength) : new Uint8Array(secret);
    this.h = key === undefined ? createHash('sha256') : createHmac('sha256', key);
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(typeof data === 'string' ? data : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset(): void {}
}

function request(method: string, url: string, headers: [string, string][]): SigV4Request {
  const q = url.indexOf('?');
  return { method, rawPath: q < 0 ? url : url.slice(0, q), rawQuery: q < 0 ? '' : url.slice(q + 1), headers: headerMap(headers.flat()) };
}

test('AWS example: GET with header auth and a Range header', () => {
  const auth = `AWS4-HMAC-SHA256 Credential=${AKID}/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41`;
  const r = request('GET', '/test.txt', [
    ['Host', 'examplebucket.s3.amazonaws.com'], ['Range', 'bytes=0-9'], ['x-amz-content-sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['x-amz-date', '20130524T000000Z'], ['Authorization', auth],
  ]);
  const ok = authenticate(r, lookup, T_2013);
  assert.equal(ok?.accessKeyId, AKID);
  assert.deepEqual(ok?.payload, { kind: 'sha256', hex: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' });
  // One changed byte anywhere signed is refused.
  assert.equal(code(() => authenticate({ ...r, rawPath: '/test.txT' }, lookup, T_2013)), 'SignatureDoesNotMatch');
  assert.equal(code(() => authenticate({ ...r, headers: headerMap(['Host', 'examplebucket.s3.amazonaws.com', 'Range', 'bytes=0-10', 'x-amz-content-sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'x-amz-date', '20130524T000000Z', 'Authorization', auth]) }, lookup, T_2013)), 'SignatureDoesNotMatch');
  assert.equal(code(() => authenticate(r, () => 'another secret', T_2013)), 'SignatureDoesNotMatch');
  assert.equal(code(() => authenticate(r, () => undefined, T_2013)), 'InvalidAccessKeyId');
  assert.equal(code(() => authenticate(r, lookup, T_2013 + 16 * 60_000)), 'RequestTimeTooSkewed');
  assert.equal(code(() => authenticate(r, lookup, T_2013 - 16 * 60_000)), 'RequestTimeTooSkewed');
  assert.equal(code(() => authenticate({ ...r, rawQuery: 'x=1' }, lookup, T_2013)), 'SignatureDoesNotMatch');
});

test('AWS example: PUT with a signed payload hash and a $ in the key', () => {
  const r = request('PUT', '/test%24file.text', [
    ['Host', 'examplebucket.s3.amazonaws.com'], ['Date', 'Fri, 24 May 2013 00:00:00 GMT'], ['x-amz-date', '20130524T000000Z'], ['x-amz-storage-class', 'REDUCED_REDUNDANCY'],
    ['x-amz-content-sha256', '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072'],
    ['Authorization', `AWS4-HMAC-SHA256 Credential=${AKID}/20130524/us-east-1/s3/aws4_request,SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd`],
  ]);
  assert.equal(authenticate(r, lookup, T_2013)?.accessKeyId, AKID);
  assert.equal(createHash('sha256').update('Welcome to Amazon S3.').digest('hex'), '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072');
});

test('AWS example: GET bucket with a query (max-keys, prefix)', () => {
  const r = request('GET', '/?max-keys=2&prefix=J', [
    ['Host', 'examplebucket.s3.amazonaws.com'], ['x-amz-date', '20130524T000000Z'], ['x-amz-content-sha256', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['Authorization', `AWS4-HMAC-SHA256 Credential=${AKID}/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-content-sha256;x-amz-date,Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7`],
  ]);
  assert.equal(authenticate(r, lookup, T_2013)?.accessKeyId, AKID);
});

test('AWS example: presigned URL, valid 86400 s, then expired', () => {
  const url = `/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${AKID}%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404`;
  const r = request('GET', url, [['Host', 'examplebucket.s3.amazonaws.com']]);
  const ok = authenticate(r, lookup, T_2013 + 3600_000);
  assert.equal(ok?.presigned, true);
  assert.deepEqual(ok?.payload, { kind: 'unsigned' });
  assert.equal(code(() => authenticate(r, lookup, T_2013 + 86_401_000)), 'AccessDenied');
  assert.equal(code(() => authenticate(request('GET', url.replace('86400', '86401'), [['Host', 'examplebucket.s3.amazonaws.com']]), lookup, T_2013)), 'SignatureDoesNotMatch');
  assert.equal(code(() => authenticate(request('GET', url.replace('86400', '604801'), [['Host', 'examplebucket.s3.amazonaws.com']]), lookup, T_2013)), 'AuthorizationQueryParametersError');
  assert.equal(code(() => authenticate(request('GET', url, [['Host', 'other.s3.amazonaws.com']]), lookup, T_2013)), 'SignatureDoesNotMatch');
});

const SEED = '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9';
const CHUNK_SIGS = ['ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648', '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497', 'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9'];

function streamingExample() {
  const r = request('PUT', '/examplebucket/chunkObject.txt', [
    ['Host', 's3.amazonaws.com'], ['x-amz-date', '20130524T000000Z'], ['x-amz-storage-class', 'REDUCED_REDUNDANCY'],
    ['x-amz-content-sha256', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD'], ['Content-Encoding', 'aws-chunked'], ['x-amz-decoded-content-length', '66560'], ['Content-Length', '66824'],
    ['Authorization', `AWS4-HMAC-SHA256 Credential=${AKID}/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=${SEED}`],
  ]);
  const body = Buffer.concat([
    Buffer.from(`10000;chunk-signature=${CHUNK_SIGS[0]}\r\n`), Buffer.alloc(65536, 'a'), Buffer.from('\r\n'),
    Buffer.from(`400;chunk-signature=${CHUNK_SIGS[1]}\r\n`), Buffer.alloc(1024, 'a'), Buffer.from('\r\n'),
    Buffer.from(`0;chunk-signature=${CHUNK_SIGS[2]}\r\n\r\n`),
  ]);
  return { r, body };
}

function decodeAll(decoder: AwsChunkedDecoder, body: Uint8Array, splits: number[]): Buffer {
  const out: Uint8Array[] = [];
  let at = 0;
  for (const s of [...splits.filter((x) => x > 0 && x < body.length).sort((a, b) => a - b), body.length]) {
    out.push(...decoder.push(body.subarray(at, s)));
    at = s;
  }
  decoder.finish();
  return Buffer.concat(out);
}

test('AWS example: a signed streaming upload decodes to 66560 bytes, however the wire is split', () => {
  const { r, body } = streamingExample();
  const auth = authenticate(r, lookup, T_2013);
  assert.ok(auth && auth.payload.kind === 'streaming' && auth.payload.signed);
  assert.equal(body.length, 66824, 'the example body has the length its Content-Length says');
  fc.assert(fc.property(fc.array(fc.nat(body.length), { maxLength: 8 }), (splits) => {
    const p = auth.payload.kind === 'streaming' ? auth.payload : undefined;
    const out = decodeAll(new AwsChunkedDecoder({ signer: p!.signed, trailer: false }), body, splits);
    assert.deepEqual(out, Buffer.alloc(66560, 'a'));
  }), { numRuns: 60 });
});

test('a streaming upload with one changed data byte, a reordered chunk or a truncated end is refused', () => {
  const { r, body } = streamingExample();
  const auth = authenticate(r, lookup, T_2013)!;
  const signer = auth.payload.kind === 'streaming' ? auth.payload.signed : null;
  const run = (b: Uint8Array) => code(() => decodeAll(new AwsChunkedDecoder({ signer, trailer: false }), b, []));
  const flipped = Buffer.from(body);
  flipped[70_000 - 4000] = 0x62;
  assert.equal(run(flipped), 'SignatureDoesNotMatch');
  assert.equal(run(body.subarray(0, body.length - 3)), 'IncompleteBody');
  assert.equal(run(body.subarray(0, 30_000)), 'IncompleteBody');
  const swapped = Buffer.from(body.toString('latin1').replace(CHUNK_SIGS[0]!, CHUNK_SIGS[1]!), 'latin1');
  assert.equal(run(swapped), 'SignatureDoesNotMatch');
  assert.equal(run(Buffer.concat([body, Buffer.from('x')])), 'InvalidRequest');
  // Without signatures (unsigned trailer mode) the same framing decodes, trailers read.
  const unsigned = Buffer.from('5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n');
  const d = new AwsChunkedDecoder({ signer: null, trailer: true });
  assert.equal(decodeAll(d, unsigned, [3, 9]).toString(), 'hello');
  assert.equal(d.trailers.get('x-amz-checksum-crc32'), 'NhCmhg==');
});

test('fuzz: the chunked decoder never throws anything but an S3Error, and never yields more than declared', () => {
  const { body } = streamingExample();
  fc.assert(fc.property(
    fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.tuple(fc.nat(body.length - 1), fc.integer({ min: 0, max: 255 }), fc.nat(body.length)).map(([at, v, cut]) => {
        const b = Buffer.from(body.subarray(0, Math.max(cut, 1)));
        if (at < b.length) b[at] = v;
        return new Uint8Array(b);
      }),
      fc.string({ maxLength: 200 }).map((s) => new Uint8Array(Buffer.from(s.replace(/\n/g, '\r\n'), 'latin1'))),
    ),
    fc.boolean(),
    (bytes, trailer) => {
      const d = new AwsChunkedDecoder({ signer: null, trailer });
      let n = 0;
      try {
        for (const p of d.push(bytes)) n += p.length;
        d.finish();
      } catch (e) {
        assert.ok(e instanceof S3Error, `threw ${String(e)}`);
      }
      assert.ok(n <= bytes.length);
    },
  ), { numRuns: 2000 });
});

test('the AWS SDK signer and this verifier agree on random requests, and disagree on edited ones', async () => {
  const signer = new SignatureV4({ credentials: { accessKeyId: AKID, secretAccessKey: SECRET }, region: 'eu-west-3', service: 's3', sha256: Sha256, uriEscapePath: false, applyChecksum: false });
  const keyChars = fc.constantFrom(...Array.from('abcXYZ019 -_.~!$&\'()*+,;=:@/%?#[]üé漢😀'));
  await fc.assert(fc.asyncProperty(
    fc.array(keyChars, { minLength: 1, maxLength: 30 }).map((a) => a.join('')),
    fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/), fc.array(keyChars, { maxLength: 10 }).map((a) => a.join('')), { maxKeys: 4 }),
    fc.dictionary(fc.stringMatching(/^x-amz-meta-[a-z]{1,8}$/), fc.stringMatching(/^[ -~]{0,20}$/), { maxKeys: 3 }),
    fc.constantFrom('GET', 'PUT', 'DELETE', 'HEAD'),
    fc.boolean(),
    async (key, query, meta, method, presign) => {
      // As the S3 client does: the path escaped once (S3 does not normalize it), then signed as it is.
      const sentPath = `/bucket/${key}`.split('/').map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)).join('/');
      const now = Date.UTC(2026, 0, 2, 3, 4, 5);
      const req = { method, protocol: 'http:', hostname: '127.0.0.1', port: 9000, path: sentPath, query, headers: { host: '127.0.0.1:9000', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...meta } };
      const signed = presign
        ? await signer.presign(req, { signingDate: new Date(now), expiresIn: 600 })
        : await signer.sign(req, { signingDate: new Date(now) });
      const qs = Object.entries(signed.query ?? {}).flatMap(([n, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${encodeURIComponent(n)}=${encodeURIComponent(x ?? '')}`)).join('&');
      const headers = Object.entries(signed.headers).flat();
      const r = request(method, qs ? `${sentPath}?${qs}` : sentPath, [...headers.reduce<[string, string][]>((acc, v, i) => (i % 2 ? acc : [...acc, [v, headers[i + 1]!]]), [])]);
      assert.equal(authenticate(r, lookup, now + 1000)?.accessKeyId, AKID);
      assert.equal(code(() => authenticate({ ...r, rawPath: `${r.rawPath}x` }, lookup, now)), 'SignatureDoesNotMatch');
      assert.equal(code(() => authenticate({ ...r, method: method === 'GET' ? 'PUT' : 'GET' }, lookup, now)), 'SignatureDoesNotMatch');
      assert.equal(code(() => authenticate({ ...r, rawQuery: r.rawQuery ? `${r.rawQuery}&extra=1` : 'extra=1' }, lookup, now)), 'SignatureDoesNotMatch');
    },
  ), { numRuns: 150 });
});

test('malformed Authorization headers get AuthorizationHeaderMalformed or InvalidRequest, never a crash', () => {
  const base = [['Host', 'h'], ['x-amz-date', '20130524T000000Z'], ['x-amz-content-sha256', 'UNSIGNED-PAYLOAD']] as [string, string][];
  assert.equal(code(() => authenticate(request('GET', '/', [...base, ['Authorization', 'AWS AKID:abc']]), lookup, T_2013)), 'InvalidRequest');
  assert.equal(code(() => authenticate(request('GET', '/', [...base, ['Authorization', 'AWS4-HMAC-SHA256 Credential=x']]), lookup, T_2013)), 'AuthorizationHeaderMalformed');
  assert.equal(code(() => authenticate(request('GET', '/', [...base, ['Authorization', `AWS4-HMAC-SHA256 Credential=${AKID}/20130524/us-east-1/s3/aws4_request,SignedHeaders=x-amz-date;host,Signature=00`]]), lookup, T_2013)), 'AuthorizationHeaderMalformed');
  fc.assert(fc.property(fc.string({ maxLength: 300 }), fc.string({ maxLength: 200 }), (auth, query) => {
    const c = code(() => authenticate(request('GET', `/b/k?${query}`, [...base, ['Authorization', `AWS4-HMAC-SHA256 ${auth}`]]), lookup, T_2013));
    assert.ok(['AuthorizationHeaderMalformed', 'SignatureDoesNotMatch', 'InvalidAccessKeyId', 'InvalidURI', 'InvalidArgument', 'AccessDenied', 'InvalidRequest'].includes(c), c);
  }), { numRuns: 1000 });
});
