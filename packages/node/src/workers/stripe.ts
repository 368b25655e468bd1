/**
 * Rebuilding shards of a stripe from any k verified siblings: the shared core of repair
 * (rebuild a home's missing shard) and scrub (rebuild this node's damaged copy).
 *
 * The header's roots list is authoritative: every source is verified against the root the
 * reference header lists for its index, and every rebuilt shard must hash to the root
 * listed for its own index (verifyShard with that id) before it is stored anywhere.
 */
import {
  DdcError, createErasureCoder, encodeShardHeader, toHex, verifyShard,
  type ErasureCoder, type ShardHeader, type VerifiedShard,
} from '@ddc/core';

export interface SourceCandidate {
  index: number;
  /** Where it comes from, for failure reports: a node id or 'local'. */
  from: string;
  load(signal?: AbortSignal): Promise<Uint8Array>;
}

export interface SourceFailure {
  index: number;
  from: string;
  error: DdcError;
}

export interface RebuiltShard {
  index: number;
  id: string;
  bytes: Uint8Array;
}

const coders = new Map<string, ErasureCoder>();
function coderFor(k: number, m: number): ErasureCoder {
  const key = `${k}/${m}`;
  let c = coders.get(key);
  if (!c) coders.set(key, (c = createErasureCoder(k, m)));
  return c;
}

export function asDdcError(e: unknown): DdcError {
  if (e instanceof DdcError) return e;
  return new DdcError('DDC_INTERNAL', e instanceof Error ? e.message : String(e), { cause: e });
}

/**
 * Loads verified shards from the candidates until `k` distinct indexes are in hand: `k`
 * loads at once, the next candidate started whenever one fails. `check` verifies the bytes
 * for the candidate's index (throwing if they are not the stripe's shard). Resolves with
 * what it got, possibly fewer than k when the candidates run out.
 */
export async function gatherShards(
  candidates: readonly SourceCandidate[],
  k: number,
  check: (bytes: Uint8Array, index: number) => VerifiedShard,
  signal?: AbortSignal,
  /** Shards already in hand and verified (the caller's own copy). */
  have: ReadonlyMap<number, VerifiedShard> = new Map(),
): Promise<{ shards: Map<number, VerifiedShard>; failures: SourceFailure[] }> {
  const shards = new Map<number, VerifiedShard>(have);
  const failures: SourceFailure[] = [];
  const queue = candidates.filter((c) => !shards.has(c.index));
  const claimed = new Set<number>(shards.keys());
  let inFlight = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (shards.size + inFlight >= k) return; // enough in hand or on the way
      signal?.throwIfAborted();
      const at = queue.findIndex((c) => !claimed.has(c.index));
      if (at < 0) return;
      const c = queue.splice(at, 1)[0]!;
      claimed.add(c.index);
      inFlight++;
      try {
        const bytes = await c.load(signal);
        shards.set(c.index, check(bytes, c.index));
      } catch (e) {
        if (signal?.aborted) throw e;
        claimed.delete(c.index); // another holder of this index may still serve it
        failures.push({ index: c.index, from: c.from, error: asDdcError(e) });
      } finally {
        inFlight--;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(0, k - shards.size) }, worker));
  return { shards, failures };
}

/** A verifier that accepts only the shard the reference header lists for an index. */
export function checkAgainst(reference: ShardHeader): (bytes: Uint8Array, index: number) => VerifiedShard {
  return (bytes, index) => {
    const root = reference.roots[index];
    if (!root) throw new DdcError('DDC_SHARD_MALFORMED', `index ${index} is outside the stripe`);
    return verifyShard(bytes, toHex(root));
  };
}

/**
 * Rebuilds the shards at `want` from at least k verified sources of the stripe described by
 * `reference` (k = 1: a copy; else Reed-Solomon), each one verified against its listed root.
 */
export function rebuildShards(reference: ShardHeader, sources: ReadonlyMap<number, VerifiedShard>, want: readonly number[]): RebuiltShard[] {
  const { k, m } = reference;
  if (sources.size < k) {
    throw new DdcError('DDC_PIECE_UNRECOVERABLE', `only ${sources.size} of the ${k} shards needed to rebuild the stripe could be read`, {
      hint: 'Bring the nodes holding its other shards back; the next pass retries',
      details: { have: [...sources.keys()], k, m },
    });
  }
  let payloads: readonly Uint8Array[];
  if (k === 1) {
    const one = sources.values().next().value!.payload;
    payloads = Array.from({ length: k + m }, () => one);
  } else {
    const slots: (Uint8Array | undefined)[] = Array.from({ length: k + m }, () => undefined);
    for (const [i, s] of sources) slots[i] = s.payload;
    payloads = coderFor(k, m).reconstruct(slots);
  }
  return want.map((index) => {
    const head = encodeShardHeader({ ...reference, index });
    const payload = payloads[index]!;
    const bytes = new Uint8Array(head.length + payload.length);
    bytes.set(head, 0);
    bytes.set(payload, head.length);
    const id = toHex(reference.roots[index]!);
    try {
      verifyShard(bytes, id);
    } catch (cause) {
      throw new DdcError('DDC_SHARD_ROOT_MISMATCH', `the rebuilt shard ${index} does not hash to the root its header lists`, {
        cause,
        hint: 'A source shard or the reference header is wrong; nothing was stored',
        details: { index, id },
      });
    }
    return { index, id, bytes };
  });
}
