// Capability tokens v1: building, decoding, and every refusal of verifyTokenChain with its code
// and precedence, including links built by hand that bypass delegateToken's checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DdcError, TOKEN_MAX_DEPTH, TOKEN_MAX_SIZE, decodeToken, delegateToken, encodeToken, issueRootToken, sealToken, sha256, signDelegation,
  toHex, tokenChain, tokenFromText, tokenToText, verifyTokenChain, type CapabilityToken, type TokenCheck, type TokenFields,
} from '../src/index.js';
import {
  BUCKET, OTHER_ADDRESS, OTHER_EVM_KEY, T0, alice, bob, carol, fakeLedger, mallory, nonceOf, ownerDelegation, ownerKey, rawToken, tokenMap,
} from './auth-fixtures.js';

const delegation = ownerDelegation();

/** owner → alice (get,list,put under docs/) → bob (get,list under docs/bob/) → carol (get under docs/bob/x/). */
function chain3(): { root: CapabilityToken; child: CapabilityToken; leaf: CapabilityToken } {
  const root = issueRootToken({
    signing: ownerKey, delegation, audience: alice.publicKey, bucket: BUCKET, ops: ['put', 'get', 'list'], prefix: 'docs/',
    notBefore: T0 - 60, expiry: T0 + 3600, mayDelegate: true, nonce: nonceOf(1),
  });
  const child = delegateToken(root, { signing: alice, audience: bob.publicKey, ops: ['get', 'list'], prefix: 'docs/bob/', expiry: T0 + 1800, mayDelegate: true, nonce: nonceOf(2) });
  const leaf = delegateToken(child, { signing: bob, audience: carol.publicKey, ops: ['get'], prefix: 'docs/bob/x/', notBefore: T0 - 30, nonce: nonceOf(3) });
  return { root, child, leaf };
}

const ok: TokenCheck = { bucket: BUCKET, op: 'get', key: 'docs/bob/x/1.txt', requester: carol.publicKey };

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    assert.ok(e instanceof DdcError, `not a DdcError: ${String(e)}`);
    return e.code;
  }
  return undefined;
}

function fieldsOf(t: CapabilityToken): TokenFields {
  const { signature: _s, bytes: _b, id: _i, idHex: _h, ...f } = t;
  return f;
}

test('a 3-deep chain allows exactly what its leaf grants', async () => {
  const { root, child, leaf } = chain3();
  const ledger = fakeLedger();
  await verifyTokenChain(leaf, ok, ledger, T0);
  await verifyTokenChain(decodeToken(leaf.bytes), ok, ledger, T0);
  assert.deepEqual(tokenChain(leaf).map((t) => t.idHex), [root.idHex, child.idHex, leaf.idHex]);
  await verifyTokenChain(child, { bucket: BUCKET, op: 'list', key: 'docs/bob/', requester: bob.publicKey }, ledger, T0);
  await verifyTokenChain(root, { bucket: BUCKET, op: 'put', key: 'docs/a', requester: alice.publicKey }, ledger, T0);
  assert.deepEqual(leaf.ops, ['get']);
  assert.deepEqual(root.ops, ['get', 'list', 'put']); // sorted
  assert.equal(leaf.expiry, child.expiry); // inherited
  assert.equal(leaf.mayDelegate, false); // default
});

test('the owner\'s self-issued root token', async () => {
  const self = issueRootToken({ signing: ownerKey, delegation, audience: ownerKey.publicKey, bucket: BUCKET, ops: ['admin', 'delete', 'get', 'list', 'put'], expiry: T0 + 60 });
  assert.equal(self.prefix, '');
  assert.equal(self.notBefore, delegation.notBefore);
  for (const op of ['admin', 'delete', 'get', 'list', 'put'] as const) {
    await verifyTokenChain(self, { bucket: BUCKET, op, key: 'any/key', requester: ownerKey.publicKey }, fakeLedger(), T0);
  }
});

test('encode/decode/text round trips keep bytes and id; id is SHA-256 of the bytes', () => {
  const { leaf } = chain3();
  assert.deepEqual(encodeToken(leaf), leaf.bytes);
  assert.deepEqual(leaf.id, sha256(leaf.bytes));
  assert.equal(leaf.idHex, toHex(leaf.id));
  const text = tokenToText(leaf);
  assert.match(text, /^ddct1[A-Za-z0-9_-]+$/);
  const back = tokenFromText(text);
  assert.deepEqual(back.bytes, leaf.bytes);
  assert.equal(back.idHex, leaf.idHex);
  assert.deepEqual(fieldsOf(back.parent!.parent!), fieldsOf(leaf.parent!.parent!));
  assert.deepEqual(back.parent!.parent!.delegation, delegation);
  assert.equal(back.parent!.parent!.delegation!.account, '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266');
});

test('DDC_TOKEN_INVALID: forged or tampered links, broken wiring, a delegation for another chain', async () => {
  const { root, child, leaf } = chain3();
  const ledger = fakeLedger();
  // A flipped byte of the leaf's signature.
  const flipped = Uint8Array.from(leaf.bytes);
  flipped[flipped.length - 1]! ^= 1;
  assert.equal(await codeOf(() => decodeToken(flipped)), 'DDC_TOKEN_INVALID');
  // Mallory signs a link that claims bob as issuer (bob is the parent's audience).
  const forged = rawToken({ ...tokenMap(leaf.bytes), aud: mallory.publicKey, ops: ['get', 'list'] }, mallory);
  assert.equal(await codeOf(() => decodeToken(forged)), 'DDC_TOKEN_INVALID');
  // Mallory as issuer signing her own link under bob's token: not the parent's audience.
  const stranger = rawToken({ ...tokenMap(leaf.bytes), iss: mallory.publicKey, aud: mallory.publicKey }, mallory);
  assert.equal(await codeOf(() => decodeToken(stranger)), 'DDC_TOKEN_INVALID');
  // A tampered parent inside a correctly re-signed leaf.
  const badParent = rawToken({ ...tokenMap(child.bytes), ops: ['admin', 'get', 'list'] });
  assert.equal(await codeOf(() => decodeToken(rawToken({ ...tokenMap(leaf.bytes), prf: badParent }, bob))), 'DDC_TOKEN_INVALID');
  // A root whose delegation names another key than its issuer, and one whose delegation signature is edited.
  const otherKeyDgn = signDelegation({ ...delegation, signingKey: alice.publicKey }, ownerDelegationKey());
  const m = tokenMap(root.bytes);
  assert.equal(await codeOf(() => decodeToken(rawToken({ ...m, dgn: { ...(m.dgn as object), key: otherKeyDgn.signingKey, sig: otherKeyDgn.signature } }, ownerKey))), 'DDC_TOKEN_INVALID');
  const editedSig = Uint8Array.from(delegation.signature);
  editedSig[5]! ^= 1;
  assert.equal(await codeOf(() => decodeToken(rawToken({ ...m, dgn: { ...(m.dgn as object), sig: editedSig } }, ownerKey))), 'DDC_TOKEN_INVALID');
  // A root with a parent, a child without one.
  assert.equal(await codeOf(() => decodeToken(rawToken({ ...tokenMap(leaf.bytes), dgn: m.dgn }, bob))), 'DDC_TOKEN_INVALID');
  assert.equal(await codeOf(() => decodeToken(rawToken({ ...m, dgn: null }, ownerKey))), 'DDC_TOKEN_INVALID');
  // The delegation is for chain 31337; a ledger on chain 1 refuses it.
  assert.equal(await codeOf(verifyTokenChain(leaf, ok, { ...ledger, chainId: 1 }, T0)), 'DDC_TOKEN_INVALID');
  // An object whose fields were edited is judged by its signed bytes: the edit grants nothing.
  const edited: CapabilityToken = { ...leaf, ops: ['get', 'put'], prefix: '' };
  assert.equal(await codeOf(verifyTokenChain(edited, { ...ok, op: 'put' }, ledger, T0)), 'DDC_TOKEN_OP_DENIED');
  assert.equal(await codeOf(verifyTokenChain({ ...leaf, bytes: flipped }, ok, ledger, T0)), 'DDC_TOKEN_INVALID');
});

function ownerDelegationKey(): Uint8Array {
  return Uint8Array.from([0xac, 0x09, 0x74, 0xbe, 0xc3, 0x9a, 0x17, 0xe3, 0x6b, 0xa4, 0xa6, 0xb4, 0xd2, 0x38, 0xff, 0x94, 0x4b, 0xac, 0xb4, 0x78, 0xcb, 0xed, 0x5e, 0xfc, 0xae, 0x78, 0x4d, 0x7b, 0xf4, 0xf2, 0xff, 0x80]);
}

test('DDC_TOKEN_INVALID: format (header, extra or missing keys, non-canonical CBOR, types, sizes)', async () => {
  const { root, leaf } = chain3();
  const m = tokenMap(root.bytes);
  const cases: Uint8Array[] = [
    new Uint8Array(0),
    Uint8Array.from([0x44, 0x44, 0x43, 0x54, 0x02, ...root.bytes.subarray(5)]), // version 2
    Uint8Array.from([0x44, 0x44, 0x43, 0x55, 0x01, ...root.bytes.subarray(5)]), // magic
    Uint8Array.from([...root.bytes, 0x00]), // trailing byte
    rawToken({ ...m, extra: 1 }, ownerKey),
    rawToken(Object.fromEntries(Object.entries(m).filter(([k]) => k !== 'nce')), ownerKey),
    rawToken({ ...m, ops: ['put', 'get'] }, ownerKey), // not sorted
    rawToken({ ...m, ops: ['get', 'get'] }, ownerKey), // repeated
    rawToken({ ...m, ops: [] }, ownerKey),
    rawToken({ ...m, ops: ['read'] }, ownerKey),
    rawToken({ ...m, bkt: -1 }, ownerKey),
    rawToken({ ...m, bkt: 2 ** 53 }, ownerKey),
    rawToken({ ...m, nbf: T0 + 10, exp: T0 }, ownerKey),
    rawToken({ ...m, nce: new Uint8Array(15) }, ownerKey),
    rawToken({ ...m, iss: new Uint8Array(31) }, ownerKey),
    rawToken({ ...m, dlg: 1 }, ownerKey),
    rawToken({ ...m, pfx: new Uint8Array(1) }, ownerKey),
    rawToken({ ...m, sig: new Uint8Array(63) }),
    rawToken({ ...m, dgn: { ...(m.dgn as object), chainId: 0 } }, ownerKey),
    rawToken({ ...m, pfx: 'x'.repeat(TOKEN_MAX_SIZE) }, ownerKey), // over 8 KiB
  ];
  // Non-minimal integer: bkt 42 as 0x19 0x00 0x2a instead of 0x18 0x2a.
  const at = findBytes(root.bytes, [0x63, 0x62, 0x6b, 0x74, 0x18, 0x2a]);
  assert.ok(at > 0);
  cases.push(Uint8Array.from([...root.bytes.subarray(0, at + 4), 0x19, 0x00, 0x2a, ...root.bytes.subarray(at + 6)]));
  for (const [i, c] of cases.entries()) assert.equal(await codeOf(() => decodeToken(c)), 'DDC_TOKEN_INVALID', `case ${i}`);
  for (const s of ['', 'ddct1', 'ddct2' + tokenToText(leaf).slice(5), tokenToText(leaf) + '=', tokenToText(leaf).replace(/.$/, '+'), `ddct1${'A'.repeat(20000)}`]) {
    assert.equal(await codeOf(() => tokenFromText(s)), 'DDC_TOKEN_INVALID', s.slice(0, 20));
  }
});

function findBytes(hay: Uint8Array, needle: number[]): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

test('DDC_TOKEN_WRONG_BUCKET: another bucket, on any link', async () => {
  const { root, leaf } = chain3();
  assert.equal(await codeOf(verifyTokenChain(leaf, { ...ok, bucket: 43 }, fakeLedger(), T0)), 'DDC_TOKEN_WRONG_BUCKET');
  // A child re-targeted to bucket 43 by hand: its root is still for 42.
  const moved = decodeToken(rawToken({ ...tokenMap(delegateToken(root, { signing: alice, audience: bob.publicKey }).bytes), bkt: 43 }, alice));
  assert.equal(await codeOf(verifyTokenChain(moved, { bucket: 43, op: 'get', key: 'docs/a', requester: bob.publicKey }, fakeLedger(), T0)), 'DDC_TOKEN_WRONG_BUCKET');
});

test('DDC_TOKEN_NOT_OWNER: a root not delegated by the bucket\'s owner', async () => {
  // Bucket 44 belongs to OTHER_ADDRESS; the owner of 42 cannot grant it.
  const foreign = issueRootToken({ signing: ownerKey, delegation, audience: alice.publicKey, bucket: 44, ops: ['get'], expiry: T0 + 60 });
  assert.equal(await codeOf(verifyTokenChain(foreign, { bucket: 44, op: 'get', key: 'k', requester: alice.publicKey }, fakeLedger(), T0)), 'DDC_TOKEN_NOT_OWNER');
  // A well-signed delegation from OTHER_ADDRESS used for bucket 42.
  const otherDgn = ownerDelegation(mallory.publicKey, OTHER_EVM_KEY, OTHER_ADDRESS);
  const usurper = issueRootToken({ signing: mallory, delegation: otherDgn, audience: mallory.publicKey, bucket: BUCKET, ops: ['get'], expiry: T0 + 60 });
  assert.equal(await codeOf(verifyTokenChain(usurper, { ...ok, requester: mallory.publicKey }, fakeLedger(), T0)), 'DDC_TOKEN_NOT_OWNER');
  // No such bucket: the ledger's error passes through.
  assert.equal(await codeOf(verifyTokenChain(usurper, { ...ok, bucket: 99, requester: mallory.publicKey }, fakeLedger(), T0)), 'DDC_TOKEN_WRONG_BUCKET');
  const nobucket = issueRootToken({ signing: ownerKey, delegation, audience: alice.publicKey, bucket: 99, ops: ['get'], expiry: T0 + 60 });
  assert.equal(await codeOf(verifyTokenChain(nobucket, { bucket: 99, op: 'get', key: 'k', requester: alice.publicKey }, fakeLedger(), T0)), 'DDC_NO_SUCH_BUCKET');
});

test('DDC_TOKEN_WIDENED: delegateToken refuses to widen, and hand-sealed widening links are refused by verification', async () => {
  const { root, child } = chain3();
  const base = { signing: bob, audience: carol.publicKey } as const;
  const widenings: Partial<Pick<TokenFields, 'ops' | 'prefix' | 'notBefore' | 'expiry'>>[] = [
    { ops: ['get', 'put'] },
    { prefix: 'docs/' },
    { prefix: 'other/' },
    { notBefore: child.notBefore - 1 },
    { expiry: child.expiry + 1 },
  ];
  for (const w of widenings) {
    assert.equal(await codeOf(() => delegateToken(child, { ops: ['get'], ...base, ...w })), 'DDC_TOKEN_WIDENED', JSON.stringify(w));
    // The same link, sealed without the builder's checks.
    const f: TokenFields = { ...fieldsOf(child), issuer: bob.publicKey, audience: carol.publicKey, ops: ['get'], parent: child, delegation: null, nonce: nonceOf(9), mayDelegate: false, ...w };
    const link = sealToken(f, bob);
    const check: TokenCheck = { ...ok, op: 'get', key: `${f.prefix}k` };
    assert.equal(await codeOf(verifyTokenChain(decodeToken(link.bytes), check, fakeLedger(), T0)), 'DDC_TOKEN_WIDENED', JSON.stringify(w));
  }
  // A parent without mayDelegate.
  const closed = delegateToken(root, { signing: alice, audience: bob.publicKey, nonce: nonceOf(4) });
  assert.equal(await codeOf(() => delegateToken(closed, base)), 'DDC_TOKEN_WIDENED');
  const sneaky = sealToken({ ...fieldsOf(closed), issuer: bob.publicKey, audience: carol.publicKey, parent: closed, delegation: null, nonce: nonceOf(5) }, bob);
  assert.equal(await codeOf(verifyTokenChain(sneaky, { ...ok, key: 'docs/x' }, fakeLedger(), T0)), 'DDC_TOKEN_WIDENED');
  // Only the parent's audience may delegate.
  assert.equal(await codeOf(() => delegateToken(child, { signing: mallory, audience: carol.publicKey })), 'DDC_INVALID_ARGUMENT');
});

test('DDC_TOKEN_EXPIRED and DDC_TOKEN_NOT_YET_VALID, for each link and for the delegation', async () => {
  const { root, child, leaf } = chain3();
  const l = fakeLedger();
  await verifyTokenChain(leaf, ok, l, child.expiry - 0.001);
  assert.equal(await codeOf(verifyTokenChain(leaf, ok, l, child.expiry)), 'DDC_TOKEN_EXPIRED'); // the leaf inherits exp; expiry is exclusive
  assert.equal(await codeOf(verifyTokenChain(root, { ...ok, key: 'docs/a', requester: alice.publicKey }, l, root.expiry + 5)), 'DDC_TOKEN_EXPIRED');
  await verifyTokenChain(leaf, ok, l, leaf.notBefore);
  assert.equal(await codeOf(verifyTokenChain(leaf, ok, l, leaf.notBefore - 1)), 'DDC_TOKEN_NOT_YET_VALID'); // the leaf starts after its parents
  assert.equal(await codeOf(verifyTokenChain(child, { ...ok, requester: bob.publicKey }, l, root.notBefore - 1)), 'DDC_TOKEN_NOT_YET_VALID');
  // A delegation that expired while the token's own time is still good.
  const short = signDelegation({ ...delegation, expiry: T0 - 1 }, ownerDelegationKey());
  const t = issueRootToken({ signing: ownerKey, delegation: short, audience: alice.publicKey, bucket: BUCKET, ops: ['get'], notBefore: T0 - 10, expiry: T0 + 60 });
  assert.equal(await codeOf(verifyTokenChain(t, { ...ok, key: 'k', requester: alice.publicKey }, l, T0)), 'DDC_TOKEN_EXPIRED');
  const late = signDelegation({ ...delegation, notBefore: T0 + 100, expiry: T0 + 200 }, ownerDelegationKey());
  const u = issueRootToken({ signing: ownerKey, delegation: late, audience: alice.publicKey, bucket: BUCKET, ops: ['get'], notBefore: T0 - 10, expiry: T0 + 60 });
  assert.equal(await codeOf(verifyTokenChain(u, { ...ok, key: 'k', requester: alice.publicKey }, l, T0)), 'DDC_TOKEN_NOT_YET_VALID');
});

test('DDC_TOKEN_REVOKED: revoking any link revokes everything delegated from it, in its bucket only', async () => {
  const { root, child, leaf } = chain3();
  for (const revoked of [root, child, leaf]) {
    const l = fakeLedger(new Set([`${BUCKET}:${revoked.idHex}`]));
    assert.equal(await codeOf(verifyTokenChain(leaf, ok, l, T0)), 'DDC_TOKEN_REVOKED');
  }
  const l = fakeLedger(new Set([`${BUCKET}:${leaf.idHex}`]));
  await verifyTokenChain(child, { ...ok, requester: bob.publicKey }, l, T0); // the parent stays good
  await verifyTokenChain(leaf, ok, fakeLedger(new Set([`43:${root.idHex}`])), T0); // a revocation names its bucket
  // An async ledger view works the same.
  const asyncLedger = { ...fakeLedger(), isRevoked: async (_b: number, id: string) => id === child.idHex };
  assert.equal(await codeOf(verifyTokenChain(leaf, ok, asyncLedger, T0)), 'DDC_TOKEN_REVOKED');
});

test('DDC_TOKEN_AUDIENCE, DDC_TOKEN_OP_DENIED, DDC_TOKEN_PREFIX_DENIED', async () => {
  const { leaf } = chain3();
  const l = fakeLedger();
  assert.equal(await codeOf(verifyTokenChain(leaf, { ...ok, requester: mallory.publicKey }, l, T0)), 'DDC_TOKEN_AUDIENCE');
  assert.equal(await codeOf(verifyTokenChain(leaf, { ...ok, requester: bob.publicKey }, l, T0)), 'DDC_TOKEN_AUDIENCE'); // a parent's audience is not the leaf's
  for (const op of ['put', 'list', 'delete', 'admin'] as const) assert.equal(await codeOf(verifyTokenChain(leaf, { ...ok, op }, l, T0)), 'DDC_TOKEN_OP_DENIED');
  for (const key of ['docs/bob/y', 'docs/bob/x', 'docs/', '', 'DOCS/bob/x/1']) assert.equal(await codeOf(verifyTokenChain(leaf, { ...ok, key }, l, T0)), 'DDC_TOKEN_PREFIX_DENIED', key);
  await verifyTokenChain(leaf, { ...ok, key: 'docs/bob/x/' }, l, T0);
});

test('refusals follow the documented precedence', async () => {
  const { leaf, root } = chain3();
  const revokedAll = new Set([`${BUCKET}:${leaf.idHex}`, `43:${leaf.idHex}`]);
  const worst: TokenCheck = { bucket: 43, op: 'admin', key: 'zzz', requester: mallory.publicKey };
  const l = fakeLedger(revokedAll);
  assert.equal(await codeOf(verifyTokenChain(leaf, worst, { ...l, chainId: 5 }, T0 + 99999)), 'DDC_TOKEN_INVALID');
  assert.equal(await codeOf(verifyTokenChain(leaf, worst, l, T0 + 99999)), 'DDC_TOKEN_WRONG_BUCKET');
  const w = { ...worst, bucket: BUCKET };
  const notOwned = { ...l, bucketOwner: async () => OTHER_ADDRESS };
  assert.equal(await codeOf(verifyTokenChain(leaf, w, notOwned, T0 + 99999)), 'DDC_TOKEN_NOT_OWNER');
  const wide = sealToken({ ...fieldsOf(leaf), issuer: carol.publicKey, audience: carol.publicKey, ops: ['admin'], parent: leaf, delegation: null, nonce: nonceOf(7), expiry: T0 + 99999 }, carol);
  assert.equal(await codeOf(verifyTokenChain(wide, w, l, T0 + 99999)), 'DDC_TOKEN_WIDENED');
  assert.equal(await codeOf(verifyTokenChain(leaf, w, l, T0 + 99999)), 'DDC_TOKEN_EXPIRED');
  assert.equal(await codeOf(verifyTokenChain(leaf, w, l, T0 - 3000)), 'DDC_TOKEN_NOT_YET_VALID');
  assert.equal(await codeOf(verifyTokenChain(leaf, w, l, T0)), 'DDC_TOKEN_REVOKED');
  assert.equal(await codeOf(verifyTokenChain(leaf, w, fakeLedger(), T0)), 'DDC_TOKEN_AUDIENCE');
  assert.equal(await codeOf(verifyTokenChain(leaf, { ...w, requester: carol.publicKey }, fakeLedger(), T0)), 'DDC_TOKEN_OP_DENIED');
  assert.equal(await codeOf(verifyTokenChain(leaf, { ...w, requester: carol.publicKey, op: 'get' }, fakeLedger(), T0)), 'DDC_TOKEN_PREFIX_DENIED');
  // Errors name the link at fault.
  try {
    await verifyTokenChain(leaf, ok, fakeLedger(new Set([`${BUCKET}:${root.idHex}`])), T0);
    assert.fail('not refused');
  } catch (e) {
    assert.ok(e instanceof DdcError);
    assert.equal(e.details?.tokenId, root.idHex);
    assert.equal(e.status, 401);
  }
});

test(`chains are at most ${TOKEN_MAX_DEPTH} deep, tokens at most ${TOKEN_MAX_SIZE} bytes`, async () => {
  const keys = [alice, bob, carol, mallory];
  let t = issueRootToken({ signing: ownerKey, delegation, audience: keys[0]!.publicKey, bucket: BUCKET, ops: ['get'], expiry: T0 + 60, mayDelegate: true });
  for (let d = 2; d <= TOKEN_MAX_DEPTH; d++) {
    t = delegateToken(t, { signing: keys[(d - 2) % 4]!, audience: keys[(d - 1) % 4]!.publicKey, mayDelegate: true });
  }
  const requester = keys[(TOKEN_MAX_DEPTH - 1) % 4]!.publicKey;
  assert.equal(tokenChain(t).length, TOKEN_MAX_DEPTH);
  await verifyTokenChain(tokenFromText(tokenToText(t)), { ...ok, key: 'a', requester }, fakeLedger(), T0);
  const next = keys[TOKEN_MAX_DEPTH % 4]!.publicKey;
  assert.equal(await codeOf(() => delegateToken(t, { signing: keys[(TOKEN_MAX_DEPTH - 1) % 4]!, audience: next })), 'DDC_INVALID_ARGUMENT');
  // A ninth link made by hand is refused on decode.
  const ninth = rawToken({ ...tokenMap(t.bytes), iss: requester, aud: next, prf: t.bytes, nce: nonceOf(8) }, keys[(TOKEN_MAX_DEPTH - 1) % 4]);
  assert.equal(await codeOf(() => decodeToken(ninth)), 'DDC_TOKEN_INVALID');
  // Size: a long prefix cannot be sealed.
  assert.equal(await codeOf(() => issueRootToken({ signing: ownerKey, delegation, audience: alice.publicKey, bucket: BUCKET, ops: ['get'], prefix: 'p'.repeat(TOKEN_MAX_SIZE), expiry: T0 + 60 })), 'DDC_INVALID_ARGUMENT');
});

test('issueRootToken checks its inputs', async () => {
  assert.equal(await codeOf(() => issueRootToken({ signing: alice, delegation, audience: alice.publicKey, bucket: BUCKET, ops: ['get'], expiry: T0 })), 'DDC_INVALID_ARGUMENT');
  assert.equal(await codeOf(() => issueRootToken({ signing: ownerKey, delegation, audience: alice.publicKey, bucket: BUCKET, ops: ['read' as 'get'], expiry: T0 })), 'DDC_INVALID_ARGUMENT');
  assert.equal(await codeOf(() => issueRootToken({ signing: ownerKey, delegation, audience: alice.publicKey, bucket: -1, ops: ['get'], expiry: T0 })), 'DDC_INVALID_ARGUMENT');
  const bad = { ...delegation, expiry: delegation.expiry + 1 };
  assert.equal(await codeOf(() => issueRootToken({ signing: ownerKey, delegation: bad, audience: alice.publicKey, bucket: BUCKET, ops: ['get'], expiry: T0 })), 'DDC_SIGNATURE_INVALID');
  // Nonces make tokens unique.
  const a = issueRootToken({ signing: ownerKey, delegation, audience: alice.publicKey, bucket: BUCKET, ops: ['get'], expiry: T0 });
  const b = issueRootToken({ signing: ownerKey, delegation, audience: alice.publicKey, bucket: BUCKET, ops: ['get'], expiry: T0 });
  assert.notEqual(a.idHex, b.idHex);
});
