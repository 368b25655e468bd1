/**
 * Shard GETs on the transport's own sockets (shard-fetcher.ts), against real HTTP servers on
 * loopback: bytes, connection reuse, a node that closes idle sockets, answers it hands to undici,
 * errors, aborts and timeouts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { DdcError } from '@ddc/core';
import { UndiciTransport } from '../src/transport/undici.js';

const CID = 'bafkreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy';

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void, configure?: (s: Server) => void): Promise<{ url: string; server: Server; sockets: () => number; close(): Promise<void> }> {
  const server = createServer(handler);
  configure?.(server);
  let opened = 0;
  server.on('connection', () => opened++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    sockets: () => opened,
    close: () => new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

/** As a node answers: JSON with its Content-Length (node/src/http/respond.ts). */
function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function shardServer(shards: Map<number, Uint8Array>) {
  return listen((req, res) => {
    const index = Number(req.url!.split('/').pop());
    const bytes = shards.get(index);
    if (!bytes) {
      sendJson(res, 404, { code: 'DDC_SHARD_NOT_FOUND', message: `no shard ${index} here` });
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length });
    res.end(bytes);
  });
}

/** Runs `body` with a fresh transport against server `s`, then closes both. */
async function withTransport(s: { close(): Promise<void> }, options: ConstructorParameters<typeof UndiciTransport>[0], body: (t: UndiciTransport) => Promise<void>): Promise<void> {
  const t = new UndiciTransport(options);
  try {
    await body(t);
  } finally {
    await t.close();
    await s.close();
  }
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return e instanceof DdcError ? e.code : `plain ${String(e)}`;
  }
  return 'none';
}

test('shards of many sizes come back byte for byte over a few kept-alive sockets', async () => {
  const shards = new Map<number, Uint8Array>();
  for (const [i, n] of [0, 1, 100, 65_535, 65_536, 262_144 + 250, 1_048_576 + 7].entries()) shards.set(i, randomBytes(n));
  const s = await shardServer(shards);
  await withTransport(s, { connections: 3 }, async (t) => {
    for (let round = 0; round < 4; round++) {
      const got = await Promise.all([...shards.keys(), ...shards.keys()].map((i) => t.getPieceShard(s.url, CID, i)));
      got.forEach((bytes, j) => {
        assert.deepEqual(Buffer.from(bytes), Buffer.from(shards.get(j % shards.size)!), `round ${round}, shard ${j % shards.size}`);
        t.releaseShard(bytes);
      });
    }
    assert.ok(s.sockets() <= 3, `${s.sockets()} sockets for 3 allowed`);
    assert.equal(await codeOf(t.getPieceShard(s.url, CID, 99)), 'DDC_SHARD_NOT_FOUND');
  });
});

test('a node that closes idle sockets: the next GET goes out on a fresh one', async () => {
  const bytes = randomBytes(200_000);
  // Closes each socket shortly after its answer, as a node's keep-alive timeout does.
  const s = await listen((req, res) => {
    res.writeHead(200, { 'content-length': bytes.length });
    res.end(bytes, () => setTimeout(() => req.socket.destroy(), 30));
  });
  await withTransport(s, { connections: 2 }, async (t) => {
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(Buffer.from(await t.getPieceShard(s.url, CID, 0)), bytes);
      await new Promise((r) => setTimeout(r, 150)); // past the close
    }
    assert.equal(s.sockets(), 3, 'each GET after an idle close opened a socket');
  });
});

test('a kept-alive socket the node closed just as the next GET went out: sent again on a fresh one', async () => {
  const bytes = randomBytes(100_000);
  let answers = 0;
  // The node closes the socket right after its first answer, without reading what came after it.
  const s = await listen((req, res) => {
    answers++;
    res.writeHead(200, { 'content-length': bytes.length });
    res.end(bytes, () => req.socket.destroy());
  });
  await withTransport(s, { connections: 1 }, async (t) => {
    for (let i = 0; i < 5; i++) assert.deepEqual(Buffer.from(await t.getPieceShard(s.url, CID, 0)), bytes);
    assert.equal(answers, 5);
  });
});

test('an answer in chunked coding is read the general way', async () => {
  const bytes = randomBytes(300_000);
  const s = await listen((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.write(bytes.subarray(0, 1000));
    res.end(bytes.subarray(1000));
  });
  await withTransport(s, undefined, async (t) => {
    assert.deepEqual(Buffer.from(await t.getPieceShard(s.url, CID, 0)), bytes);
  });
});

test('an abort mid-answer rejects with DDC_ABORTED and the next GET works', async () => {
  const bytes = randomBytes(400_000);
  let stall = true;
  const s = await listen((_req, res) => {
    res.writeHead(200, { 'content-length': bytes.length });
    if (stall) res.write(bytes.subarray(0, 1000)); // and never the rest
    else res.end(bytes);
  });
  await withTransport(s, { connections: 1 }, async (t) => {
    const ac = new AbortController();
    const p = t.getPieceShard(s.url, CID, 0, ac.signal);
    setTimeout(() => ac.abort(), 100);
    assert.equal(await codeOf(p), 'DDC_ABORTED');
    stall = false;
    assert.deepEqual(Buffer.from(await t.getPieceShard(s.url, CID, 0)), bytes);
  });
});

test('a node that stops answering times out as unavailable', async () => {
  const s = await listen(() => undefined); // reads the request, never answers
  await withTransport(s, { headersTimeoutMs: 200, bodyTimeoutMs: 200 }, async (t) => {
    assert.equal(await codeOf(t.getPieceShard(s.url, CID, 0)), 'DDC_NODE_UNAVAILABLE');
  });
});

test('a server that does not speak HTTP/1.1 is a bad response; one that is not there is unavailable', async () => {
  const tcp: TcpServer = createTcpServer((sock) => {
    sock.resume(); // reads, so that it sees the client hang up
    sock.end('SSH-2.0-OpenSSH_9.2\r\n\r\n');
  });
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
  const { port } = tcp.address() as { port: number };
  const t = new UndiciTransport();
  try {
    assert.equal(await codeOf(t.getPieceShard(`http://127.0.0.1:${port}`, CID, 0)), 'DDC_NODE_BAD_RESPONSE');
    await new Promise<void>((r) => tcp.close(() => r()));
    assert.equal(await codeOf(t.getPieceShard(`http://127.0.0.1:${port}`, CID, 0)), 'DDC_NODE_UNAVAILABLE');
  } finally {
    await t.close();
  }
});

function putServer(onRequest?: (req: IncomingMessage, body: Buffer) => { status: number; json: unknown; early?: boolean } | undefined, chunked = false) {
  const stored = new Map<string, Buffer>();
  let requests = 0;
  return listen((req, res) => {
    requests++;
    const early = onRequest?.(req, Buffer.alloc(0));
    if (early?.early) {
      // Answers before the body is in, as a node refusing an oversized shard does.
      sendJson(res, early.status, early.json);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const id = req.url!.split('?')[0]!.split('/').pop()!;
      const created = !stored.has(id);
      stored.set(id, body);
      const answer = onRequest?.(req, body) ?? { status: created ? 201 : 200, json: { id, created } };
      if (!chunked) return sendJson(res, answer.status, answer.json);
      res.writeHead(answer.status, { 'content-type': 'application/json' }); // no length: chunked
      res.end(JSON.stringify(answer.json));
    });
  }).then((s) => ({ ...s, stored, requests: () => requests }));
}

test('PUTs send their bytes, headers and query, and report created or not', async () => {
  const seen: { url: string; auth: string | undefined; type: string | undefined }[] = [];
  const s = await putServer((req, body) => {
    if (body.length > 0) seen.push({ url: req.url!, auth: req.headers['x-ddc-signature'] as string | undefined, type: req.headers['content-type'] });
    return undefined;
  });
  await withTransport(s, { connections: 2 }, async (t) => {
    const shards = Array.from({ length: 6 }, (_, i) => randomBytes(1000 + i * 100_000));
    const first = await Promise.all(shards.map((b, i) => t.putShard(s.url, `id${i}`, b, undefined, { 'x-ddc-signature': `sig${i}` }, 'refs=1,2')));
    assert.deepEqual(first, shards.map(() => ({ created: true })));
    assert.deepEqual(await t.putShard(s.url, 'id0', shards[0]!), { created: false });
    shards.forEach((b, i) => assert.deepEqual(s.stored.get(`id${i}`), b));
    assert.ok(seen.every((x) => x.url.endsWith('?refs=1,2') || x.url === '/v1/shards/id0'));
    assert.ok(seen.filter((x) => x.auth).every((x) => x.auth === `sig${x.url.split('?')[0]!.slice(-1)}`));
    assert.ok(seen.every((x) => x.type === 'application/octet-stream'));
    assert.ok(s.sockets() <= 2, `${s.sockets()} sockets for 2 allowed`);
  });
});

// node:http drains an unread body itself, so this does not show that the socket is dropped after
// the error (that guards servers that do not drain); it shows the error and the next PUT are right.
test('a PUT refused before its body is read gives the node error, and the next PUT is whole', async () => {
  let refuse = true;
  const s = await putServer(() => (refuse ? { status: 413, json: { code: 'DDC_TOO_LARGE', message: 'the shard is too large' }, early: true } : undefined));
  await withTransport(s, { connections: 1 }, async (t) => {
    const big = randomBytes(3_000_000);
    assert.equal(await codeOf(t.putShard(s.url, 'big', big)), 'DDC_TOO_LARGE');
    refuse = false;
    const small = randomBytes(50_000);
    assert.deepEqual(await t.putShard(s.url, 'small', small), { created: true });
    assert.deepEqual(s.stored.get('small'), small, 'the refused body did not bleed into the next request');
  });
});

test('a header that would split the request is never written as two', async () => {
  const heard: string[] = [];
  const s = await putServer((req) => {
    heard.push(...Object.keys(req.headers));
    return undefined;
  });
  await withTransport(s, undefined, async (t) => {
    await codeOf(t.putShard(s.url, 'x', randomBytes(10), undefined, { 'x-ddc-signature': 'a\r\nx-evil: 1' }));
    assert.ok(!heard.includes('x-evil'));
  });
});

test('a PUT answered in chunked coding is not sent twice: the status says whether it was created', async () => {
  const s = await putServer(undefined, true);
  await withTransport(s, undefined, async (t) => {
    const bytes = randomBytes(100_000);
    assert.deepEqual(await t.putShard(s.url, 'c', bytes), { created: true });
    assert.deepEqual(await t.putShard(s.url, 'c', bytes), { created: false });
    assert.equal(s.requests(), 2);
    assert.deepEqual(s.stored.get('c'), bytes);
  });
});
