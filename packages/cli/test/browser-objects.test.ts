/**
 * Issue 5's browser path in real Chromium: an EIP-1193 wallet (anvil, which holds the dev
 * account's key, reached by fetch from the page) signs ONE EIP-712 delegation to an Ed25519
 * key made in the page; the page then puts, gets and lists encrypted objects of a private
 * bucket on real nodes of a dev cluster on the dev chain. Node checks the bytes, the single
 * wallet signature, that the stored records are encrypted to the page's X25519 key only, and
 * that no node file holds a window of the plaintext (with a positive control).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { decodeToken, generateKeyPair, isDdcError, toHex, x25519PublicKey } from '@ddc/core';
import { startAccessCluster } from './access-helpers.js';

const CHROMIUM = process.env.DDC_CHROMIUM ?? '/usr/bin/chromium';
const MiB = 1024 * 1024;

/** `<marker><8-digit counter>` repeated: every 32-byte window holds the 8-byte marker whole. */
function markerText(marker: string, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  const enc = new TextEncoder();
  for (let i = 0, n = 0; i < bytes; i += 16, n++) out.set(enc.encode(`${marker}${String(n).padStart(8, '0')}`).subarray(0, bytes - i), i);
  return out;
}

async function filesContaining(dir: string, needle: Buffer): Promise<string[]> {
  const hits: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath ?? e.path, e.name);
    if ((await readFile(path)).includes(needle)) hits.push(path);
  }
  return hits;
}

const sha256Hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The page's module: the SDK plus the few core functions the page uses to make its keys. */
async function bundle(): Promise<string> {
  const out = await build({
    stdin: {
      contents: "export * from '@ddc/client'; export { generateKeyPair, x25519PublicKey, toHex } from '@ddc/core';",
      resolveDir: fileURLToPath(new URL('../..', import.meta.url)),
      loader: 'js',
    },
    bundle: true, format: 'esm', platform: 'browser', write: false, logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

test('a wallet delegates once in Chromium; the page puts, gets and lists encrypted objects on a dev cluster', { skip: !existsSync(CHROMIUM) && `no Chromium at ${CHROMIUM}`, timeout: 90_000 }, async () => {
  const js = await bundle();
  assert.doesNotMatch(js, /from ?"node:/, 'the browser bundle pulls in no Node modules');
  const a = await startAccessCluster();
  const page = createServer((req, res) => {
    if (req.url === '/sdk.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>ddc wallet</title>');
  });
  await new Promise<void>((r) => page.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(page.address() as { port: number }).port}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const bucket = await a.newBucket(false);
    // The SDK refuses an owner handle that has neither keys.evm nor a wallet delegation, before any request.
    const bare = a.client.bucket(bucket, { keys: { signing: generateKeyPair(), encryption: { secretKey: new Uint8Array(32).fill(7), publicKey: x25519PublicKey(new Uint8Array(32).fill(7)) } }, isPublic: false });
    await assert.rejects(bare.put('x', new Uint8Array(1)), (e: unknown) => isDdcError(e) && e.code === 'DDC_INVALID_ARGUMENT' && /delegation/.test(e.message));

    const tab = await browser.newPage();
    const failed: string[] = [];
    // net::ERR_ABORTED is a request the SDK cancelled itself (a hedge or extra shard once the piece
    // was read); a refused request (CORS, network) fails with another error and is counted.
    tab.on('requestfailed', (r) => {
      const error = r.failure()?.errorText ?? '';
      if (error !== 'net::ERR_ABORTED') failed.push(`${r.method()} ${r.url()}: ${error}`);
    });
    await tab.goto(origin);
    const bigSize = MiB + 12_345; // two cipher chunks
    const r = await tab.evaluate(async ({ url, descriptor, rpcUrl, bucket, bigSize }) => {
      const sdk = await import(url);
      // The wallet: every call is forwarded to anvil, which signs with the account's key.
      const calls: string[] = [];
      let id = 0;
      const provider = {
        async request({ method, params }: { method: string; params?: unknown[] }): Promise<unknown> {
          calls.push(method);
          const res = await fetch(rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params: params ?? [] }) });
          const body = await res.json();
          if (body.error) throw new Error(`${body.error.code}: ${body.error.message}`);
          return body.result;
        },
      };
      const account = ((await provider.request({ method: 'eth_accounts' })) as string[])[0]!;
      const chainId = Number(await provider.request({ method: 'eth_chainId' }));
      // Keys made here never leave the page; only public keys are returned below.
      const signing = sdk.generateKeyPair();
      const xSecret = crypto.getRandomValues(new Uint8Array(32));
      const keys = { signing, encryption: { secretKey: xSecret, publicKey: sdk.x25519PublicKey(xSecret) } };
      const delegation = await sdk.requestDelegation(provider, { account, signingKey: signing.publicKey, expiry: Math.floor(Date.now() / 1000) + 3600, chainId });

      const text = (marker: string, n: number) => {
        const out = new Uint8Array(n);
        const enc = new TextEncoder();
        for (let i = 0, k = 0; i < n; i += 16, k++) out.set(enc.encode(`${marker}${String(k).padStart(8, '0')}`).subarray(0, n - i), i);
        return out;
      };
      const hex = async (b: Uint8Array) => sdk.toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', b as Uint8Array<ArrayBuffer>)));
      const client = sdk.createClient({ cluster: descriptor });
      const b = client.bucket(bucket, { keys, delegation, chainId });
      const big = text('PLAINTXT', bigSize);
      const small = text('PLAINTXT', 3000);
      const puts = [await b.put('docs/big.bin', big, { contentType: 'application/octet-stream' }), await b.put('docs/small.txt', small)];
      // The control: the same kind of bytes stored in the clear, with another marker.
      await b.put('clear/control.txt', text('CLEARTXT', 3000), { encrypt: false });
      const bigBack: Uint8Array = await b.getBytes('docs/big.bin');
      const smallBack: Uint8Array = await b.getBytes('docs/small.txt');
      const range: Uint8Array = await b.getBytes('docs/big.bin', { range: { offset: bigSize - 20_000, length: 10_000 } });
      const list = await b.list({ prefix: 'docs/' });
      // A second handle with the same delegation: a fresh token, still no wallet call.
      const again: Uint8Array = await client.bucket(bucket, { keys, delegation }).getBytes('docs/small.txt');
      await client.close();
      return {
        account, chainId, calls,
        signingPub: sdk.toHex(signing.publicKey), x25519Pub: sdk.toHex(keys.encryption.publicKey),
        puts: puts.map((p: { cid: string; size: number; version: string }) => ({ cid: p.cid, size: p.size, version: p.version })),
        bigBack: { size: bigBack.length, sha: await hex(bigBack) },
        smallBack: { size: smallBack.length, sha: await hex(smallBack) },
        range: await hex(range),
        again: await hex(again),
        listed: list.objects.map((o: { key: string; size: number; version: string }) => ({ key: o.key, size: o.size, version: o.version })),
      };
    }, { url: `${origin}/sdk.js`, descriptor: a.env.cluster.descriptor(), rpcUrl: a.env.cluster.chain!.chain.rpcUrl, bucket, bigSize });
    assert.deepEqual(failed, [], 'no request from the page failed (CORS included)');

    // The wallet is the bucket's owner and was asked to sign exactly once.
    assert.equal(r.account.toLowerCase(), a.owner.evm.address.toLowerCase());
    assert.equal(r.chainId, a.ledger.deployment.chainId);
    assert.equal(r.calls.filter((m) => m === 'eth_signTypedData_v4').length, 1, `wallet calls: ${r.calls.join(', ')}`);

    // The bytes read back in the page are the bytes put.
    const big = markerText('PLAINTXT', bigSize);
    const small = markerText('PLAINTXT', 3000);
    assert.deepEqual(r.bigBack, { size: big.length, sha: sha256Hex(big) });
    assert.deepEqual(r.smallBack, { size: small.length, sha: sha256Hex(small) });
    assert.equal(r.range, sha256Hex(big.subarray(bigSize - 20_000, bigSize - 10_000)));
    assert.equal(r.again, sha256Hex(small));
    assert.deepEqual(r.listed, [
      { key: 'docs/big.bin', size: big.length, version: r.puts[0]!.version },
      { key: 'docs/small.txt', size: small.length, version: r.puts[1]!.version },
    ]);

    // From Node, as the owner's dev keys: the records were written by the page's key under a
    // token rooted in the wallet's delegation, and are encrypted to the page's X25519 key alone.
    const owner = a.client.bucket(bucket, { keys: a.owner, ledger: a.ledger });
    for (const [key, put] of [['docs/big.bin', r.puts[0]!], ['docs/small.txt', r.puts[1]!]] as const) {
      const rec = await owner.head(key);
      assert.equal(rec.version, put.version);
      assert.equal(toHex(rec.writer), r.signingPub);
      let root = decodeToken(rec.token);
      while (root.parent) root = root.parent;
      assert.equal(toHex(root.issuer), r.signingPub);
      assert.equal(root.delegation?.account.toLowerCase(), a.owner.evm.address.toLowerCase());
      assert.ok(rec.encryption, `${key} is stored encrypted`);
      assert.deepEqual(rec.encryption.edeks.map((e) => toHex(e.to)), [r.x25519Pub]);
      assert.equal(rec.encryption.size, put.size);
      await assert.rejects(owner.get(key), (e: unknown) => isDdcError(e) && e.code === 'DDC_NOT_A_READER', 'the owner\'s dev X25519 key holds no data key');
    }
    assert.equal((await owner.head('clear/control.txt')).encryption, null);

    // No node file holds a 32-byte window of the encrypted plaintext; the clear control is found.
    const nodes = join(a.env.cluster.dir, 'nodes');
    assert.deepEqual(await filesContaining(nodes, Buffer.from('PLAINTXT')), [], 'plaintext on disk');
    assert.ok((await filesContaining(nodes, Buffer.from('CLEARTXT'))).length > 0, 'the scan finds bytes stored in the clear');
  } finally {
    await browser.close();
    page.close();
    await a.close();
  }
});
