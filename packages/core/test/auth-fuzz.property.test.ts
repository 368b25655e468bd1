// Fuzzing the auth parsers: whatever the input, decodeToken, tokenFromText and
// parseSignedRequest either succeed or throw a typed DdcError with one of their codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  DdcError, REQUEST_HEADERS, decodeToken, delegateToken, issueRootToken, parseSignedRequest, signRequest, tokenFromText, tokenToText,
} from '../src/index.js';
import { BUCKET, T0, alice, bob, nonceOf, ownerDelegation, ownerKey } from './auth-fixtures.js';

const root = issueRootToken({ signing: ownerKey, delegation: ownerDelegation(), audience: alice.publicKey, bucket: BUCKET, ops: ['get', 'put'], prefix: 'p/', expiry: T0 + 60, mayDelegate: true, nonce: nonceOf(1) });
const token = delegateToken(root, { signing: alice, audience: bob.publicKey, ops: ['get'], nonce: nonceOf(2) });
const text = tokenToText(token);
const headers = signRequest({ method: 'GET', path: '/b/42/o/p/x', contentSha256: 'UNSIGNED-PAYLOAD', audience: 'node-1', signing: bob, token, time: T0 * 1000, nonce: '01'.repeat(16) });

function onlyCodes(codes: string[], f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof DdcError)) throw new Error(`threw a non-DdcError: ${String(e)}`, { cause: e });
    assert.ok(codes.includes(e.code), `unexpected code ${e.code}`);
  }
}

/** A valid byte string with a few bytes replaced, inserted or cut. */
const mutated = (base: Uint8Array) =>
  fc.tuple(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 2 })), { minLength: 1, maxLength: 4 }), fc.nat(base.length))
    .map(([edits, cut]) => {
      let b = Array.from(base);
      for (const [at, v, kind] of edits) {
        if (kind === 0) b[at % b.length] = v;
        else if (kind === 1) b.splice(at % (b.length + 1), 0, v);
        else b.splice(at % b.length, 1);
      }
      if (cut % 7 === 0) b = b.slice(0, cut);
      return Uint8Array.from(b);
    });

test('decodeToken: random and mutated bytes throw only DDC_TOKEN_INVALID', () => {
  fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 600 }), fc.uint8Array({ maxLength: 600 }).map((b) => Uint8Array.from([0x44, 0x44, 0x43, 0x54, 0x01, ...b])), mutated(token.bytes)), (b) => {
    onlyCodes(['DDC_TOKEN_INVALID'], () => decodeToken(b));
  }), { numRuns: 400 });
});

test('decodeToken: a mutated token never decodes to different rights unless re-signed', () => {
  fc.assert(fc.property(mutated(token.bytes), (b) => {
    let t;
    try {
      t = decodeToken(b);
    } catch {
      return;
    }
    // Only bytes that are the token itself (e.g. an edit that changed nothing) decode.
    assert.deepEqual(t.bytes, token.bytes);
  }), { numRuns: 300 });
});

test('tokenFromText: random and mutated text throws only DDC_TOKEN_INVALID', () => {
  const edit = fc.tuple(fc.nat(text.length - 1), fc.constantFrom(...'AZaz09-_=+/ .\n\u00e9'.split(''))).map(([at, ch]) => text.slice(0, at) + ch + text.slice(at + 1));
  fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ maxLength: 300 }).map((s) => `ddct1${s}`), edit), (s) => {
    onlyCodes(['DDC_TOKEN_INVALID'], () => tokenFromText(s));
  }), { numRuns: 400 });
});

test('parseSignedRequest: random and mutated headers throw only typed request, signature and token errors', () => {
  const names = Object.values(REQUEST_HEADERS);
  const value = fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom(...Object.values(headers)), fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }), fc.constant(undefined));
  const edited = fc.dictionary(fc.constantFrom(...names), value, { maxKeys: 3 }).map((over) => ({ ...headers, ...over }));
  const random = fc.dictionary(fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 20 })), value);
  const path = fc.oneof(fc.constant('/b/42/o/p/x'), fc.string({ maxLength: 40 }));
  const method = fc.oneof(fc.constant('GET'), fc.string({ maxLength: 8 }));
  fc.assert(fc.property(fc.oneof(edited, random), method, path, (h, m, p) => {
    onlyCodes(['DDC_REQUEST_MALFORMED', 'DDC_SIGNATURE_INVALID', 'DDC_TOKEN_INVALID'], () => parseSignedRequest(h, m, p));
  }), { numRuns: 500 });
  assert.equal(parseSignedRequest(headers, 'GET', '/b/42/o/p/x')?.token?.idHex, token.idHex);
});
