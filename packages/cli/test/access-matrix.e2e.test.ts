/**
 * The access matrix on real nodes and a real dev chain: raw signed requests (core's
 * signRequest with a chosen token, time and nonce) to a record replica of a private bucket
 * that holds an object. The good request gets the record; each bad one is refused with its
 * code and a JSON error body, never the record's bytes.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { EMPTY_SHA256, recordReplicas } from '@ddc/client';
import {
  delegateToken, deriveUserKeys, generateKeyPair, generateMnemonic, issueRootToken, sealToken, sha256, signDelegation, signRecord, signRequest, toHex,
  type CapabilityToken, type ClusterNode, type Ed25519KeyPair, type TokenOp,
} from '@ddc/core';
import { revokeToken } from '@ddc/ledger/node';
import { startAccessCluster, type AccessEnv } from './access-helpers.js';

let a: AccessEnv;
let bucket: number;
let otherBucket: number;
let replica: ClusterNode;
let recordBytes: Uint8Array;
const KEY = 'private/report.txt';
const reader = deriveUserKeys(generateMnemonic());
const now = () => Math.floor(Date.now() / 1000);

before(async () => {
  a = await startAccessCluster();
  bucket = await a.newBucket(false);
  otherBucket = await a.newBucket(false);
  const put = await a.client.bucket(bucket, { keys: a.owner, ledger: a.ledger }).put(KEY, new TextEncoder().encode('quarterly numbers'));
  replica = recordReplicas(a.env.cluster.descriptor(), bucket)[0]!;
  recordBytes = (await a.client.bucket(bucket, { keys: a.owner, ledger: a.ledger }).head(KEY, { version: put.version })).bytes;
});

after(async () => {
  await a?.close();
});

/** A root token from the bucket owner (the dev account) to `to`, with chosen fields. */
function token(o: { to?: Ed25519KeyPair; bucket?: number; ops?: TokenOp[]; prefix?: string; notBefore?: number; expiry?: number; mayDelegate?: boolean; account?: typeof a.owner } = {}): CapabilityToken {
  const account = o.account ?? a.owner;
  const delegation = signDelegation({ account: account.evm.address, signingKey: a.owner.signing.publicKey, notBefore: now() - 7200, expiry: now() + 7200, chainId: a.ledger.deployment.chainId }, account.evm.privateKey);
  return issueRootToken({
    signing: a.owner.signing, delegation, audience: (o.to ?? reader.signing).publicKey, bucket: o.bucket ?? bucket, ops: o.ops ?? ['get'],
    prefix: o.prefix ?? '', notBefore: o.notBefore ?? now() - 60, expiry: o.expiry ?? now() + 600, mayDelegate: o.mayDelegate ?? false,
  });
}

interface Answer {
  status: number;
  body: Uint8Array;
  code: string | undefined;
}

const recordPath = () => `/v1/buckets/${bucket}/records/${encodeURIComponent(KEY)}`;

/** A GET of the record, signed as `signer` with `t`; `tweak` edits the headers before sending. */
async function getRecord(o: { signer?: Ed25519KeyPair; token?: CapabilityToken; time?: number; nonce?: string; audience?: string; tweak?: (h: Record<string, string>) => void; signed?: boolean; path?: string } = {}): Promise<{ answer: Answer; headers: Record<string, string> }> {
  const path = o.path ?? recordPath();
  const headers = o.signed === false ? {} : signRequest({
    method: 'GET', path, contentSha256: EMPTY_SHA256, audience: o.audience ?? replica.id, signing: o.signer ?? reader.signing,
    ...(o.token ? { token: o.token } : {}), ...(o.time !== undefined ? { time: o.time } : {}), ...(o.nonce ? { nonce: o.nonce } : {}),
  });
  o.tweak?.(headers);
  return { answer: await send('GET', path, headers), headers };
}

async function send(method: string, path: string, headers: Record<string, string>, body?: Uint8Array): Promise<Answer> {
  const res = await fetch(`${replica.url}${path}`, { method, headers, ...(body ? { body: body as BodyInit } : {}) });
  const bytes = new Uint8Array(await res.arrayBuffer());
  let code: string | undefined;
  try {
    code = (JSON.parse(new TextDecoder().decode(bytes)) as { code?: string }).code;
  } catch {
    code = undefined;
  }
  return { status: res.status, body: bytes, code };
}

function refused(answer: Answer, expected: string): void {
  assert.equal(answer.code, expected, `status ${answer.status}`);
  assert.ok(answer.status >= 400, `status ${answer.status}`);
  assert.equal(Buffer.from(answer.body).includes(Buffer.from(recordBytes.subarray(5, 40))), false, 'the refusal carries no record bytes');
}

test('the good request gets the record', async () => {
  const { answer } = await getRecord({ token: token() });
  assert.equal(answer.status, 200);
  assert.deepEqual(answer.body, recordBytes);
});

test('unsigned, no token, forged signature', async () => {
  refused((await getRecord({ signed: false })).answer, 'DDC_UNAUTHENTICATED');
  refused((await getRecord()).answer, 'DDC_TOKEN_REQUIRED');
  const forged = await getRecord({ token: token(), tweak: (h) => { h['x-ddc-signature'] = `${h['x-ddc-signature']!.slice(0, -2)}${h['x-ddc-signature']!.endsWith('00') ? '01' : '00'}`; } });
  refused(forged.answer, 'DDC_SIGNATURE_INVALID');
  // A signature by one key presented as another's.
  refused((await getRecord({ token: token(), tweak: (h) => { h['x-ddc-key'] = toHex(generateKeyPair().publicKey); } })).answer, 'DDC_SIGNATURE_INVALID');
});

test('token time, bucket, operation, prefix, audience and owner', async () => {
  refused((await getRecord({ token: token({ notBefore: now() - 7200, expiry: now() - 60 }) })).answer, 'DDC_TOKEN_EXPIRED');
  refused((await getRecord({ token: token({ notBefore: now() + 3600, expiry: now() + 7200 }) })).answer, 'DDC_TOKEN_NOT_YET_VALID');
  refused((await getRecord({ token: token({ bucket: otherBucket }) })).answer, 'DDC_TOKEN_WRONG_BUCKET');
  refused((await getRecord({ token: token({ ops: ['list', 'put'] }) })).answer, 'DDC_TOKEN_OP_DENIED');
  refused((await getRecord({ token: token({ prefix: 'public/' }) })).answer, 'DDC_TOKEN_PREFIX_DENIED');
  refused((await getRecord({ token: token({ to: generateKeyPair() }) })).answer, 'DDC_TOKEN_AUDIENCE');
  const notOwner = deriveUserKeys(generateMnemonic());
  refused((await getRecord({ token: token({ account: notOwner }) })).answer, 'DDC_TOKEN_NOT_OWNER');
  // A list token lists, and does not read the record.
  const list = await getRecord({ token: token({ ops: ['list'] }), path: `/v1/buckets/${bucket}/records?prefix=private%2F` });
  assert.equal(list.answer.status, 200);
});

test('a hand-built delegation that widens its parent is refused', async () => {
  const middle = generateKeyPair();
  const parent = token({ to: middle, ops: ['get'], prefix: 'public/', mayDelegate: true });
  // sealToken signs whatever it is given: a child claiming the whole bucket from a 'public/' parent.
  const widened = sealToken({
    issuer: middle.publicKey, audience: reader.signing.publicKey, bucket, ops: ['get'], prefix: '', notBefore: parent.notBefore, expiry: parent.expiry,
    mayDelegate: false, nonce: new Uint8Array(16).fill(7), parent, delegation: null,
  }, middle);
  refused((await getRecord({ token: widened })).answer, 'DDC_TOKEN_WIDENED');
  // The honest narrowing of the same parent works where the parent allows.
  const narrow = delegateToken(parent, { signing: middle, audience: reader.signing.publicKey, prefix: 'public/x' });
  refused((await getRecord({ token: narrow })).answer, 'DDC_TOKEN_PREFIX_DENIED');
});

test('replayed request, stale time, another node as audience', async () => {
  const t = token();
  const first = await getRecord({ token: t });
  assert.equal(first.answer.status, 200);
  refused(await send('GET', recordPath(), first.headers), 'DDC_REQUEST_REPLAYED');
  refused((await getRecord({ token: t, time: Date.now() - 120_000 })).answer, 'DDC_REQUEST_STALE');
  refused((await getRecord({ token: t, time: Date.now() + 120_000 })).answer, 'DDC_REQUEST_STALE');
  const other = a.env.cluster.descriptor().nodes.find((n) => n.id !== replica.id)!;
  refused((await getRecord({ token: t, audience: other.id })).answer, 'DDC_REQUEST_AUDIENCE');
});

test('a record written with a token that lacks put is refused and not stored', async () => {
  const t = token({ ops: ['get'] });
  const rec = signRecord({ bucket, key: KEY, cid: null, token: t.bytes }, reader.signing);
  const path = `/v1/buckets/${bucket}/records`;
  const headers = signRequest({ method: 'POST', path, contentSha256: toHex(sha256(rec.bytes)), audience: replica.id, signing: reader.signing, token: t });
  refused(await send('POST', path, { ...headers, 'content-type': 'application/octet-stream' }, rec.bytes), 'DDC_TOKEN_OP_DENIED');
  const still = await getRecord({ token: token() });
  assert.deepEqual(still.answer.body, recordBytes, 'the object is not deleted');
});

test('a revoked token is refused within a few seconds, through raw requests and the SDK', async () => {
  const t = token();
  assert.equal((await getRecord({ token: t })).answer.status, 200);
  const readerClient = a.clientFor(reader);
  const viaSdk = readerClient.bucket(bucket, { keys: reader, token: t });
  assert.equal((await viaSdk.head(KEY)).key, KEY);
  const revokedAt = Date.now();
  await revokeToken(a.ledger, bucket, t.idHex);
  let last: Answer | undefined;
  while (Date.now() - revokedAt < 5000) {
    last = (await getRecord({ token: t })).answer;
    if (last.code === 'DDC_TOKEN_REVOKED') break;
    await sleep(100);
  }
  refused(last!, 'DDC_TOKEN_REVOKED');
  // Each node polls the chain on its own: the SDK may ask a node that has not seen the event yet.
  let sdkCode: string | undefined;
  while (Date.now() - revokedAt < 5000) {
    sdkCode = await viaSdk.head(KEY).then(() => undefined, (e: unknown) => (e as { code?: string }).code);
    if (sdkCode === 'DDC_TOKEN_REVOKED') break;
    await sleep(100);
  }
  assert.equal(sdkCode, 'DDC_TOKEN_REVOKED');
  // Revoking a parent revokes what was delegated from it.
  const middle = generateKeyPair();
  const parent = token({ to: middle, mayDelegate: true });
  const child = delegateToken(parent, { signing: middle, audience: reader.signing.publicKey });
  assert.equal((await getRecord({ token: child })).answer.status, 200);
  await revokeToken(a.ledger, bucket, parent.idHex);
  const start = Date.now();
  let code: string | undefined;
  while (Date.now() - start < 5000 && code !== 'DDC_TOKEN_REVOKED') {
    code = (await getRecord({ token: child })).answer.code;
    if (code !== 'DDC_TOKEN_REVOKED') await sleep(100);
  }
  assert.equal(code, 'DDC_TOKEN_REVOKED');
});
