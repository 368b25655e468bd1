/** Turns one piece (a DAG block) into its stripe of v1 shards. */
import { buildStripe, createErasureCoder, headerLength, sealStripe, shardLengthFor, type CID, type EncodedShard, type StripeLayout } from '@ddc/core';
import type { BufferPool } from '@ddc/core';

/**
 * A coded stripe is built in place (header space, then the payload, in buffers from `pool` or
 * new ones): the data is copied in once, parity is coded straight into its shards, and the
 * headers are written last. With a pool the caller gives the shards' `bytes` back when sent.
 */
export function encodePiece(cid: CID, bytes: Uint8Array, layout: StripeLayout, pool?: BufferPool): EncodedShard[] {
  if (layout.replicated) {
    // m + 1 identical copies: the same array object lets buildStripe hash it once.
    return buildStripe(cid, bytes.length, 1, layout.m, new Array<Uint8Array>(layout.count).fill(bytes));
  }
  const { k, m } = layout;
  const shardLength = shardLengthFor(bytes.length, k);
  const head = headerLength(cid.bytes.length, k, m);
  const buffers = Array.from({ length: k + m }, () => (pool ? pool.take(head + shardLength) : new Uint8Array(head + shardLength)));
  const payloads = buffers.map((b) => b.subarray(head));
  for (let i = 0; i < k; i++) {
    // klauspost's Split layout: consecutive slices, the tail zero-padded.
    const part = bytes.subarray(Math.min(i * shardLength, bytes.length), Math.min((i + 1) * shardLength, bytes.length));
    payloads[i]!.set(part);
    if (part.length < shardLength) payloads[i]!.fill(0, part.length);
  }
  createErasureCoder(k, m).encodeInto(payloads.slice(0, k), payloads.slice(k));
  return sealStripe(cid, bytes.length, k, m, buffers);
}
