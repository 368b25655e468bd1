// EDEKs (HPKE to a reader's X25519 key) and Shamir groups: the checked-in vectors open, wrong
// keys and edits are refused, and the HPKE suite agrees with RFC 9180 and with an independent
// implementation written here from the RFC (node:crypto HMAC, OpenSSL X25519, Web Crypto AES).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHmac, createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
import { Aes128Gcm, CipherSuite, HkdfSha256 } from '@hpke/core';
import { DhkemX25519HkdfSha256 } from '@hpke/dhkem-x25519';
import {
  combineGroupShares, edekSuite, findEdekFor, fromHex, generateDek, generateObjectId, openEdek, openGroupShare, sealDek, sealDekToGroup, toHex,
  x25519PublicKey, type Edek, type GroupInfo,
} from '../src/index.js';
import { hasCode } from './crypto-helpers.js';

interface EdekJson { to: string; enc: string; ct: string; exp: number | null }
interface Rfc { info: string; ikmE: string; pkEm: string; skEm: string; ikmR: string; pkRm: string; skRm: string; enc: string; shared_secret: string; key_schedule_context: string; secret: string; key: string; base_nonce: string; encryptions: { seq: number; pt: string; aad: string; ct: string }[] }
const v = JSON.parse(readFileSync(new URL('../../test/vectors/edek.json', import.meta.url), 'utf8')) as {
  recipientSecret: string; recipientPublic: string; otherSecret: string; oid: string; dek: string;
  edek: EdekJson; group: { members: string[]; t: number; shares: EdekJson[] }; rfc9180_a1_1: Rfc;
};
const edekOf = (e: EdekJson): Edek => ({ to: fromHex(e.to), enc: fromHex(e.enc), ct: fromHex(e.ct), exp: e.exp });
const secret = fromHex(v.recipientSecret);
const oid = fromHex(v.oid);
const dek = fromHex(v.dek);
const edek = edekOf(v.edek);

test('x25519PublicKey matches the vector and OpenSSL', () => {
  assert.equal(toHex(x25519PublicKey(secret)), v.recipientPublic);
  assert.equal(toHex(opensslPublic(secret)), v.recipientPublic);
});

test('the checked-in EDEK opens to the DEK', async () => {
  assert.equal(v.edek.to, v.recipientPublic);
  assert.equal(edek.exp, 1893456000);
  assert.equal(toHex(await openEdek(edek, secret, oid)), v.dek);
});

test('a wrong key, another object id or an edited byte is DDC_EDEK_INVALID', async () => {
  await assert.rejects(openEdek(edek, fromHex(v.otherSecret), oid), hasCode('DDC_EDEK_INVALID'));
  await assert.rejects(openEdek(edek, secret, generateObjectId()), hasCode('DDC_EDEK_INVALID'));
  for (const field of ['enc', 'ct'] as const) {
    for (const pos of [0, edek[field].length - 1]) {
      const bad = { ...edek, [field]: edek[field].slice() };
      bad[field][pos]! ^= 0x80;
      await assert.rejects(openEdek(bad, secret, oid), hasCode('DDC_EDEK_INVALID'), `${field}[${pos}]`);
    }
  }
  await assert.rejects(openEdek({ ...edek, ct: edek.ct.subarray(0, 40) }, secret, oid), hasCode('DDC_EDEK_INVALID'));
  await assert.rejects(openEdek({ ...edek, enc: new Uint8Array(3) }, secret, oid), hasCode('DDC_EDEK_INVALID'));
});

test('sealDek / openEdek round trip; findEdekFor picks the reader\'s EDEK', async () => {
  const readers = [generateDek(), generateDek(), generateDek()]; // random 32-byte X25519 secrets
  const d = generateDek();
  const o = generateObjectId();
  const edeks = await Promise.all(readers.map((s, i) => sealDek(d, x25519PublicKey(s), o, i === 0 ? { expiresAt: 2000000000 } : {})));
  assert.equal(edeks[0]!.exp, 2000000000);
  assert.equal(edeks[1]!.exp, null);
  assert.equal(edeks[0]!.enc.length, 32);
  assert.equal(edeks[0]!.ct.length, 48);
  for (const s of readers) {
    const mine = findEdekFor(edeks, x25519PublicKey(s));
    assert.ok(mine);
    assert.deepEqual(await openEdek(mine, s, o), d);
  }
  assert.equal(findEdekFor(edeks, x25519PublicKey(generateDek())), undefined);
  // Each reader's EDEK opens only with that reader's key.
  await assert.rejects(openEdek(edeks[0]!, readers[1]!, o), hasCode('DDC_EDEK_INVALID'));
  // Two seals of one DEK differ (fresh ephemeral key each time).
  const again = await sealDek(d, x25519PublicKey(readers[0]!), o);
  assert.notDeepEqual(again.enc, edeks[0]!.enc);
});

test('sealDek refuses bad sizes', async () => {
  const pub = x25519PublicKey(secret);
  await assert.rejects(sealDek(new Uint8Array(31), pub, oid), hasCode('DDC_KEY_INVALID'));
  await assert.rejects(sealDek(dek, new Uint8Array(33), oid), hasCode('DDC_KEY_INVALID'));
  await assert.rejects(sealDek(dek, pub, new Uint8Array(15)), hasCode('DDC_INVALID_ARGUMENT'));
  await assert.rejects(sealDek(dek, new Uint8Array(32), oid), hasCode('DDC_KEY_INVALID')); // low-order point: DH is zero
  await assert.rejects(sealDek(dek, pub, oid, { expiresAt: -5 }), hasCode('DDC_INVALID_ARGUMENT'));
  assert.throws(() => x25519PublicKey(new Uint8Array(31)), hasCode('DDC_KEY_INVALID'));
});

// ---- RFC 9180 cross-checks ----

const rfc = v.rfc9180_a1_1;
const b = (h: string) => Buffer.from(h, 'hex');

/** X25519 through OpenSSL (node:crypto), independent of the JS code @hpke uses. */
function opensslPrivate(sk: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([b('302e020100300506032b656e04220420'), sk]), format: 'der', type: 'pkcs8' });
}
function opensslPublic(sk: Uint8Array): Uint8Array {
  return createPublicKey(opensslPrivate(sk)).export({ format: 'der', type: 'spki' }).subarray(-32);
}
function opensslDh(sk: Uint8Array, pk: Uint8Array): Uint8Array {
  const publicKey = createPublicKey({ key: Buffer.concat([b('302a300506032b656e032100'), pk]), format: 'der', type: 'spki' });
  return diffieHellman({ privateKey: opensslPrivate(sk), publicKey });
}

/** RFC 9180 base mode for DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and an AES-GCM of nk bytes, from the RFC's pseudocode. */
function referenceHpke(aeadId: number, nk: number) {
  const i2osp = (n: number, w: number) => { const o = Buffer.alloc(w); o.writeUIntBE(n, 0, w); return o; };
  const extract = (salt: Uint8Array, ikm: Uint8Array) => createHmac('sha256', salt).update(ikm).digest();
  const expand = (prk: Uint8Array, info: Uint8Array, l: number) => {
    let t = Buffer.alloc(0);
    const out: Buffer[] = [];
    for (let i = 1; out.reduce((n, x) => n + x.length, 0) < l; i++) {
      t = createHmac('sha256', prk).update(Buffer.concat([t, info, Buffer.from([i])])).digest();
      out.push(t);
    }
    return Buffer.concat(out).subarray(0, l);
  };
  const v1 = Buffer.from('HPKE-v1');
  const kemId = Buffer.concat([Buffer.from('KEM'), i2osp(0x20, 2)]);
  const hpkeId = Buffer.concat([Buffer.from('HPKE'), i2osp(0x20, 2), i2osp(1, 2), i2osp(aeadId, 2)]);
  const lExtract = (sid: Buffer, salt: Uint8Array, label: string, ikm: Uint8Array) => extract(salt, Buffer.concat([v1, sid, Buffer.from(label), ikm]));
  const lExpand = (sid: Buffer, prk: Uint8Array, label: string, info: Uint8Array, l: number) =>
    expand(prk, Buffer.concat([i2osp(l, 2), v1, sid, Buffer.from(label), info]), l);
  const empty = Buffer.alloc(0);
  const deriveSk = (ikm: Uint8Array) => lExpand(kemId, lExtract(kemId, empty, 'dkp_prk', ikm), 'sk', empty, 32);
  const sharedSecret = (dh: Uint8Array, enc: Uint8Array, pkR: Uint8Array) =>
    lExpand(kemId, lExtract(kemId, empty, 'eae_prk', dh), 'shared_secret', Buffer.concat([enc, pkR]), 32);
  const schedule = (ss: Uint8Array, info: Uint8Array) => {
    const context = Buffer.concat([Buffer.from([0]), lExtract(hpkeId, empty, 'psk_id_hash', empty), lExtract(hpkeId, empty, 'info_hash', info)]);
    const secret = lExtract(hpkeId, ss, 'secret', empty);
    return { context, secret, key: lExpand(hpkeId, secret, 'key', context, nk), baseNonce: lExpand(hpkeId, secret, 'base_nonce', context, 12) };
  };
  const aes = async (mode: 'encrypt' | 'decrypt', key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, data: Uint8Array) => {
    const k = await crypto.subtle.importKey('raw', key as Uint8Array<ArrayBuffer>, 'AES-GCM', false, [mode]);
    return new Uint8Array(await crypto.subtle[mode]({ name: 'AES-GCM', iv: nonce as Uint8Array<ArrayBuffer>, additionalData: aad as Uint8Array<ArrayBuffer> }, k, data as Uint8Array<ArrayBuffer>));
  };
  return {
    deriveSk,
    /** Sender side with a fixed ephemeral ikm. */
    async seal(ikmE: Uint8Array, pkR: Uint8Array, info: Uint8Array, pt: Uint8Array, aad: Uint8Array = empty) {
      const skE = deriveSk(ikmE);
      const enc = opensslPublic(skE);
      const ss = sharedSecret(opensslDh(skE, pkR), enc, pkR);
      const ks = schedule(ss, info);
      return { skE, enc, ss, ...ks, ct: await aes('encrypt', ks.key, ks.baseNonce, aad, pt) };
    },
    /** Recipient side, sequence number 0. */
    async open(skR: Uint8Array, enc: Uint8Array, info: Uint8Array, ct: Uint8Array, aad: Uint8Array = empty) {
      const pkR = opensslPublic(skR);
      const ks = schedule(sharedSecret(opensslDh(skR, enc), enc, pkR), info);
      return aes('decrypt', ks.key, ks.baseNonce, aad, ct);
    },
  };
}

test('RFC 9180 A.1.1: @hpke with DhkemX25519HkdfSha256 reproduces the published vector', async () => {
  const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes128Gcm() });
  const kp = await suite.kem.deriveKeyPair(b(rfc.ikmR));
  assert.equal(Buffer.from(await suite.kem.serializePrivateKey(kp.privateKey)).toString('hex'), rfc.skRm);
  assert.equal(Buffer.from(await suite.kem.serializePublicKey(kp.publicKey)).toString('hex'), rfc.pkRm);
  const sender = await suite.createSenderContext({ recipientPublicKey: kp.publicKey, info: b(rfc.info), ekm: b(rfc.ikmE) });
  assert.equal(Buffer.from(sender.enc).toString('hex'), rfc.enc);
  for (const e of rfc.encryptions) assert.equal(Buffer.from(await sender.seal(b(e.pt), b(e.aad))).toString('hex'), e.ct, `seq ${e.seq}`);
  const recipient = await suite.createRecipientContext({ recipientKey: kp.privateKey, enc: b(rfc.enc), info: b(rfc.info) });
  assert.equal(Buffer.from(await recipient.open(b(rfc.encryptions[0]!.ct), b(rfc.encryptions[0]!.aad))).toString('hex'), rfc.encryptions[0]!.pt);
});

test('RFC 9180 A.1.1: the independent reference reproduces every intermediate value', async () => {
  const ref = referenceHpke(1, 16);
  assert.equal(ref.deriveSk(b(rfc.ikmR)).toString('hex'), rfc.skRm);
  assert.equal(Buffer.from(opensslPublic(b(rfc.skRm))).toString('hex'), rfc.pkRm);
  const first = rfc.encryptions[0]!;
  const s = await ref.seal(b(rfc.ikmE), b(rfc.pkRm), b(rfc.info), b(first.pt), b(first.aad));
  assert.equal(s.skE.toString('hex'), rfc.skEm);
  assert.equal(Buffer.from(s.enc).toString('hex'), rfc.enc);
  assert.equal(s.ss.toString('hex'), rfc.shared_secret);
  assert.equal(s.context.toString('hex'), rfc.key_schedule_context);
  assert.equal(s.secret.toString('hex'), rfc.secret);
  assert.equal(s.key.toString('hex'), rfc.key);
  assert.equal(s.baseNonce.toString('hex'), rfc.base_nonce);
  assert.equal(Buffer.from(s.ct).toString('hex'), first.ct);
});

test('our suite (kem 0x0020, kdf 0x0001, aead 0x0002) equals the reference, which also opens sealDek output', async () => {
  // RFC 9180 publishes no vector for this exact suite; the reference above is checked on A.1.1.
  const ref = referenceHpke(2, 32);
  const suite = edekSuite();
  assert.equal(suite.kem.id, 0x0020);
  assert.equal(suite.kdf.id, 0x0001);
  assert.equal(suite.aead.id, 0x0002);
  const info = Buffer.concat([Buffer.from('ddc-edek-v1\0'), oid]);
  const pkR = x25519PublicKey(secret);
  // Same ephemeral ikm on both sides: identical enc and ciphertext.
  const ikmE = b(rfc.ikmE);
  const theirs = await ref.seal(ikmE, pkR, info, dek);
  const ours = await suite.seal({ recipientPublicKey: await suite.kem.deserializePublicKey(pkR), info, ekm: ikmE }, dek);
  assert.equal(Buffer.from(ours.enc).toString('hex'), Buffer.from(theirs.enc).toString('hex'));
  assert.equal(Buffer.from(ours.ct).toString('hex'), Buffer.from(theirs.ct).toString('hex'));
  // The checked-in EDEK and a fresh one open with the reference too.
  assert.equal(toHex(await ref.open(secret, edek.enc, info, edek.ct)), v.dek);
  const fresh = await sealDek(dek, pkR, oid);
  assert.equal(toHex(await ref.open(secret, fresh.enc, info, fresh.ct)), v.dek);
  // And our openEdek opens what the reference sealed.
  assert.equal(toHex(await openEdek({ to: pkR, enc: theirs.enc, ct: theirs.ct, exp: null }, secret, oid)), v.dek);
});

// ---- Groups ----

const group: GroupInfo = { t: v.group.t, shares: v.group.shares.map(edekOf) };
const members = v.group.members.map(fromHex);

test('group vector: any 2 of 3 members rebuild the DEK, 1 cannot', async () => {
  assert.equal(group.t, 2);
  const shares = await Promise.all(members.map((m) => openGroupShare(group, m, oid)));
  for (const [i, j] of [[0, 1], [0, 2], [1, 2], [2, 0]] as const) {
    assert.equal(toHex(await combineGroupShares([shares[i]!, shares[j]!], group.t)), v.dek, `members ${i}, ${j}`);
  }
  assert.equal(toHex(await combineGroupShares(shares, group.t)), v.dek);
  for (const s of shares) await assert.rejects(combineGroupShares([s], group.t), hasCode('DDC_GROUP_THRESHOLD'));
  await assert.rejects(combineGroupShares([shares[0]!, shares[0]!], group.t), hasCode('DDC_GROUP_THRESHOLD')); // one share twice
  await assert.rejects(combineGroupShares([], group.t), hasCode('DDC_GROUP_THRESHOLD'));
});

test('group: a non-member is not a reader; a member\'s share does not open as a plain EDEK', async () => {
  await assert.rejects(openGroupShare(group, fromHex(v.otherSecret), oid), hasCode('DDC_NOT_A_READER'));
  await assert.rejects(openGroupShare(group, members[0]!, generateObjectId()), hasCode('DDC_EDEK_INVALID'));
  await assert.rejects(openEdek(group.shares[0]!, members[0]!, oid), hasCode('DDC_EDEK_INVALID'));
});

test('group: fresh 2-of-3 and 3-of-5 round trips; bad thresholds refused', async () => {
  const d = generateDek();
  const o = generateObjectId();
  const five = Array.from({ length: 5 }, () => generateDek());
  const g5 = await sealDekToGroup(d, five.map((s) => x25519PublicKey(s)), 3, o);
  assert.equal(g5.shares.length, 5);
  const opened = await Promise.all(five.map((s) => openGroupShare(g5, s, o)));
  for (const subset of [[0, 1, 2], [0, 2, 4], [1, 3, 4], [4, 3, 2]]) {
    assert.deepEqual(await combineGroupShares(subset.map((i) => opened[i]!), 3), d);
  }
  await assert.rejects(combineGroupShares([opened[0]!, opened[1]!], 3), hasCode('DDC_GROUP_THRESHOLD'));
  // Two shares of a 3-of-5 group, combined as if t were 2, do not give the DEK.
  assert.notDeepEqual(await combineGroupShares([opened[0]!, opened[1]!], 2), d);
  const pubs = five.slice(0, 3).map((s) => x25519PublicKey(s));
  await assert.rejects(sealDekToGroup(d, pubs, 1, o), hasCode('DDC_GROUP_THRESHOLD'));
  await assert.rejects(sealDekToGroup(d, pubs, 4, o), hasCode('DDC_GROUP_THRESHOLD'));
  await assert.rejects(sealDekToGroup(d, pubs.slice(0, 1), 1, o), hasCode('DDC_GROUP_THRESHOLD'));
  await assert.rejects(sealDekToGroup(d, pubs, 2.5, o), hasCode('DDC_GROUP_THRESHOLD'));
  await assert.rejects(sealDekToGroup(d, [pubs[0]!, pubs[1]!, pubs[0]!], 2, o), hasCode('DDC_INVALID_ARGUMENT')); // one member twice
});
