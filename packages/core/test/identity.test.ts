// Ed25519 identities, signed challenge answers, header statements, evidence: golden vectors,
// properties (any flipped field breaks the signature) and fuzzing of every decoder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { create as digestOf } from 'multiformats/hashes/digest';
import {
  DdcError, MERKLE_LEAF_SIZE, agreeOnRoot, buildStripe, challengeAnswerToJson, challengeSigningBytes, checkChallengeAnswer, decodeKeyFile,
  decodeShardHeader, encodeKeyFile, fromHex, generateKeyPair, headerSigningBytes, headerStatementToJson, keyPairFromSecret, leafHashes,
  parseAuditEvidence, parseChallengeAnswer, parseHeaderStatement, parsePublicKeyHex, proofFromLeafHashes, sha256, signChallengeAnswer,
  signHeaderStatement, toHex, verifyAuditEvidence, verifyChallengeSignature, verifyEvidenceItem, verifyHeaderStatement, verifySignature,
  type ChallengeAnswer, type ChallengeAnswerJson, type EncodedShard, type Ed25519KeyPair, type EvidenceItem,
} from '../src/index.js';

interface Vectors {
  secretKey: string;
  publicKey: string;
  keyFile: string;
  piece: { length: number; cid: string; k: number; m: number; shardIndex: number };
  challenge: { answer: ChallengeAnswerJson; signingBytes: string; signature: string };
  headerStatement: { statement: Record<string, unknown>; signingBytes: string; signature: string };
}
const vectors = JSON.parse(readFileSync(new URL('../../test/vectors/identity/challenge-v1.json', import.meta.url), 'utf8')) as Vectors;

/** A stripe of real shards; `noisy` avoids the 256-byte period of the plain formula (equal leaves). */
function stripe(length: number, k: number, m: number, seed = 3, noisy = false): { shards: EncodedShard[]; cid: CID } {
  let x = seed + 1;
  const piece = Uint8Array.from({ length }, (_, i) => {
    if (!noisy) return (i * 7 + seed) & 0xff;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x & 0xff;
  });
  const cid = CID.createV1(raw.code, digestOf(0x12, sha256(piece)));
  const shardLength = Math.ceil(length / k);
  const payloads = Array.from({ length: k + m }, (_, i) => {
    const p = new Uint8Array(shardLength);
    if (k === 1) p.set(piece);
    else p.set(piece.subarray(i * shardLength, (i + 1) * shardLength));
    if (i >= k && k > 1) p.fill(i);
    return p;
  });
  return { shards: buildStripe(cid, length, k, m, payloads), cid };
}

function honestAnswer(shard: EncodedShard, leafIndex: number, key: Ed25519KeyPair, nodeId = 'node-1', nonce = new Uint8Array(0)): ChallengeAnswer {
  const headerLength = shard.bytes.length - shard.header.shardLength;
  const payload = shard.bytes.subarray(headerLength);
  const proof = proofFromLeafHashes(leafHashes(payload), leafIndex);
  return signChallengeAnswer({
    nodeId,
    shardId: fromHex(shard.id),
    leafIndex,
    leafCount: proof.leafCount,
    leaf: payload.subarray(leafIndex * MERKLE_LEAF_SIZE, Math.min(payload.length, (leafIndex + 1) * MERKLE_LEAF_SIZE)),
    proof: proof.siblings,
    header: shard.bytes.subarray(0, headerLength),
    time: 1_767_225_600_000,
    nonce,
  }, key);
}

const fieldsOf = (shard: EncodedShard) => {
  const { roots: _roots, ...fields } = shard.header;
  return fields;
};

test('Ed25519 matches RFC 8032 TEST 1 and the checked-in key file', () => {
  const key = keyPairFromSecret(fromHex(vectors.secretKey));
  assert.equal(toHex(key.publicKey), vectors.publicKey);
  const rfcSig = fromHex('e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b');
  assert.ok(verifySignature(rfcSig, new Uint8Array(0), key.publicKey));
  assert.equal(toHex(encodeKeyFile(key.secretKey)), vectors.keyFile);
  assert.equal(toHex(decodeKeyFile(fromHex(vectors.keyFile)).publicKey), vectors.publicKey);
});

test('golden challenge answer: fixed key and answer give the fixed signing bytes and signature', () => {
  const answer = parseChallengeAnswer(vectors.challenge.answer);
  assert.equal(toHex(challengeSigningBytes(answer)), vectors.challenge.signingBytes);
  assert.equal(toHex(answer.signature), vectors.challenge.signature);
  assert.ok(verifyChallengeSignature(answer));
  // Re-signing the same content gives the same bytes (Ed25519 is deterministic).
  const { v: _v, publicKey: _p, signature: _s, ...unsigned } = answer;
  const again = signChallengeAnswer(unsigned, keyPairFromSecret(fromHex(vectors.secretKey)));
  assert.equal(toHex(again.signature), vectors.challenge.signature);
  assert.deepEqual(challengeAnswerToJson(again), vectors.challenge.answer);
  // And the answer is correct for the stripe it came from.
  const { shards, cid } = stripe(vectors.piece.length, 1, 2);
  assert.equal(cid.toString(), vectors.piece.cid);
  const shard = shards[vectors.piece.shardIndex]!;
  assert.deepEqual(checkChallengeAnswer(answer, fromHex(shard.id), fieldsOf(shard)), { pass: true });
});

test('golden header statement', () => {
  const s = parseHeaderStatement(vectors.headerStatement.statement);
  assert.equal(toHex(headerSigningBytes(s)), vectors.headerStatement.signingBytes);
  assert.equal(toHex(s.signature), vectors.headerStatement.signature);
  assert.ok(verifyHeaderStatement(s));
  assert.deepEqual(headerStatementToJson(s), vectors.headerStatement.statement);
});

test('honest answers pass for every leaf of coded and replicated stripes, empty and partial leaves too', () => {
  const key = generateKeyPair();
  for (const [length, k, m] of [[0, 1, 2], [100, 1, 2], [100_000, 4, 2], [3 * MERKLE_LEAF_SIZE * 4 + 5, 4, 2], [MERKLE_LEAF_SIZE * 4, 4, 2]] as const) {
    const { shards } = stripe(length, k, m);
    for (const shard of shards) {
      const count = Math.max(1, Math.ceil(shard.header.shardLength / MERKLE_LEAF_SIZE));
      for (let j = 0; j < count; j++) {
        const a = honestAnswer(shard, j, key);
        assert.deepEqual(checkChallengeAnswer(a, fromHex(shard.id), fieldsOf(shard), { publicKey: key.publicKey, leafIndex: j, shardId: fromHex(shard.id), nonce: new Uint8Array(0) }), { pass: true }, `${length} ${k}+${m} #${shard.header.index} leaf ${j}`);
      }
    }
  }
});

test('wrong answers that are still signed fail with a reason and count as proof', () => {
  const key = generateKeyPair();
  const { shards } = stripe(200_000, 4, 2, 3, true);
  const shard = shards[1]!;
  const root = fromHex(shard.id);
  const fields = fieldsOf(shard);
  const resign = (a: ChallengeAnswer, patch: Partial<ChallengeAnswer>) => {
    const { v: _v, publicKey: _p, signature: _s, ...rest } = { ...a, ...patch };
    return signChallengeAnswer(rest, key);
  };
  const good = honestAnswer(shard, 0, key);
  const badLeaf = Uint8Array.from(good.leaf);
  badLeaf[7]! ^= 1;
  const badProof = good.proof.map((h) => Uint8Array.from(h));
  badProof[0]![0]! ^= 1;
  const cases: [Partial<ChallengeAnswer>, string][] = [
    [{ leaf: badLeaf }, 'root-mismatch'],
    [{ proof: badProof }, 'root-mismatch'],
    [{ proof: good.proof.slice(1) }, 'bad-proof'],
    [{ proof: [...good.proof, good.proof[0]!] }, 'bad-proof'],
    [{ leafCount: good.leafCount + 1 }, 'bad-leaf-count'],
    [{ leaf: good.leaf.subarray(1) }, 'bad-leaf-length'],
    [{ leafIndex: 1 }, 'root-mismatch'],
  ];
  for (const [patch, reason] of cases) {
    const v = checkChallengeAnswer(resign(good, patch), root, fields);
    assert.equal(v.pass, false, reason);
    if (!v.pass) {
      assert.equal(v.reason, reason, JSON.stringify(Object.keys(patch)));
      assert.equal(v.proven, true);
      assert.equal(v.signatureValid, true);
    }
  }
  // Not proof: unsigned edits, other keys, other requests, another shard.
  const edited = { ...good, leaf: badLeaf };
  const v1 = checkChallengeAnswer(edited, root, fields);
  assert.ok(!v1.pass && v1.reason === 'bad-signature' && !v1.proven && !v1.signatureValid);
  const v2 = checkChallengeAnswer(good, root, fields, { publicKey: generateKeyPair().publicKey });
  assert.ok(!v2.pass && v2.reason === 'wrong-key' && !v2.proven);
  const v3 = checkChallengeAnswer(good, root, fields, { nonce: new Uint8Array([1]) });
  assert.ok(!v3.pass && v3.reason === 'wrong-request' && !v3.proven);
  const v4 = checkChallengeAnswer(good, fromHex(shards[2]!.id), { ...fields, index: 2 });
  assert.ok(!v4.pass && v4.reason === 'not-agreed-shard' && !v4.proven);
});

test('property: flipping any bit of any signed field breaks the signature', () => {
  const key = generateKeyPair();
  const { shards } = stripe(100_000, 4, 2);
  const answer = honestAnswer(shards[0]!, 1, key, 'node-7', new Uint8Array([9, 9, 9]));
  const byteFields = ['publicKey', 'shardId', 'leaf', 'header', 'nonce', 'signature'] as const;
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 10 }), (pos, bit, which) => {
      const a: ChallengeAnswer = { ...answer, proof: answer.proof.map((h) => Uint8Array.from(h)) };
      if (which < byteFields.length) {
        const f = byteFields[which]!;
        const b = Uint8Array.from(a[f]);
        b[pos % b.length]! ^= 1 << bit;
        (a as unknown as Record<string, Uint8Array>)[f] = b;
      } else if (which === 6) a.proof[pos % a.proof.length]![pos % 32]! ^= 1 << bit;
      else if (which === 7) a.leafIndex ^= 1 << (bit % 4);
      else if (which === 8) a.leafCount += 1 + bit;
      else if (which === 9) a.time += 1 + pos;
      else a.nodeId = `node-${8 + bit}`;
      assert.equal(verifyChallengeSignature(a), false);
    }),
    { numRuns: 500 },
  );
  assert.ok(verifyChallengeSignature(answer));
});

test('property: JSON form round-trips; any edit of the JSON either fails to parse or fails the signature', () => {
  const key = generateKeyPair();
  const { shards } = stripe(40_000, 1, 2);
  const json = challengeAnswerToJson(honestAnswer(shards[2]!, 2, key, 'node-3', new Uint8Array(8).fill(5)));
  assert.deepEqual(challengeAnswerToJson(parseChallengeAnswer(JSON.parse(JSON.stringify(json)))), json);
  const keys = Object.keys(json) as (keyof ChallengeAnswerJson)[];
  fc.assert(
    fc.property(fc.constantFrom(...keys), fc.jsonValue(), (k, value) => {
      fc.pre(JSON.stringify(value) !== JSON.stringify(json[k]));
      const edited = { ...json, [k]: value };
      try {
        const a = parseChallengeAnswer(edited);
        assert.equal(verifyChallengeSignature(a), false, `edit of ${k} to ${JSON.stringify(value)} still verifies`);
      } catch (e) {
        assert.ok(e instanceof DdcError && e.code === 'DDC_PROOF_INVALID', String(e));
      }
    }),
    { numRuns: 400 },
  );
  // Non-canonical text forms are refused, not normalized.
  assert.throws(() => parseChallengeAnswer({ ...json, publicKey: json.publicKey.toUpperCase() }), /publicKey/);
  assert.throws(() => parseChallengeAnswer({ ...json, leaf: json.leaf.replace(/=+$/, '') }), /leaf/);
  assert.throws(() => parseChallengeAnswer({ ...json, nonce: '' }), /nonce/);
  assert.throws(() => parseChallengeAnswer({ ...json, extra: 1 }), /unknown key/);
  assert.throws(() => parseChallengeAnswer({ ...json, v: 2 }), /version/);
});

test('fuzz: the decoders take any JSON and answer with a typed error or a value', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      for (const parse of [parseChallengeAnswer, parseHeaderStatement, parseAuditEvidence]) {
        try {
          parse(value);
        } catch (e) {
          assert.ok(e instanceof DdcError, `${parse.name}: ${String(e)}`);
        }
      }
      const check = verifyEvidenceItem(value, 0);
      assert.equal(check.proven, false);
    }),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      try {
        decodeKeyFile(bytes);
        assert.fail('random bytes decoded as a key file');
      } catch (e) {
        assert.ok(e instanceof DdcError && e.code === 'DDC_KEY_INVALID');
      }
    }),
  );
});

test('key file: round trip, and damage is detected rather than yielding another identity', () => {
  const key = generateKeyPair();
  const file = encodeKeyFile(key.secretKey);
  assert.equal(file.length, 42);
  assert.deepEqual(decodeKeyFile(file).publicKey, key.publicKey);
  for (let i = 0; i < file.length; i++) {
    const bad = Uint8Array.from(file);
    bad[i]! ^= 0x10;
    assert.throws(() => decodeKeyFile(bad, 'identity.key'), (e: unknown) => e instanceof DdcError && e.code === 'DDC_KEY_INVALID' && /identity\.key/.test(e.message));
  }
  assert.throws(() => parsePublicKeyHex('00'.repeat(31)), /64 lowercase hex/);
  assert.equal(toHex(parsePublicKeyHex(toHex(key.publicKey))), toHex(key.publicKey));
});

test('agreement: the largest group of at least two wins; ties and lone votes decide nothing', () => {
  const a = stripe(100_000, 4, 2, 1).shards;
  const b = stripe(100_000, 4, 2, 2).shards; // same shape, other roots
  const vote = (nodeId: string, s: EncodedShard) => ({ nodeId, header: decodeShardHeader(s.bytes).header });
  const agreed = agreeOnRoot([vote('n1', a[1]!), vote('n2', a[2]!), vote('n3', b[3]!)], 0);
  assert.ok(agreed);
  assert.equal(toHex(agreed.root), a[0]!.id);
  assert.deepEqual(agreed.voters.sort(), ['n1', 'n2']);
  assert.deepEqual(agreed.dissenters, ['n3']);
  assert.equal(agreed.fields.index, 0);
  assert.equal(agreeOnRoot([vote('n1', a[1]!)], 0), undefined);
  assert.equal(agreeOnRoot([vote('n1', a[1]!), vote('n1', a[2]!)], 0), undefined, 'one vote per node');
  assert.equal(agreeOnRoot([vote('n1', a[1]!), vote('n2', a[2]!), vote('n3', b[1]!), vote('n4', b[2]!)], 0), undefined, 'a tie');
});

function evidenceFor(badPatch: (a: ChallengeAnswer) => Partial<ChallengeAnswer>) {
  const keys = new Map<string, Ed25519KeyPair>(['node-1', 'node-2', 'node-3', 'node-4'].map((id) => [id, generateKeyPair()]));
  const { shards, cid } = stripe(100_000, 4, 2);
  const liar = keys.get('node-1')!;
  const honest = honestAnswer(shards[0]!, 1, liar);
  const { v: _v, publicKey: _p, signature: _s, ...rest } = { ...honest, ...badPatch(honest) };
  const answer = signChallengeAnswer(rest, liar);
  const headers = ['node-2', 'node-3', 'node-4'].map((id, i) => {
    const s = shards[i + 1]!;
    return headerStatementToJson(signHeaderStatement({ nodeId: id, shardId: fromHex(s.id), header: s.bytes.subarray(0, s.bytes.length - s.header.shardLength), time: 1 }, keys.get(id)!));
  });
  const item: EvidenceItem = { nodeId: 'node-1', pieceCid: cid.toString(), index: 0, reason: 'root-mismatch', message: 'x', keySource: 'descriptor', answer: challengeAnswerToJson(answer), headers };
  const evidence = { format: 'ddc-audit-evidence', version: 1, createdAt: new Date(0).toISOString(), clusterId: 'test', items: [item] };
  return { evidence, item, keys: new Map([...keys].map(([id, k]) => [id, toHex(k.publicKey)])) };
}

test('evidence: a signed wrong answer with agreeing signed headers is proof; tampering is rejected', () => {
  const flip = (a: ChallengeAnswer) => {
    const leaf = Uint8Array.from(a.leaf);
    leaf[0]! ^= 0xff;
    return { leaf };
  };
  const { evidence, item, keys } = evidenceFor(flip);
  const report = verifyAuditEvidence(JSON.parse(JSON.stringify(evidence)), { keys });
  assert.equal(report.allProven, true, JSON.stringify(report.checks));
  assert.equal(report.checks[0]!.reason, 'root-mismatch');

  // An edited answer: its signature no longer verifies.
  const leafBytes = fromHex(toHex(parseChallengeAnswer(item.answer).leaf));
  leafBytes[1]! ^= 1;
  const tampered = { ...item, answer: { ...item.answer, leaf: Buffer.from(leafBytes).toString('base64') } };
  const t = verifyEvidenceItem(tampered, 0, { keys });
  assert.equal(t.proven, false);
  assert.equal(t.reason, 'bad-signature');
  assert.match(t.message, /altered/);
  // An edited header statement.
  const h0 = item.headers[0]!;
  const t2 = verifyEvidenceItem({ ...item, headers: [{ ...h0, time: h0.time + 1 }, ...item.headers.slice(1)] }, 0);
  assert.equal(t2.reason, 'bad-signature');
  // Too few headers to agree on anything.
  assert.equal(verifyEvidenceItem({ ...item, headers: item.headers.slice(0, 1) }, 0).reason, 'no-agreement');
  // Keys that are not the cluster's.
  const otherKeys = new Map(keys);
  otherKeys.set('node-1', toHex(generateKeyPair().publicKey));
  assert.equal(verifyEvidenceItem(item, 0, { keys: otherKeys }).reason, 'wrong-key');
  // Headers from the accused do not count.
  assert.equal(verifyEvidenceItem({ ...item, nodeId: 'node-2', answer: { ...item.answer, nodeId: 'node-2' } }, 0).proven, false);
  // Empty evidence proves nothing.
  assert.equal(verifyAuditEvidence({ ...evidence, items: [] }).allProven, false);
  assert.throws(() => verifyAuditEvidence({ ...evidence, format: 'other' }), (e: unknown) => e instanceof DdcError && e.code === 'DDC_EVIDENCE_INVALID');
});

test('evidence: a correct answer is not proof of anything', () => {
  const { evidence } = evidenceFor(() => ({}));
  const report = verifyAuditEvidence(evidence);
  assert.equal(report.allProven, false);
  assert.equal(report.checks[0]!.reason, 'answer-correct');
});
