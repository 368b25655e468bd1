/**
 * node:crypto's Ed25519 (installed into core by the Node entry) against core's portable
 * strict code: the same signatures, and it never accepts what the portable code refuses
 * (non-canonical S or point encodings, forged or altered signatures).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nodeEd25519 } from '../src/platform/node-crypto.js';
import { fromHex, generateKeyPair, keyPairFromSecret, signBytes, useEd25519, verifySignature } from '@ddc/core';

/** The result under the portable code, then under node:crypto's (left installed). */
function both<T>(f: () => T): { portable: T; node: T } {
  useEd25519(undefined);
  try {
    const portable = f();
    useEd25519(nodeEd25519);
    return { portable, node: f() };
  } finally {
    useEd25519(nodeEd25519);
  }
}

const L = (1n << 252n) + 27742317777372353535851937790883648493n;
const P = (1n << 255n) - 19n;

function le32(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
}

function readLe(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = 31; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
}

test('node:crypto signs byte for byte like the portable code and both verify', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 300 }), (seed, msg) => {
      const k = keyPairFromSecret(seed);
      const r = both(() => signBytes(msg, k.secretKey));
      assert.deepEqual(r.node, r.portable);
      const v = both(() => verifySignature(r.portable, msg, k.publicKey));
      assert.deepEqual(v, { portable: true, node: true });
    }),
    { numRuns: 200 },
  );
});

test('altered messages, signatures and keys fail under both', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 1, maxLength: 100 }), fc.nat(), fc.integer({ min: 0, max: 7 }), fc.constantFrom('msg', 'sig', 'key'), (msg, at, bit, what) => {
      const k = generateKeyPair();
      const sig = signBytes(msg, k.secretKey);
      const m = Uint8Array.from(msg);
      const s = Uint8Array.from(sig);
      const p = Uint8Array.from(k.publicKey);
      const target = what === 'msg' ? m : what === 'sig' ? s : p;
      target[at % target.length]! ^= 1 << bit;
      const v = both(() => verifySignature(s, m, p));
      assert.equal(v.portable, false);
      assert.equal(v.node, false);
    }),
    { numRuns: 300 },
  );
});

test('a non-canonical S (S + L) is refused by both', () => {
  const k = generateKeyPair();
  const msg = new Uint8Array([7, 7, 7]);
  const sig = signBytes(msg, k.secretKey);
  const s = readLe(sig.subarray(32));
  const bad = Uint8Array.from(sig);
  bad.set(le32(s + L), 32);
  assert.deepEqual(both(() => verifySignature(bad, msg, k.publicKey)), { portable: false, node: false });
});

test('edge points: node:crypto never accepts what the portable code refuses', () => {
  const base = fromHex('5866666666666666666666666666666666666666666666666666666666666666');
  const one = le32(1n); // S = 1, R = B: valid for A = identity under a lenient verifier
  const sig = new Uint8Array([...base, ...one]);
  const msg = new Uint8Array([1]);
  const keys = {
    identity: le32(1n),
    identityNonCanonical: le32(P + 1n),
    negativeZero: (() => {
      const b = le32(1n);
      b[31]! |= 0x80;
      return b;
    })(),
    minusOneNegativeZero: (() => {
      const b = le32(P - 1n);
      b[31]! |= 0x80;
      return b;
    })(),
    yIsP: le32(P),
    allOnes: new Uint8Array(32).fill(0xff),
  };
  for (const [name, key] of Object.entries(keys)) {
    const v = both(() => verifySignature(sig, msg, key));
    assert.ok(!v.node || v.portable, `${name}: node:crypto accepts a signature the portable code refuses`);
  }
  // A non-canonical R (y + p) over a valid signature is refused by both.
  const k = generateKeyPair();
  const good = signBytes(msg, k.secretKey);
  const rY = readLe(good.subarray(0, 32)) & ((1n << 255n) - 1n);
  if (rY + P < 1n << 255n) {
    const r = le32(rY + P);
    r[31]! |= good[31]! & 0x80;
    const bad = new Uint8Array([...r, ...good.subarray(32)]);
    assert.deepEqual(both(() => verifySignature(bad, msg, k.publicKey)), { portable: false, node: false });
  }
});
