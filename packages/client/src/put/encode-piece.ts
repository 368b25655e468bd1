/** Turns one piece (a DAG block) into its stripe of v1 shards. */
import { buildStripe, createErasureCoder, splitData, type CID, type EncodedShard, type StripeLayout } from '@ddc/core';

export function encodePiece(cid: CID, bytes: Uint8Array, layout: StripeLayout): EncodedShard[] {
  if (layout.replicated) {
    // m + 1 identical copies: the same array object lets buildStripe hash it once.
    return buildStripe(cid, bytes.length, 1, layout.m, new Array<Uint8Array>(layout.count).fill(bytes));
  }
  const data = splitData(bytes, layout.k);
  const parity = createErasureCoder(layout.k, layout.m).encode(data);
  return buildStripe(cid, bytes.length, layout.k, layout.m, [...data, ...parity]);
}
