// Checked-in vectors (vectors/tokens.json, made by tokens.gen.mjs) pin the v1 byte formats:
// the same inputs must give the same digest, token bytes, ids, canonical strings and signatures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as dagCbor from '@ipld/dag-cbor';
import { ed25519 } from '@noble/curves/ed25519.js';
import { hashTypedData } from 'viem';
import {
  canonicalRequest, concatBytes, decodeToken, delegateToken, delegationDigest, delegationTypedData, fromHex, issueRootToken, keyPairFromSecret,
  parseSignedRequest, sha256, signDelegation, signRequest, textEncoder, toHex, tokenFromText, tokenToText, verifyTokenChain,
  type CapabilityToken, type TokenOp,
} from '../src/index.js';

interface TokenInput { name: string; signer: string; audience: string; bucket?: number; ops: TokenOp[]; prefix: string; notBefore: number; expiry: number; mayDelegate: boolean; nonce: string }
interface RequestInput { name: string; method: string; path: string; contentSha256: string; time: number; nonce: string; audience: string; signer: string; token: string | null }
interface Vectors {
  keys: { evmPrivateKey: string; account: `0x${string}`; chainId: number; ed25519: Record<string, string>; publicKeys: Record<string, string> };
  delegation: { input: { account: `0x${string}`; signingKey: string; notBefore: number; expiry: number; chainId: number }; digest: string; signature: string };
  tokens: { input: TokenInput; bytes: string; id: string; text: string }[];
  requests: { input: RequestInput; canonical: string; signature: string; headers: Record<string, string> }[];
}
const v = JSON.parse(readFileSync(new URL('../../test/vectors/tokens.json', import.meta.url), 'utf8')) as Vectors;
const kp = Object.fromEntries(Object.entries(v.keys.ed25519).map(([n, s]) => [n, keyPairFromSecret(fromHex(s))]));
const dInput = { ...v.delegation.input, signingKey: fromHex(v.delegation.input.signingKey) };

test('vector keys: public keys of the seeds', () => {
  for (const [n, k] of Object.entries(kp)) assert.equal(toHex(k.publicKey), v.keys.publicKeys[n]);
});

test('vector delegation: digest (also viem\'s) and signature', () => {
  assert.equal(toHex(delegationDigest(dInput)), v.delegation.digest);
  assert.equal(hashTypedData(delegationTypedData(dInput) as unknown as Parameters<typeof hashTypedData>[0]), `0x${v.delegation.digest}`);
  assert.equal(toHex(signDelegation(dInput, fromHex(v.keys.evmPrivateKey)).signature), v.delegation.signature);
});

function build(): Map<string, CapabilityToken> {
  const delegation = signDelegation(dInput, fromHex(v.keys.evmPrivateKey));
  const out = new Map<string, CapabilityToken>();
  let parent: CapabilityToken | null = null;
  for (const { input: t } of v.tokens) {
    const common = { signing: kp[t.signer]!, audience: kp[t.audience]!.publicKey, ops: t.ops, prefix: t.prefix, notBefore: t.notBefore, expiry: t.expiry, mayDelegate: t.mayDelegate, nonce: fromHex(t.nonce) };
    const made: CapabilityToken = parent ? delegateToken(parent, common) : issueRootToken({ ...common, delegation, bucket: t.bucket! });
    out.set(t.name, made);
    parent = made;
  }
  return out;
}

test('vector tokens: bytes, id and text', () => {
  const built = build();
  for (const t of v.tokens) {
    const made = built.get(t.input.name)!;
    assert.equal(toHex(made.bytes), t.bytes, t.input.name);
    assert.equal(made.idHex, t.id);
    assert.equal(toHex(sha256(fromHex(t.bytes))), t.id);
    assert.equal(tokenToText(made), t.text);
    assert.equal(tokenFromText(t.text).idHex, t.id);
  }
});

test('vector tokens: the layout, read independently of the token code', () => {
  for (const t of v.tokens) {
    const bytes = fromHex(t.bytes);
    assert.equal(toHex(bytes.subarray(0, 5)), '4444435401'); // DDCT, version 1
    const map = dagCbor.decode(bytes.subarray(5)) as Record<string, unknown>;
    // DAG-CBOR orders keys by length, then bytes.
    assert.deepEqual(Object.keys(map), ['aud', 'bkt', 'dgn', 'dlg', 'exp', 'iss', 'nbf', 'nce', 'ops', 'pfx', 'prf', 'sig']);
    assert.equal(bytes[5], 0xac); // a map of 12
    assert.deepEqual(map.iss, kp[t.input.signer]!.publicKey);
    assert.deepEqual(map.aud, kp[t.input.audience]!.publicKey);
    assert.deepEqual(map.ops, t.input.ops);
    assert.equal(map.pfx, t.input.prefix);
    assert.equal(map.nbf, t.input.notBefore);
    assert.equal(map.exp, t.input.expiry);
    assert.equal(map.dlg, t.input.mayDelegate);
    assert.deepEqual(map.nce, fromHex(t.input.nonce));
    const { sig, ...unsigned } = map;
    const signed = concatBytes([textEncoder.encode('ddc-token-v1\0'), dagCbor.encode(unsigned)]);
    assert.ok(ed25519.verify(sig as Uint8Array, signed, map.iss as Uint8Array, { zip215: false }));
    if (t.input.name === 'root') {
      assert.equal(map.prf, null);
      assert.deepEqual(map.dgn, { account: fromHex(v.keys.account.slice(2)), key: dInput.signingKey, nbf: dInput.notBefore, exp: dInput.expiry, chainId: dInput.chainId, sig: fromHex(v.delegation.signature) });
    } else {
      assert.equal(map.dgn, null);
      const parent = v.tokens[v.tokens.indexOf(t) - 1]!;
      assert.equal(toHex(map.prf as Uint8Array), parent.bytes);
    }
  }
});

test('vector requests: canonical string, signature, headers; they verify end to end', async () => {
  const built = build();
  for (const r of v.requests) {
    const i = r.input;
    const token = i.token ? built.get(i.token)! : undefined;
    assert.equal(canonicalRequest({ method: i.method, path: i.path, contentSha256: i.contentSha256, time: i.time, nonce: i.nonce, audience: i.audience, key: v.keys.publicKeys[i.signer]!, tokenIdHex: token?.idHex ?? null }), r.canonical);
    assert.ok(ed25519.verify(fromHex(r.signature), textEncoder.encode(r.canonical), kp[i.signer]!.publicKey, { zip215: false }));
    const headers = signRequest({ method: i.method, path: i.path, contentSha256: i.contentSha256, audience: i.audience, signing: kp[i.signer]!, time: i.time, nonce: i.nonce, ...(token ? { token } : {}) });
    assert.deepEqual(headers, r.headers);
    const parsed = parseSignedRequest(r.headers, i.method, i.path)!;
    assert.equal(parsed.keyHex, v.keys.publicKeys[i.signer]);
    if (parsed.token) {
      const leafKey = i.path.split('/objects/')[1]!.split('?')[0]!.replace('%20', ' ');
      await verifyTokenChain(parsed.token, { bucket: 7, op: 'get', key: leafKey, requester: parsed.key }, {
        chainId: v.keys.chainId, bucketOwner: async () => v.keys.account, isRevoked: () => false,
      }, i.time / 1000);
    }
  }
});

test('vector tokens decode to their inputs', () => {
  const leaf = decodeToken(fromHex(v.tokens[2]!.bytes));
  assert.equal(leaf.parent?.parent?.delegation?.account, v.keys.account);
  assert.equal(leaf.parent?.parent?.bucket, 7);
  assert.deepEqual([leaf.ops, leaf.parent?.ops, leaf.parent?.parent?.ops], v.tokens.map((t) => t.input.ops).reverse());
});
