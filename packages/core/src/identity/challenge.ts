/**
 * Signed challenge answers, version 1. A node asked for leaf j of shard X answers with the
 * leaf, its Merkle path, the shard's header, the time and the auditor's nonce, and signs
 * them with its Ed25519 identity key. A wrong answer is then evidence a third party can
 * check: the node said it, and it does not hash to the root the stripe's headers agree on.
 *
 * The signature covers this message (integers big-endian), nothing else:
 *
 *   "DDC-CHALLENGE-v1"          16 bytes, ASCII (domain separation)
 *   u8   version = 1
 *   u8   n, node id (n bytes, UTF-8)
 *   32   public key
 *   32   shard id (the shard root)
 *   u32  leaf index
 *   u32  leaf count
 *   u32  leaf length
 *   32   SHA-256(leaf bytes)
 *   u8   p, proof: p sibling hashes of 32 bytes, from the leaf up
 *   u32  header length
 *   32   SHA-256(header bytes)
 *   u64  time, ms since the Unix epoch
 *   u8   q, nonce (q <= 64 bytes; 0 when the auditor sent none)
 *
 * The JSON form (the node's answer and the evidence files) is
 *   {"v":1,"id","nodeId","publicKey","leafIndex","leafCount","leaf":base64,"proof":[hex],
 *    "header":base64,"time","nonce"?:hex,"signature":hex}
 * with canonical padded base64 and lowercase hex; unknown keys are refused.
 */
import { DdcError } from '../errors.js';
import { sha256 } from '../hash.js';
import { equalBytes, textEncoder, toHex } from '../bytes.js';
import { MERKLE_LEAF_SIZE, leafCount as leafCountOf, rootFromProof } from '../merkle.js';
import { ROOT_SIZE, shardRoot, type ShardHeader } from '../shard.js';
import { PUBLIC_KEY_SIZE, SIGNATURE_SIZE, signBytes, verifySignature, type Ed25519KeyPair } from './keys.js';
import { ByteWriter, NODE_ID_PATTERN, decodeBase64Strict, decodeHexStrict, encodeBase64, intIn, isRecord } from './wire.js';

export const CHALLENGE_ANSWER_VERSION = 1;
export const CHALLENGE_DOMAIN = 'DDC-CHALLENGE-v1';
export const MAX_NONCE_SIZE = 64;
/** A v1 leaf count is at most 2^32 - 1, so a path has at most 32 hashes. */
export const MAX_PROOF_HASHES = 32;
/** The largest v1 header: 20 fixed bytes, a CID of up to 65535 bytes, 256 roots, 8 checksum bytes. */
export const MAX_HEADER_SIZE = 20 + 65_535 + ROOT_SIZE * 256 + 8;

export interface ChallengeAnswer {
  v: 1;
  nodeId: string;
  publicKey: Uint8Array;
  /** The shard root the answer is about (the shard id). */
  shardId: Uint8Array;
  leafIndex: number;
  leafCount: number;
  leaf: Uint8Array;
  /** Sibling hashes from the leaf up to the root. */
  proof: Uint8Array[];
  /** The shard's header as the node holds it. */
  header: Uint8Array;
  /** Milliseconds since the Unix epoch, by the node's clock. */
  time: number;
  /** The auditor's nonce, echoed (empty when none was sent). */
  nonce: Uint8Array;
  signature: Uint8Array;
}

export type UnsignedChallengeAnswer = Omit<ChallengeAnswer, 'v' | 'publicKey' | 'signature'>;

export interface ChallengeAnswerJson {
  v: 1;
  id: string;
  nodeId: string;
  publicKey: string;
  leafIndex: number;
  leafCount: number;
  leaf: string;
  proof: string[];
  header: string;
  time: number;
  nonce?: string;
  signature: string;
}

function malformed(what: string): DdcError {
  return new DdcError('DDC_PROOF_INVALID', `malformed challenge answer: ${what}`, { hint: 'The answer was not produced by a DDC v1 node, or it was edited' });
}

function checkShape(a: Omit<ChallengeAnswer, 'signature'>): void {
  if (a.v !== CHALLENGE_ANSWER_VERSION) throw malformed(`version ${String(a.v)} (this build reads ${CHALLENGE_ANSWER_VERSION})`);
  if (!NODE_ID_PATTERN.test(a.nodeId)) throw malformed(`node id ${JSON.stringify(a.nodeId).slice(0, 80)}`);
  if (a.publicKey.length !== PUBLIC_KEY_SIZE) throw malformed('the public key is not 32 bytes');
  if (a.shardId.length !== ROOT_SIZE) throw malformed('the shard id is not 32 bytes');
  if (intIn(a.leafCount, 1, 0xffff_ffff) === undefined) throw malformed(`leaf count ${a.leafCount}`);
  if (intIn(a.leafIndex, 0, 0xffff_ffff) === undefined) throw malformed(`leaf index ${a.leafIndex}`);
  if (a.leaf.length > MERKLE_LEAF_SIZE) throw malformed(`a ${a.leaf.length}-byte leaf (leaves are at most ${MERKLE_LEAF_SIZE})`);
  if (a.proof.length > MAX_PROOF_HASHES || a.proof.some((h) => h.length !== ROOT_SIZE)) throw malformed(`the proof must be at most ${MAX_PROOF_HASHES} hashes of 32 bytes`);
  if (a.header.length > MAX_HEADER_SIZE) throw malformed('the header is too long');
  if (intIn(a.time, 0, Number.MAX_SAFE_INTEGER) === undefined) throw malformed(`time ${a.time}`);
  if (a.nonce.length > MAX_NONCE_SIZE) throw malformed(`the nonce is over ${MAX_NONCE_SIZE} bytes`);
}

/** The exact bytes the signature covers (see the module comment). */
export function challengeSigningBytes(a: Omit<ChallengeAnswer, 'signature'>): Uint8Array {
  checkShape(a);
  const w = new ByteWriter()
    .ascii(CHALLENGE_DOMAIN)
    .u8(a.v)
    .short(textEncoder.encode(a.nodeId))
    .bytes(a.publicKey)
    .bytes(a.shardId)
    .u32(a.leafIndex)
    .u32(a.leafCount)
    .u32(a.leaf.length)
    .bytes(sha256(a.leaf))
    .u8(a.proof.length);
  for (const h of a.proof) w.bytes(h);
  return w.u32(a.header.length).bytes(sha256(a.header)).u64(a.time).short(a.nonce).finish();
}

export function signChallengeAnswer(unsigned: UnsignedChallengeAnswer, key: Ed25519KeyPair): ChallengeAnswer {
  const body = { v: CHALLENGE_ANSWER_VERSION, ...unsigned, publicKey: key.publicKey } as const;
  return { ...body, signature: signBytes(challengeSigningBytes(body), key.secretKey) };
}

/** True iff the answer is well-formed and signed by the public key it names. Never throws. */
export function verifyChallengeSignature(a: ChallengeAnswer): boolean {
  let message: Uint8Array;
  try {
    message = challengeSigningBytes(a);
  } catch {
    return false;
  }
  return verifySignature(a.signature, message, a.publicKey);
}

export function challengeAnswerToJson(a: ChallengeAnswer): ChallengeAnswerJson {
  const json: ChallengeAnswerJson = {
    v: a.v,
    id: toHex(a.shardId),
    nodeId: a.nodeId,
    publicKey: toHex(a.publicKey),
    leafIndex: a.leafIndex,
    leafCount: a.leafCount,
    leaf: encodeBase64(a.leaf),
    proof: a.proof.map(toHex),
    header: encodeBase64(a.header),
    time: a.time,
    signature: toHex(a.signature),
  };
  if (a.nonce.length > 0) json.nonce = toHex(a.nonce);
  return json;
}

const JSON_KEYS = ['v', 'id', 'nodeId', 'publicKey', 'leafIndex', 'leafCount', 'leaf', 'proof', 'header', 'time', 'nonce', 'signature'];

/**
 * Strictly parses the JSON form (from a node or an evidence file). Checks the shape only:
 * call verifyChallengeSignature / checkChallengeAnswer for what it proves.
 * Throws DDC_PROOF_INVALID on anything malformed.
 */
export function parseChallengeAnswer(input: unknown): ChallengeAnswer {
  if (!isRecord(input)) throw malformed('not a JSON object');
  for (const key of Object.keys(input)) if (!JSON_KEYS.includes(key)) throw malformed(`unknown key ${JSON.stringify(key).slice(0, 80)}`);
  if (input.v !== CHALLENGE_ANSWER_VERSION) throw malformed(`version ${JSON.stringify(input.v)?.slice(0, 20)} (this build reads ${CHALLENGE_ANSWER_VERSION})`);
  const field = <T>(name: string, value: T | undefined): T => {
    if (value === undefined) throw malformed(`field "${name}" is missing or not in its canonical form`);
    return value;
  };
  const nodeId = field('nodeId', typeof input.nodeId === 'string' && NODE_ID_PATTERN.test(input.nodeId) ? input.nodeId : undefined);
  if (!Array.isArray(input.proof) || input.proof.length > MAX_PROOF_HASHES) throw malformed(`field "proof" must be an array of at most ${MAX_PROOF_HASHES} hashes`);
  const answer: ChallengeAnswer = {
    v: CHALLENGE_ANSWER_VERSION,
    nodeId,
    publicKey: field('publicKey', decodeHexStrict(input.publicKey, PUBLIC_KEY_SIZE)),
    shardId: field('id', decodeHexStrict(input.id, ROOT_SIZE)),
    leafIndex: field('leafIndex', intIn(input.leafIndex, 0, 0xffff_ffff)),
    leafCount: field('leafCount', intIn(input.leafCount, 1, 0xffff_ffff)),
    leaf: field('leaf', decodeBase64Strict(input.leaf, MERKLE_LEAF_SIZE)),
    proof: (input.proof as unknown[]).map((h, i) => field(`proof[${i}]`, decodeHexStrict(h, ROOT_SIZE))),
    header: field('header', decodeBase64Strict(input.header, MAX_HEADER_SIZE)),
    time: field('time', intIn(input.time, 0, Number.MAX_SAFE_INTEGER)),
    nonce: input.nonce === undefined ? new Uint8Array(0) : field('nonce', decodeHexStrict(input.nonce, MAX_NONCE_SIZE, true)),
    signature: field('signature', decodeHexStrict(input.signature, SIGNATURE_SIZE)),
  };
  // "nonce": "" would be a second text form of "no nonce".
  if (input.nonce !== undefined && answer.nonce.length === 0) throw malformed('an empty nonce is written by leaving "nonce" out');
  checkShape(answer);
  return answer;
}

/** The fixed header fields that, with the payload's Merkle root, make a shard's root. */
export type ShardHeaderFields = Omit<ShardHeader, 'roots'>;

export type ChallengeFailReason =
  /** The signature does not verify under the key the answer names. */
  | 'bad-signature'
  /** Validly signed, but by a key that is not the node's. */
  | 'wrong-key'
  /** Validly signed, but about another shard, leaf or nonce than was asked. */
  | 'wrong-request'
  /** The answer is about a shard whose root is not the one the stripe's headers agree on. */
  | 'not-agreed-shard'
  /** The leaf count does not match the shard length. */
  | 'bad-leaf-count'
  /** The leaf has the wrong length for its index. */
  | 'bad-leaf-length'
  /** The proof has the wrong number of hashes for the leaf's position. */
  | 'bad-proof'
  /** Leaf and proof hash to another root than the agreed one. */
  | 'root-mismatch';

export type ChallengeVerdict =
  | { pass: true }
  | {
      pass: false;
      reason: ChallengeFailReason;
      message: string;
      signatureValid: boolean;
      /** True when the signed answer itself proves the node answered wrongly (evidence). */
      proven: boolean;
    };

export interface ChallengeExpectations {
  /** The node's public key as the cluster knows it. */
  publicKey?: Uint8Array;
  /** What was asked. */
  shardId?: Uint8Array;
  leafIndex?: number;
  nonce?: Uint8Array;
}

/** Bytes in leaf `index` of a payload of `length` bytes (an empty payload has one empty leaf). */
export function leafLengthAt(length: number, index: number): number {
  return Math.max(0, Math.min(MERKLE_LEAF_SIZE, length - index * MERKLE_LEAF_SIZE));
}

/**
 * Judges an answer: signature, then (if `expect` is given) that it answers what was asked,
 * then that leaf + proof, bound to `fields` (the header fields with the challenged index),
 * make `expectedRoot`, the root the stripe's headers agree on for that index.
 */
export function checkChallengeAnswer(answer: ChallengeAnswer, expectedRoot: Uint8Array, fields: ShardHeaderFields, expect: ChallengeExpectations = {}): ChallengeVerdict {
  const fail = (reason: ChallengeFailReason, message: string, proven: boolean, signatureValid = true): ChallengeVerdict => ({ pass: false, reason, message, signatureValid, proven });
  if (!verifyChallengeSignature(answer)) return fail('bad-signature', 'the signature does not verify under the public key in the answer (the answer was altered or not signed by that key)', false, false);
  if (expect.publicKey && !equalBytes(expect.publicKey, answer.publicKey)) {
    return fail('wrong-key', `signed by ${toHex(answer.publicKey)}, which is not the node's key ${toHex(expect.publicKey)}`, false);
  }
  if (expect.shardId && !equalBytes(expect.shardId, answer.shardId)) return fail('wrong-request', `the answer is about shard ${toHex(answer.shardId)}, not the shard asked for`, false);
  if (expect.leafIndex !== undefined && expect.leafIndex !== answer.leafIndex) return fail('wrong-request', `the answer is about leaf ${answer.leafIndex}, not leaf ${expect.leafIndex}`, false);
  if (expect.nonce && !equalBytes(expect.nonce, answer.nonce)) return fail('wrong-request', 'the answer does not echo the nonce sent (a replayed answer?)', false);
  if (!equalBytes(answer.shardId, expectedRoot)) {
    return fail('not-agreed-shard', `the answer is about shard ${toHex(answer.shardId)}, but the stripe's headers agree on ${toHex(expectedRoot)} for index ${fields.index}`, false);
  }
  const count = leafCountOf(fields.shardLength);
  if (answer.leafCount !== count) return fail('bad-leaf-count', `the answer claims ${answer.leafCount} leaves; a ${fields.shardLength}-byte shard has ${count}`, true);
  if (answer.leafIndex >= count) return fail('bad-proof', `leaf ${answer.leafIndex} is outside the shard's ${count} leaves`, true);
  const wantLength = leafLengthAt(fields.shardLength, answer.leafIndex);
  if (answer.leaf.length !== wantLength) return fail('bad-leaf-length', `leaf ${answer.leafIndex} has ${answer.leaf.length} bytes; it should have ${wantLength}`, true);
  let payloadRoot: Uint8Array;
  try {
    payloadRoot = rootFromProof(answer.leaf, { leafIndex: answer.leafIndex, leafCount: answer.leafCount, siblings: answer.proof });
  } catch (e) {
    return fail('bad-proof', `the proof is malformed: ${e instanceof Error ? e.message : String(e)}`, true);
  }
  const root = shardRoot(fields, payloadRoot);
  if (!equalBytes(root, expectedRoot)) {
    return fail('root-mismatch', `leaf ${answer.leafIndex} and its proof hash to ${toHex(root)}, not to the agreed root ${toHex(expectedRoot)}`, true);
  }
  return { pass: true };
}
