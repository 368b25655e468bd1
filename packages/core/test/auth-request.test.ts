// Signed requests v1 and the replay guard: round trips, every tampered field, and the
// guard's refusals (same nonce twice, stale, future, other audience, the memory bound).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DdcError, REQUEST_HEADERS, ReplayGuard, UNSIGNED_PAYLOAD, canonicalRequest, delegateToken, issueRootToken, parseSignedRequest, sha256,
  signRequest, textEncoder, toHex, tokenToText, type SignedRequest,
} from '../src/index.js';
import { BUCKET, T0, alice, bob, mallory, nonceOf, ownerDelegation, ownerKey } from './auth-fixtures.js';

const NOW = T0 * 1000;
const body = textEncoder.encode('{"hello":"world"}');
const bodySha = toHex(sha256(body));
const root = issueRootToken({ signing: ownerKey, delegation: ownerDelegation(), audience: alice.publicKey, bucket: BUCKET, ops: ['get', 'put'], expiry: T0 + 60, mayDelegate: true, nonce: nonceOf(1) });
const token = delegateToken(root, { signing: alice, audience: bob.publicKey, ops: ['put'], nonce: nonceOf(2) });

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof DdcError, `not a DdcError: ${String(e)}`);
    return e.code;
  }
  return undefined;
}

const signed = (over: Partial<Parameters<typeof signRequest>[0]> = {}) =>
  signRequest({ method: 'PUT', path: '/buckets/42/objects/a%20b?x=1', contentSha256: bodySha, audience: 'node-1', signing: bob, token, time: NOW, nonce: 'ab'.repeat(16), ...over });

test('sign then parse returns the fields, the token and a checked signature', () => {
  const h = signed();
  assert.deepEqual(Object.keys(h).sort(), Object.values(REQUEST_HEADERS).sort());
  const r = parseSignedRequest(h, 'PUT', '/buckets/42/objects/a%20b?x=1');
  assert.ok(r);
  assert.equal(r.keyHex, toHex(bob.publicKey));
  assert.deepEqual(r.key, bob.publicKey);
  assert.equal(r.time, NOW);
  assert.equal(r.nonce, 'ab'.repeat(16));
  assert.equal(r.audience, 'node-1');
  assert.equal(r.contentSha256, bodySha);
  assert.equal(r.token?.idHex, token.idHex);
  assert.equal(h[REQUEST_HEADERS.token], tokenToText(token));
  // Header names in any case, values as one-element arrays (node's IncomingMessage shapes).
  const mixed = Object.fromEntries(Object.entries(h).map(([k, v], i) => [i % 2 ? k.toUpperCase() : k, i % 3 ? v : [v]]));
  assert.equal(parseSignedRequest(mixed, 'put', '/buckets/42/objects/a%20b?x=1')?.nonce, r.nonce);
  // Without a token, and with UNSIGNED-PAYLOAD.
  const plain = signRequest({ method: 'PUT', path: '/shards/x', contentSha256: UNSIGNED_PAYLOAD, audience: 'node-2', signing: alice });
  assert.equal(plain[REQUEST_HEADERS.token], undefined);
  const p = parseSignedRequest(plain, 'PUT', '/shards/x');
  assert.equal(p?.token, null);
  assert.equal(p?.contentSha256, UNSIGNED_PAYLOAD);
  assert.match(p!.nonce, /^[0-9a-f]{32}$/);
  assert.ok(Math.abs(p!.time - Date.now()) < 5000);
});

test('no x-ddc-signature: not a signed request', () => {
  assert.equal(parseSignedRequest({}, 'GET', '/x'), null);
  const { [REQUEST_HEADERS.signature]: _s, ...rest } = signed();
  assert.equal(parseSignedRequest(rest, 'PUT', '/x'), null);
});

test('the canonical string is the documented one', () => {
  assert.equal(
    canonicalRequest({ method: 'put', path: '/a?b=c', contentSha256: UNSIGNED_PAYLOAD, time: 1, nonce: '00'.repeat(16), audience: 'n1', key: 'ff'.repeat(32), tokenIdHex: null }),
    `DDC-REQUEST-V1\nPUT\n/a?b=c\nUNSIGNED-PAYLOAD\n1\n${'00'.repeat(16)}\nn1\n${'ff'.repeat(32)}\n-`,
  );
  for (const bad of [{ path: '/a\nb' }, { path: 'a' }, { audience: 'n 1' }, { audience: 'n\n1' }, { nonce: 'AB'.repeat(16) }, { method: 'P\nUT' }, { contentSha256: 'x' }, { tokenIdHex: 'zz' }, { time: -1 }]) {
    assert.equal(codeOf(() => canonicalRequest({ method: 'PUT', path: '/a', contentSha256: UNSIGNED_PAYLOAD, time: 1, nonce: '00'.repeat(16), audience: 'n1', key: 'ff'.repeat(32), tokenIdHex: null, ...bad })), 'DDC_INVALID_ARGUMENT', JSON.stringify(bad));
  }
});

test('any signed field changed in transit: DDC_SIGNATURE_INVALID', () => {
  const h = signed();
  const path = '/buckets/42/objects/a%20b?x=1';
  assert.equal(codeOf(() => parseSignedRequest(h, 'POST', path)), 'DDC_SIGNATURE_INVALID');
  assert.equal(codeOf(() => parseSignedRequest(h, 'PUT', '/buckets/42/objects/a%20b?x=2')), 'DDC_SIGNATURE_INVALID');
  assert.equal(codeOf(() => parseSignedRequest(h, 'PUT', '/buckets/42/objects/a b?x=1')), 'DDC_SIGNATURE_INVALID');
  const edits: Record<string, string> = {
    [REQUEST_HEADERS.time]: String(NOW + 1),
    [REQUEST_HEADERS.nonce]: 'cd'.repeat(16),
    [REQUEST_HEADERS.audience]: 'node-2',
    [REQUEST_HEADERS.contentSha256]: UNSIGNED_PAYLOAD,
    [REQUEST_HEADERS.key]: toHex(mallory.publicKey),
    [REQUEST_HEADERS.token]: tokenToText(root),
  };
  for (const [k, v] of Object.entries(edits)) assert.equal(codeOf(() => parseSignedRequest({ ...h, [k]: v }, 'PUT', path)), 'DDC_SIGNATURE_INVALID', k);
  // Removing the token changes the signed token id.
  const { [REQUEST_HEADERS.token]: _t, ...noToken } = h;
  assert.equal(codeOf(() => parseSignedRequest(noToken, 'PUT', path)), 'DDC_SIGNATURE_INVALID');
  // Mallory's signature over the same canonical string with bob's key named.
  const m = signed({ signing: mallory });
  assert.equal(codeOf(() => parseSignedRequest({ ...m, [REQUEST_HEADERS.key]: toHex(bob.publicKey) }, 'PUT', path)), 'DDC_SIGNATURE_INVALID');
});

test('missing or garbled fields: DDC_REQUEST_MALFORMED; a garbled token: DDC_TOKEN_INVALID', () => {
  const h = signed();
  const path = '/buckets/42/objects/a%20b?x=1';
  for (const name of Object.values(REQUEST_HEADERS)) {
    if (name === REQUEST_HEADERS.signature || name === REQUEST_HEADERS.token) continue;
    const { [name]: _x, ...rest } = h;
    assert.equal(codeOf(() => parseSignedRequest(rest, 'PUT', path)), 'DDC_REQUEST_MALFORMED', name);
  }
  const garbled: [string, string][] = [
    [REQUEST_HEADERS.key, 'AB'.repeat(32)], [REQUEST_HEADERS.key, '00'.repeat(31)], [REQUEST_HEADERS.key, `02${'00'.repeat(31)}`],
    [REQUEST_HEADERS.time, '-1'], [REQUEST_HEADERS.time, '1e3'], [REQUEST_HEADERS.time, '0123'], [REQUEST_HEADERS.time, '99999999999999999'],
    [REQUEST_HEADERS.nonce, 'ab'], [REQUEST_HEADERS.audience, ''], [REQUEST_HEADERS.audience, 'a b'],
    [REQUEST_HEADERS.contentSha256, 'unsigned-payload'], [REQUEST_HEADERS.signature, 'zz'],
  ];
  for (const [k, v] of garbled) assert.equal(codeOf(() => parseSignedRequest({ ...h, [k]: v }, 'PUT', path)), 'DDC_REQUEST_MALFORMED', `${k}=${v}`);
  assert.equal(codeOf(() => parseSignedRequest({ ...h, [REQUEST_HEADERS.nonce]: [h[REQUEST_HEADERS.nonce]!, 'x'] }, 'PUT', path)), 'DDC_REQUEST_MALFORMED');
  assert.equal(codeOf(() => parseSignedRequest(h, 'PUT', 'no-slash')), 'DDC_REQUEST_MALFORMED');
  assert.equal(codeOf(() => parseSignedRequest({ ...h, [REQUEST_HEADERS.token]: 'ddct1!!' }, 'PUT', path)), 'DDC_TOKEN_INVALID');
  // A token whose bytes are signed by the request but whose own signature is bad.
  const bad = Uint8Array.from(token.bytes);
  bad[bad.length - 1]! ^= 1;
  const forgedToken = { ...token, bytes: bad, idHex: toHex(sha256(bad)) };
  assert.equal(codeOf(() => parseSignedRequest(signed({ token: forgedToken }), 'PUT', path)), 'DDC_TOKEN_INVALID');
});

test('a token text seen before is reused only for that exact text, and only once the request\'s signature verifies', () => {
  const path = '/buckets/42/objects/a%20b?x=1';
  const first = parseSignedRequest(signed(), 'PUT', path)!;
  const again = parseSignedRequest(signed({ nonce: 'cd'.repeat(16) }), 'PUT', path)!;
  assert.equal(again.token, first.token, 'the decoded token is reused');
  // Signed over another token's id, sent with the known token: the id comes from the token sent.
  const other = delegateToken(root, { signing: alice, audience: bob.publicKey, ops: ['put'], nonce: nonceOf(3) });
  const swapped = { ...signed({ token: other }), [REQUEST_HEADERS.token]: tokenToText(token) };
  assert.equal(codeOf(() => parseSignedRequest(swapped, 'PUT', path)), 'DDC_SIGNATURE_INVALID');
  // One character of the known text changed: a different token, checked from scratch.
  const text = tokenToText(token);
  const i = text.length - 3;
  const changed = text.slice(0, i) + (text[i] === 'A' ? 'B' : 'A') + text.slice(i + 1);
  assert.equal(codeOf(() => parseSignedRequest({ ...signed(), [REQUEST_HEADERS.token]: changed }, 'PUT', path)), 'DDC_SIGNATURE_INVALID');
  const bad = Uint8Array.from(token.bytes);
  bad[bad.length - 1]! ^= 1;
  assert.equal(codeOf(() => parseSignedRequest(signed({ token: { ...token, bytes: bad, idHex: toHex(sha256(bad)) } }), 'PUT', path)), 'DDC_TOKEN_INVALID');
});

let parsed: SignedRequest | undefined;
function req(over: Partial<SignedRequest> = {}): SignedRequest {
  parsed ??= parseSignedRequest(signed(), 'PUT', '/buckets/42/objects/a%20b?x=1')!;
  return { ...parsed, ...over };
}

test('replay guard: the same nonce twice, stale, future, another audience', () => {
  const g = new ReplayGuard();
  const r = req();
  g.check(r, 'node-1', NOW);
  assert.equal(codeOf(() => g.check(r, 'node-1', NOW + 1000)), 'DDC_REQUEST_REPLAYED');
  // The same nonce from another key is another request.
  g.check({ ...r, keyHex: toHex(alice.publicKey) }, 'node-1', NOW);
  g.check({ ...r, nonce: 'cd'.repeat(16) }, 'node-1', NOW);
  assert.equal(codeOf(() => g.check(req({ nonce: 'ee'.repeat(16) }), 'node-1', NOW + 60_001)), 'DDC_REQUEST_STALE');
  assert.equal(codeOf(() => g.check(req({ nonce: 'ee'.repeat(16) }), 'node-1', NOW - 60_001)), 'DDC_REQUEST_STALE'); // from the future
  g.check(req({ nonce: 'ee'.repeat(16) }), 'node-1', NOW + 60_000); // the edge is inside
  assert.equal(codeOf(() => g.check(req({ nonce: 'ef'.repeat(16) }), 'node-2', NOW)), 'DDC_REQUEST_AUDIENCE');
  // Once the request is stale, its replay is refused as stale; the nonce can be forgotten.
  assert.equal(codeOf(() => g.check(r, 'node-1', NOW + 120_000)), 'DDC_REQUEST_STALE');
  const e = (() => { try { g.check(req({ nonce: 'ff'.repeat(16) }), 'node-2', NOW); } catch (x) { return x; } })();
  assert.ok(e instanceof DdcError && e.status === 401);
});

test('replay guard: bounded memory, pruned lazily, never forgets a nonce inside the window', () => {
  const g = new ReplayGuard({ windowMs: 1000, maxEntries: 3 });
  const n = (i: number) => i.toString(16).padStart(32, '0');
  for (let i = 0; i < 3; i++) g.check(req({ nonce: n(i), time: NOW }), 'node-1', NOW);
  assert.equal(codeOf(() => g.check(req({ nonce: n(3), time: NOW }), 'node-1', NOW + 10)), 'DDC_BUSY');
  assert.equal(codeOf(() => g.check(req({ nonce: n(0), time: NOW }), 'node-1', NOW + 10)), 'DDC_REQUEST_REPLAYED');
  // After the window, the old entries go and new requests fit.
  for (let i = 4; i < 7; i++) g.check(req({ nonce: n(i), time: NOW + 2001 }), 'node-1', NOW + 2001);
  assert.ok(g.size <= 3);
  assert.equal(codeOf(() => g.check(req({ nonce: n(5), time: NOW + 2001 }), 'node-1', NOW + 2002)), 'DDC_REQUEST_REPLAYED');
  // Many requests over a long time stay within the bound without refusals.
  const h = new ReplayGuard({ windowMs: 1000, maxEntries: 2000 });
  for (let i = 0; i < 20_000; i++) h.check(req({ nonce: n(i), time: NOW + i }), 'node-1', NOW + i);
  assert.ok(h.size <= 2000);
  assert.equal(codeOf(() => new ReplayGuard({ windowMs: 0 })), 'DDC_INVALID_CONFIG');
});
