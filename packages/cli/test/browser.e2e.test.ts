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
      return { cid: cid.toString(), same, healthy: verify.healthy };
    }, { descriptor, url: `${origin}/client.js` });
    assert.equal(result.same, true);
    assert.equal(result.healthy, true);

    // The same bytes through the Node SDK give the same CID, and Node reads what the browser wrote.
    const size = 3 * 1024 * 1024 + 5;
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
