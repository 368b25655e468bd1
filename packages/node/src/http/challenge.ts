/**
 * Merkle challenge answers: leaf J of a shard's payload with its path, and the header, so a
 * verifier recomputes the payload root, then the shard root from the header fields, and
 * compares it with the id. Computed from the bytes on disk: a rotten shard yields an
 * answer that fails, which is the point.
 */
import { MERKLE_LEAF_SIZE, leafCount, leafHashes, proofFromLeafHashes, toHex } from '@ddc/core';
import { invalidArgument, shardNotFound } from '../errors.js';
import type { NodeContext } from './context.js';

export interface ChallengeAnswer {
  id: string;
  leafIndex: number;
  leafCount: number;
  /** base64 */
  leaf: string;
  /** Sibling hashes from the leaf up, hex. */
  proof: string[];
  /** base64 of the shard header. */
  header: string;
}

export async function answerChallenge(ctx: NodeContext, id: string, leafIndex: number): Promise<ChallengeAnswer> {
  const meta = ctx.store.meta(id);
  if (!meta) throw shardNotFound(id);
  const count = leafCount(meta.length - meta.headerLength);
  if (leafIndex >= count) throw invalidArgument(`leaf ${leafIndex} is outside 0..${count - 1}`, `Shard ${id} has ${count} leaves of ${MERKLE_LEAF_SIZE} bytes`);
  const bytes = await ctx.store.readShard(id, meta);
  const header = bytes.subarray(0, meta.headerLength);
  const payload = bytes.subarray(meta.headerLength);
  const proof = proofFromLeafHashes(leafHashes(payload), leafIndex);
  let leaf = payload.subarray(leafIndex * MERKLE_LEAF_SIZE, Math.min(payload.length, (leafIndex + 1) * MERKLE_LEAF_SIZE));
  if (ctx.config.faults?.corruptReads && leaf.length > 0) {
    leaf = Uint8Array.from(leaf);
    leaf[leaf.length >> 1]! ^= 0xff; // TEST-ONLY: a lying node
  }
  return {
    id,
    leafIndex,
    leafCount: proof.leafCount,
    leaf: Buffer.from(leaf.buffer, leaf.byteOffset, leaf.length).toString('base64'),
    proof: proof.siblings.map(toHex),
    header: Buffer.from(header.buffer, header.byteOffset, header.length).toString('base64'),
  };
}
