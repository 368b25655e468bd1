/** The shard fetcher's response reader: answers split anywhere read back whole; bad heads are refused by kind. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Http1ResponseError, Http1ResponseReader, MAX_RESPONSE_HEAD, type ResponseHead } from '../src/transport/http1-response.js';

const enc = new TextEncoder();
const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}$/).filter((n) => !['content-length', 'transfer-encoding', 'connection'].includes(n.toLowerCase()));
const value = fc.stringMatching(/^[ -~]{0,40}$/).map((v) => v.trim());

function response(status: number, headers: [string, string][], body: Uint8Array): Uint8Array {
  const head = `HTTP/1.1 ${status} Whatever\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}content-length: ${body.length}\r\n\r\n`;
  const out = new Uint8Array(head.length + body.length);
  out.set(enc.encode(head), 0);
  out.set(body, head.length);
  return out;
}

/** Feeds `bytes` cut at `cuts`; returns the reader and the offset right after the response. */
function feedSplit(bytes: Uint8Array, cuts: number[], bodyFor = (h: ResponseHead) => new Uint8Array(h.contentLength)): { reader: Http1ResponseReader; end: number } {
  const reader = new Http1ResponseReader(bodyFor);
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const to of [...points, bytes.length]) {
    if (to <= from) continue;
    // Each part arrives in its own array, as socket reads do.
    const part = bytes.slice(from, to);
    const used = reader.feed(part, 0, part.length);
    if (reader.done) return { reader, end: from + used };
    assert.equal(used, part.length, 'a reader that is not done takes every byte');
    from = to;
  }
  return { reader, end: -1 };
}

test('an answer cut anywhere reads back whole, and bytes after it are left', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 200, max: 599 }),
      fc.array(fc.tuple(token, value), { maxLength: 8 }),
      fc.uint8Array({ maxLength: 3000 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      fc.uint8Array({ maxLength: 20 }),
      (status, headers, body, cuts, trailing) => {
        const bytes = response(status, headers, body);
        const all = new Uint8Array(bytes.length + trailing.length);
        all.set(bytes, 0);
        all.set(trailing, bytes.length);
        const { reader, end } = feedSplit(all, cuts);
        assert.ok(reader.done);
        assert.equal(end, bytes.length);
        const r = reader.result();
        assert.equal(r.head.status, status);
        assert.equal(r.head.keepAlive, true);
        assert.deepEqual(r.body, body);
        for (const [n, v] of headers) assert.ok(r.head.headers.has(n.toLowerCase()), n);
        if (headers[0]) assert.equal(r.head.headers.get(headers[0][0].toLowerCase()), headers[0][1]);
      },
    ),
  );
});

test('any bytes at all: the reader completes, waits for more, or refuses with Http1ResponseError', () => {
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }), fc.string({ maxLength: 400 }).map((s) => enc.encode(`HTTP/1.1 200 OK\r\n${s}`))), fc.array(fc.nat(), { maxLength: 6 }), (bytes, cuts) => {
      try {
        feedSplit(bytes, cuts);
      } catch (e) {
        assert.ok(e instanceof Http1ResponseError, `a plain ${String(e)} escaped`);
        assert.ok(['malformed', 'unsupported', 'too-large'].includes(e.kind));
      }
    }),
  );
});

function kindOf(text: string): string {
  try {
    const { reader } = feedSplit(enc.encode(text), []);
    return reader.done ? 'done' : 'waiting';
  } catch (e) {
    return e instanceof Http1ResponseError ? e.kind : `plain ${String(e)}`;
  }
}

test('heads it does not read are refused by kind', () => {
  assert.equal(kindOf('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nhi'), 'done');
  assert.equal(kindOf('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nh'), 'waiting');
  assert.equal(kindOf('HTTP/1.1 204 No Content\r\n\r\n'), 'done');
  assert.equal(kindOf('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n'), 'unsupported');
  assert.equal(kindOf('HTTP/1.1 200 OK\r\n\r\nhi'), 'unsupported');
  assert.equal(kindOf('HTTP/1.1 100 Continue\r\n\r\n'), 'unsupported');
  assert.equal(kindOf('HTTP/2 200\r\ncontent-length: 0\r\n\r\n'), 'malformed');
  assert.equal(kindOf('HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\nhi'), 'malformed');
  assert.equal(kindOf('HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n'), 'malformed');
  assert.equal(kindOf('HTTP/1.1 200 OK\r\nno colon here\r\ncontent-length: 0\r\n\r\n'), 'malformed');
  assert.equal(kindOf(`HTTP/1.1 200 OK\r\nx: ${'a'.repeat(MAX_RESPONSE_HEAD)}\r\ncontent-length: 0\r\n\r\n`), 'too-large');
  assert.equal(kindOf(`HTTP/1.1 200 OK\r\nx: ${'a'.repeat(MAX_RESPONSE_HEAD - 40)}\r\ncontent-length: 0\r\n\r\n`), 'done');
});

test('keep-alive follows the version and the Connection header', () => {
  const head = (text: string) => feedSplit(enc.encode(text), []).reader.result().head;
  assert.equal(head('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n').keepAlive, true);
  assert.equal(head('HTTP/1.1 200 OK\r\nConnection: close\r\ncontent-length: 0\r\n\r\n').keepAlive, false);
  assert.equal(head('HTTP/1.0 200 OK\r\ncontent-length: 0\r\n\r\n').keepAlive, false);
  assert.equal(head('HTTP/1.0 200 OK\r\nconnection: Keep-Alive\r\ncontent-length: 0\r\n\r\n').keepAlive, true);
});

test('the body goes into the array bodyFor chose', () => {
  const mine = new Uint8Array(5);
  const { reader } = feedSplit(enc.encode('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello'), [20, 40], () => mine);
  assert.equal(reader.result().body, mine);
  assert.equal(new TextDecoder().decode(mine), 'hello');
});
