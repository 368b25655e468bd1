// Writes challenge-v1.json: fixed key + fixed answer -> fixed signing bytes and signature.
// Run from the repo root after a build: node packages/core/test/vectors/identity/gen.mjs
// The vectors pin the v1 encoding: regenerate only when a new version is introduced.
import { writeFileSync } from 'node:fs';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { create as digestOf } from 'multiformats/hashes/digest';
import {
  buildStripe, keyPairFromSecret, fromHex, toHex, sha256, leafHashes, proofFromLeafHashes, MERKLE_LEAF_SIZE,
  signChallengeAnswer, challengeSigningBytes, challengeAnswerToJson, signHeaderStatement, headerSigningBytes, headerStatementToJson, encodeKeyFile,
} from '../../../dist/src/index.js';

// RFC 8032, section 7.1, TEST 1.
const secretKey = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
const key = keyPairFromSecret(secretKey);
const piece = Uint8Array.from({ length: 33_000 }, (_, i) => (i * 7 + 3) & 0xff);
const cid = CID.createV1(raw.code, digestOf(0x12, sha256(piece)));
const stripe = buildStripe(cid, piece.length, 1, 2, [piece, piece, piece]);
const shard = stripe[1];
const headerLength = shard.bytes.length - piece.length;
const payload = shard.bytes.subarray(headerLength);
const leafIndex = 2;
const proof = proofFromLeafHashes(leafHashes(payload), leafIndex);
const answer = signChallengeAnswer({
  nodeId: 'node-1',
  shardId: fromHex(shard.id),
  leafIndex,
  leafCount: proof.leafCount,
  leaf: payload.subarray(leafIndex * MERKLE_LEAF_SIZE, Math.min(payload.length, (leafIndex + 1) * MERKLE_LEAF_SIZE)),
  proof: proof.siblings,
  header: shard.bytes.subarray(0, headerLength),
  time: 1_767_225_600_000,
  nonce: Uint8Array.from({ length: 16 }, (_, i) => i),
}, key);
const statement = signHeaderStatement({ nodeId: 'node-2', shardId: fromHex(shard.id), header: shard.bytes.subarray(0, headerLength), time: 1_767_225_600_000 }, key);
const out = {
  comment: 'DDC identity vectors v1: Ed25519 key = RFC 8032 TEST 1; see packages/core/src/identity/*.ts for the encodings',
  secretKey: toHex(secretKey),
  publicKey: toHex(key.publicKey),
  keyFile: toHex(encodeKeyFile(secretKey)),
  piece: { length: piece.length, formula: '(i * 7 + 3) & 0xff', cid: cid.toString(), k: 1, m: 2, shardIndex: 1 },
  challenge: {
    answer: challengeAnswerToJson(answer),
    signingBytes: toHex(challengeSigningBytes(answer)),
    signature: toHex(answer.signature),
  },
  headerStatement: {
    statement: headerStatementToJson(statement),
    signingBytes: toHex(headerSigningBytes(statement)),
    signature: toHex(statement.signature),
  },
};
writeFileSync(new URL('./challenge-v1.json', import.meta.url), `${JSON.stringify(out, null, 2)}\n`);
console.log('wrote challenge-v1.json', out.challenge.signature);
