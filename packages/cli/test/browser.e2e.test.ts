/**
 * The SDK in a real browser: the client's browser build (fetch transport, portable
 * SHA-256, WebAssembly SIMD erasure coding) stores and reads a file on a dev cluster.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { createClient } from '@ddc/client';
import { startCluster } from './helpers.js';

const CHROMIUM = process.env.DDC_CHROMIUM ?? '/usr/bin/chromium';

test('the browser SDK puts and gets a file, and its CID matches the Node SDK', { skip: !existsSync(CHROMIUM) && `no Chromium at ${CHROMIUM} (apt-get install chromium)` }, async () => {
  const entry = fileURLToPath(new URL('../../../client/dist/src/index.js', import.meta.url));
  const bundle = await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'browser', write: false, logLevel: 'silent' });
  const js = bundle.outputFiles[0]!.text;
  assert.doesNotMatch(js, /from ?"node:/, 'the browser bundle pulls in no Node modules');

  const env = await startCluster({ nodes: 6, zones: 3, k: 4, m: 2 });
  const page = createServer((req, res) => {
    if (req.url === '/client.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>ddc</title>');
  });
  await new Promise<void>((r) => page.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(page.address() as { port: number }).port}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const tab = await browser.newPage();
    await tab.goto(origin);
    const descriptor = env.cluster.descriptor();
    const result = await tab.evaluate(async ({ descriptor, url }) => {
      const { createClient } = await import(url);
      const client = createClient({ cluster: descriptor });
      const size = 3 * 1024 * 1024 + 5;
      const bytes = new Uint8Array(size);
      for (let i = 0; i < size; i++) bytes[i] = (i * 2654435761) >>> 24;
      const { cid } = await client.put(bytes);
      const back: Uint8Array = await client.getBytes(cid);
      let same = back.length === size;
      for (let i = 0; same && i < size; i++) same = back[i] === bytes[i];
      const verify = await client.verify(cid);
      // get() as a stream, read by a default reader and by a BYOB reader with a buffer it reuses.
      const equalsBytes = (parts: Uint8Array[]) => {
        let at = 0;
        for (const p of parts) for (let i = 0; i < p.length; i++) if (p[i] !== bytes[at++]) return false;
        return at === size;
      };
      const plain: Uint8Array[] = [];
      const reader = client.get(cid).getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) plain.push(r.value);
      const byob: Uint8Array[] = [];
      const byobReader = client.get(cid).getReader({ mode: 'byob' });
      let buffer = new ArrayBuffer(100_000);
      for (let r = await byobReader.read(new Uint8Array(buffer)); !r.done; r = await byobReader.read(new Uint8Array(buffer))) {
        byob.push(r.value.slice());
        buffer = r.value.buffer;
      }
      return { cid: cid.toString(), same, healthy: verify.healthy, streamed: equalsBytes(plain), byob: equalsBytes(byob) };
    }, { descriptor, url: `${origin}/client.js` });
    assert.equal(result.same, true);
    assert.equal(result.healthy, true);
    assert.equal(result.streamed, true, 'get() read by a default reader');
    assert.equal(result.byob, true, 'get() read by a BYOB reader');

    // An engine without readable byte streams still streams get() to a default reader.
    const older = await browser.newPage();
    await older.goto(origin);
    const fallback = await older.evaluate(async ({ descriptor, url, cid }) => {
      const Native = ReadableStream;
      (globalThis as { ReadableStream: unknown }).ReadableStream = class extends Native<unknown> {
        constructor(source?: { type?: string }, strategy?: QueuingStrategy<unknown>) {
          if (source?.type === 'bytes') throw new RangeError('byte streams are not supported here');
          super(source as unknown as UnderlyingDefaultSource<unknown>, strategy);
        }
      };
      const { createClient } = await import(url);
      const client = createClient({ cluster: descriptor });
      const reader = client.get(cid).getReader();
      let total = 0;
      let sum = 0;
      for (let r = await reader.read(); !r.done; r = await reader.read()) for (const b of r.value as Uint8Array) {
        sum = (sum + b * ((total % 251) + 1)) % 1_000_000_007;
        total++;
      }
      let byob = 'supported';
      try {
        client.get(cid).getReader({ mode: 'byob' });
      } catch {
        byob = 'refused';
      }
      return { total, sum, byob };
    }, { descriptor, url: `${origin}/client.js`, cid: result.cid });
    const size = 3 * 1024 * 1024 + 5;
    let sum = 0;
    for (let i = 0; i < size; i++) sum = (sum + ((i * 2654435761) >>> 24 & 0xff) * ((i % 251) + 1)) % 1_000_000_007;
    assert.deepEqual(fallback, { total: size, sum, byob: 'refused' });

    // The same bytes through the Node SDK give the same CID, and Node reads what the browser wrote.
    const bytes = new Uint8Array(size);
    for (let i = 0; i < size; i++) bytes[i] = (i * 2654435761) >>> 24;
    const node = createClient({ cluster: descriptor });
    assert.deepEqual(await node.getBytes(result.cid), bytes);
    assert.equal((await node.put(bytes)).cid.toString(), result.cid);
    await node.close();
  } finally {
    await browser.close();
    page.close();
    await env.close();
  }
});
