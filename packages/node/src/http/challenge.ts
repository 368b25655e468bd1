/**
 * Merkle challenge answers: leaf J of a shard's payload with its path, and the header, so a
 * verifier recomputes the payload root, then the shard root from the header fields, and
 * compares it with the id. Computed from the bytes on disk: a rotten shard yields an
 * answer that fails, which is the point.
 *
 * Every answer is signed with the node's identity key (a v1 challenge answer, core's
 * identity/challenge.ts), with the time and the auditor's nonce if one was sent, so a
 * wrong answer is evidence against this node that anyone can check.
 */
import { MERKLE_LEAF_SIZE, challengeAnswerToJson, fromHex, leafCount, leafHashes, proofFromLeafHashes, signChallengeAnswer, type ChallengeAnswerJson } from '@ddc/core';
import { invalidArgument, shardNotFound } from '../errors.js';
import type { NodeContext } from './context.js';
import { identityOf } from './identity.js';

/**
 * `{"v":1,"id","nodeId","publicKey","leafIndex","leafCount","leaf":base64,"proof":[hex],
 *   "header":base64,"time","nonce"?:hex,"signature":hex}`
 */
export type ChallengeAnswer = ChallengeAnswerJson;

export async function answerChallenge(ctx: NodeContext, id: string, leafIndex: number, nonce = ''): Promise<ChallengeAnswer> {
  const meta = ctx.store.meta(id);
  if (!meta) throw shardNotFound(id);
  const count = leafCount(meta.length - meta.headerLength);
  if (leafIndex >= count) throw invalidArgument(`leaf ${leafIndex} is outside 0..${count - 1}`, `Shard ${id} has ${count} leaves of ${MERKLE_LEAF_SIZE} bytes`);
  const identity = identityOf(ctx);
  const bytes = await ctx.store.readShard(id, meta);
  const header = bytes.subarray(0, meta.headerLength);
  const payload = bytes.subarray(meta.headerLength);
  const proof = proofFromLeafHashes(leafHashes(payload), leafIndex);
  let leaf = payload.subarray(leafIndex * MERKLE_LEAF_SIZE, Math.min(payload.length, (leafIndex + 1) * MERKLE_LEAF_SIZE));
  let siblings = proof.siblings;
  const faults = ctx.config.faults;
  if (faults?.corruptReads && leaf.length > 0) {
    leaf = Uint8Array.from(leaf);
    leaf[leaf.length >> 1]! ^= 0xff; // TEST-ONLY: a lying node
  }
  if (faults?.badProofs) {
    // TEST-ONLY: a wrong proof, signed all the same, so audits catch it with evidence.
    if (siblings.length > 0) {
      siblings = siblings.map((h) => Uint8Array.from(h));
      siblings[0]![0]! ^= 0x01;
    } else if (leaf.length > 0) {
      leaf = Uint8Array.from(leaf);
      leaf[0]! ^= 0x01;
    } else {
      leaf = new Uint8Array([0]);
    }
  }
  const answer = signChallengeAnswer(
    { nodeId: ctx.config.id, shardId: fromHex(id), leafIndex, leafCount: proof.leafCount, leaf, proof: siblings, header, time: Date.now(), nonce: fromHex(nonce) },
    identity.keyPair,
  );
  return challengeAnswerToJson(answer);
}
