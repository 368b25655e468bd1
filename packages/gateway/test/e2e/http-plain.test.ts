/**
 * Plain HTTP reads (`/ddc/<bucket>/<key>`) on a real cluster and dev chain: a public
 * bucket is open (GET, HEAD, ranges, 304, 416, 404); a private one needs a capability token
 * delegated to the gateway's key, which the gateway checks (and the nodes again), and an
 * encrypted object must have been shared with the gateway's identity.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { issueRootToken, publicIdentityOf, signDelegation, tokenToText, generateMnemonic, deriveUserKeys, type TokenOp, type Ed25519KeyPair } from '@ddc/core';
import type { RunningGateway } from '@ddc/gateway';
import { startGatewayEnv, randomBytes, json, type GatewayEnv } from './cluster.js';

let env: GatewayEnv;
let gw: RunningGateway;
let publicBucket: number;
let privateBucket: number;
const text = new TextEncoder().encode('hello from a public DDC bucket\n');
const secret = randomBytes(300_000);
const notShared = randomBytes(1000);
const plainPrivate = new TextEncoder().encode('stored unencrypted in a private bucket');
let publicCid: string;
let publicTime: number;

const now = () => Math.floor(Date.now() / 1000);

before(async () => {
  env = await startGatewayEnv();
  gw = await env.gateway({ identity: { mnemonic: generateMnemonic() } });
  publicBucket = await env.newBucket(true);
  privateBucket = await env.newBucket(false);
  const pub = env.client.bucket(publicBucket, { keys: env.owner, ledger: env.ledger });
  const put = await pub.put('docs/hello.txt', text, { contentType: 'text/plain; charset=utf-8', metadata: { author: 'tests' } });
  publicCid = put.cid;
  publicTime = (await pub.head('docs/hello.txt')).time;
  const priv = env.client.bucket(privateBucket, { keys: env.owner, ledger: env.ledger });
  // Shared with the gateway's identity: its X25519 key gets a data key.
  await priv.put('docs/secret.bin', secret, { contentType: 'application/x-test', readers: [publicIdentityOf(gw.keys)] });
  await priv.put('docs/not-shared.bin', notShared);
  await priv.put('docs/plain.txt', plainPrivate, { encrypt: false, contentType: 'text/plain' });
});

after(async () => {
  await env?.close();
});

/** A root token from the bucket owner to `to` (default: the gateway's key). */
function token(o: { to?: Ed25519KeyPair; ops?: TokenOp[]; prefix?: string; expiry?: number; bucket?: number } = {}): string {
  const delegation = signDelegation({ account: env.owner.evm.address, signingKey: env.owner.signing.publicKey, notBefore: now() - 600, expiry: now() + 3600, chainId: env.ledger.deployment.chainId }, env.owner.evm.privateKey);
  return tokenToText(issueRootToken({
    signing: env.owner.signing, delegation, audience: (o.to ?? gw.keys.signing).publicKey, bucket: o.bucket ?? privateBucket, ops: o.ops ?? ['get'],
    prefix: o.prefix ?? 'docs/', notBefore: now() - 60, expiry: o.expiry ?? now() + 600, mayDelegate: false,
  }));
}

const errorCode = async (res: Response) => (await json<{ error: { code: string } }>(res)).error.code;

test('public bucket: GET returns the bytes with the record\'s type, ETag from the CID, Last-Modified and a short max-age', async () => {
  const res = await fetch(`${gw.url}/ddc/${publicBucket}/docs/hello.txt`);
  assert.equal(res.status, 200);
  assert.deepEqual(new Uint8Array(await res.arrayBuffer()), text);
  assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
  assert.equal(res.headers.get('etag'), `"${publicCid}"`);
  assert.equal(res.headers.get('last-modified'), new Date(publicTime).toUTCString());
  assert.equal(res.headers.get('cache-control'), 'public, max-age=60');
  assert.equal(res.headers.get('content-length'), String(text.length));
  assert.equal(res.headers.get('accept-ranges'), 'bytes');
  assert.equal(res.headers.get('x-ddc-meta-author'), 'tests');
});

test('public bucket: HEAD, ranges, 416 and conditional 304', async () => {
  const url = `${gw.url}/ddc/${publicBucket}/docs/hello.txt`;
  const head = await fetch(url, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), String(text.length));
  assert.equal((await head.arrayBuffer()).byteLength, 0);

  const part = await fetch(url, { headers: { Range: 'bytes=6-9' } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes 6-9/${text.length}`);
  assert.deepEqual(new Uint8Array(await part.arrayBuffer()), text.subarray(6, 10));
  const suffix = await fetch(url, { headers: { Range: 'bytes=-7' } });
  assert.equal(suffix.status, 206);
  assert.deepEqual(new Uint8Array(await suffix.arrayBuffer()), text.subarray(text.length - 7));

  const beyond = await fetch(url, { headers: { Range: `bytes=${text.length}-` } });
  assert.equal(beyond.status, 416);
  assert.equal(beyond.headers.get('content-range'), `bytes */${text.length}`);
  assert.equal(await errorCode(beyond), 'DDC_INVALID_RANGE');

  const same = await fetch(url, { headers: { 'If-None-Match': `"${publicCid}"` } });
  assert.equal(same.status, 304);
  assert.equal((await same.arrayBuffer()).byteLength, 0);
  const other = await fetch(url, { headers: { 'If-None-Match': '"bafy-something-else"' } });
  assert.equal(other.status, 200);
  await other.arrayBuffer();
  const since = await fetch(url, { headers: { 'If-Modified-Since': new Date(publicTime + 1000).toUTCString() } });
  assert.equal(since.status, 304);
});

test('a new version changes the ETag; ?version= reads an old one, cached as immutable', async () => {
  const pub = env.client.bucket(publicBucket, { keys: env.owner, ledger: env.ledger });
  const v1 = await pub.put('docs/changing.txt', new TextEncoder().encode('one'));
  const v2 = await pub.put('docs/changing.txt', new TextEncoder().encode('two'));
  const cur = await fetch(`${gw.url}/ddc/${publicBucket}/docs/changing.txt`, { headers: { 'If-None-Match': `"${v1.cid}"` } });
  assert.equal(cur.status, 200);
  assert.equal(cur.headers.get('etag'), `"${v2.cid}"`);
  assert.equal(await cur.text(), 'two');
  const old = await fetch(`${gw.url}/ddc/${publicBucket}/docs/changing.txt?version=${v1.version}`);
  assert.equal(await old.text(), 'one');
  assert.equal(old.headers.get('cache-control'), 'public, max-age=31536000, immutable');
});

test('missing keys and buckets are 404; other methods 405', async () => {
  const noKey = await fetch(`${gw.url}/ddc/${publicBucket}/docs/nope.txt`);
  assert.equal(noKey.status, 404);
  assert.equal(await errorCode(noKey), 'DDC_NO_SUCH_KEY');
  const noBucket = await fetch(`${gw.url}/ddc/987654/docs/hello.txt`);
  assert.equal(noBucket.status, 404);
  assert.equal(await errorCode(noBucket), 'DDC_NO_SUCH_BUCKET');
  const noName = await fetch(`${gw.url}/ddc/no-such-name/docs/hello.txt`);
  assert.equal(noName.status, 404);
  assert.equal((await fetch(`${gw.url}/ddc/${publicBucket}`)).status, 400);
  const put = await fetch(`${gw.url}/ddc/${publicBucket}/docs/hello.txt`, { method: 'PUT', body: 'x' });
  assert.equal(put.status, 405);
});

test('private bucket: no token is 401 with WWW-Authenticate, and no bytes', async () => {
  const res = await fetch(`${gw.url}/ddc/${privateBucket}/docs/secret.bin`);
  assert.equal(res.status, 401);
  assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="ddc"');
  assert.equal(await errorCode(res), 'DDC_TOKEN_REQUIRED');
});

test('private bucket: a token delegated to the gateway reads (query or Bearer), decrypted by the gateway', async () => {
  const t = token();
  const q = await fetch(`${gw.url}/ddc/${privateBucket}/docs/secret.bin?token=${t}`);
  assert.equal(q.status, 200);
  assert.equal(q.headers.get('content-type'), 'application/x-test');
  assert.equal(q.headers.get('cache-control'), 'private, max-age=60');
  assert.ok(Buffer.from(await q.arrayBuffer()).equals(Buffer.from(secret)));
  const bearer = await fetch(`${gw.url}/ddc/${privateBucket}/docs/secret.bin`, { headers: { Authorization: `Bearer ${t}`, Range: 'bytes=1000-1999' } });
  assert.equal(bearer.status, 206);
  assert.ok(Buffer.from(await bearer.arrayBuffer()).equals(Buffer.from(secret.subarray(1000, 2000))));
  const plain = await fetch(`${gw.url}/ddc/${privateBucket}/docs/plain.txt?token=${t}`);
  assert.equal(plain.status, 200);
  assert.deepEqual(new Uint8Array(await plain.arrayBuffer()), plainPrivate);
});

test('private bucket: every bad token is refused with its code and no bytes', async () => {
  const stranger = deriveUserKeys(generateMnemonic());
  const cases: [string, string, number, string][] = [
    ['another audience', token({ to: stranger.signing }), 403, 'DDC_TOKEN_AUDIENCE'],
    ['outside the prefix', token({ prefix: 'other/' }), 403, 'DDC_TOKEN_PREFIX_DENIED'],
    ['wrong operation', token({ ops: ['list'] }), 403, 'DDC_TOKEN_OP_DENIED'],
    ['another bucket', token({ bucket: publicBucket }), 403, 'DDC_TOKEN_WRONG_BUCKET'],
    ['expired', token({ expiry: now() - 1 }), 401, 'DDC_TOKEN_EXPIRED'],
    ['garbage', 'ddct1AAAA', 401, 'DDC_TOKEN_INVALID'],
  ];
  for (const [what, t, status, code] of cases) {
    const res = await fetch(`${gw.url}/ddc/${privateBucket}/docs/secret.bin?token=${t}`);
    const body = new Uint8Array(await res.arrayBuffer());
    assert.equal(res.status, status, what);
    assert.equal(JSON.parse(new TextDecoder().decode(body)).error.code, code, what);
    assert.ok(body.length < 2000, `${what}: an error body, not the object`);
  }
});

test('private bucket: an encrypted object not shared with the gateway is 403 DDC_NOT_A_READER (GET and HEAD)', async () => {
  const res = await fetch(`${gw.url}/ddc/${privateBucket}/docs/not-shared.bin?token=${token()}`);
  assert.equal(res.status, 403);
  assert.equal(await errorCode(res), 'DDC_NOT_A_READER');
  const head = await fetch(`${gw.url}/ddc/${privateBucket}/docs/not-shared.bin?token=${token()}`, { method: 'HEAD' });
  assert.equal(head.status, 403);
  const shared = await fetch(`${gw.url}/ddc/${privateBucket}/docs/secret.bin?token=${token()}`, { method: 'HEAD' });
  assert.equal(shared.status, 200);
  assert.equal(shared.headers.get('content-length'), String(secret.length), 'the plaintext size');
});

test('GET /v1/gateway/identity names the key tokens must be delegated to', async () => {
  const id = await json<{ ed25519: string; publicIdentity: string }>(await fetch(`${gw.url}/v1/gateway/identity`));
  assert.equal(id.ed25519, Buffer.from(gw.keys.signing.publicKey).toString('hex'));
  assert.match(id.publicIdentity, /^ddcid1/);
});
