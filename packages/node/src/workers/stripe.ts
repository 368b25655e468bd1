/**
 * Rebuilding shards of a stripe from any k verified siblings: the shared core of repair
 * (rebuild a home's missing shard) and scrub (rebuild this node's damaged copy).
 *
 * The header's roots list is authoritative: every rebuilt shard must hash to the root listed
 * for its own index (verifyShard with that id) before it is stored anywhere, and a source is
 * verified against the root listed for its index either up front (gatherShards with
 * checkAgainst: scrub) or, cheaper, only when a rebuilt shard fails (gatherAndRebuild: repair).
 */
import {
  DdcError, createErasureCoder, decodeShardHeader, encodeShardHeader, toHex, verifyShard,
  type ErasureCoder, type ShardHeader, type VerifiedShard,
} from '@ddc/core';

export interface SourceCandidate {
  index: number;
  /** Where it comes from, for failure reports: a node id or 'local'. */
  from: string;
  load(signal?: AbortSignal): Promise<Uint8Array>;
  /** Takes back loaded bytes that nothing reads any more (pooled memory), if the source reuses them. */
  release?(bytes: Uint8Array): void;
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
 * A cheap check for a source whose payload is trusted only once what it rebuilds verifies
 * (see gatherAndRebuild): a well-formed header of this stripe at this index, and the exact length.
 * The payload is not hashed.
 */
export function sameStripe(reference: ShardHeader): (bytes: Uint8Array, index: number) => VerifiedShard {
  const cid = reference.pieceCid.toString();
  return (bytes, index) => {
    const { header, headerLength: hl } = decodeShardHeader(bytes);
    if (header.index !== index || header.k !== reference.k || header.m !== reference.m || header.pieceLength !== reference.pieceLength || header.pieceCid.toString() !== cid) {
      throw new DdcError('DDC_SHARD_MALFORMED', `the shard served for index ${index} is shard ${header.index} of ${header.pieceCid} (k=${header.k}, m=${header.m}), not of this stripe`);
    }
    if (bytes.length !== hl + header.shardLength) {
      throw new DdcError('DDC_SHARD_MALFORMED', `the shard holds ${bytes.length - hl} bytes after its header but declares ${header.shardLength}`);
    }
    return { id: toHex(reference.roots[index]!), header, headerLength: hl, payload: bytes.subarray(hl) };
  };
}

/** What gatherAndRebuild got: the rebuilt shards, or the error that stopped it; and every source that failed. */
export interface RebuildOutcome {
  rebuilt: RebuiltShard[] | undefined;
  error: DdcError | undefined;
  failures: SourceFailure[];
  /** Whether k good sources were in hand (failures of sources replaced by others are then routine). */
  enough: boolean;
  /** Gives every source loaded so far back to its candidate; call once the rebuilt shards are all that is read. */
  releaseSources(): void;
}

/**
 * Gathers k sources and rebuilds `want`, optimistically: fetched sources get only the cheap
 * sameStripe check, and the rebuilt shards are verified against their roots (rebuildShards).
 * Every rebuilt shard depends on every source with a non-zero coefficient (Reed-Solomon is
 * MDS; k = 1 is a copy), so a rebuilt shard that verifies proves its sources' payloads right.
 * Only when it fails is each fetched source verified in full, the liars reported and replaced
 * by other candidates, and the rebuild done again. `have` holds shards already verified.
 * With `unchecked`, the rebuilt shards come back unhashed: for a caller that stores them where
 * they are verified on arrival (a home refuses a shard whose bytes do not hash to its id) and
 * calls again without it when one is refused. Rejects only when `signal` aborts.
 */
export async function gatherAndRebuild(
  reference: ShardHeader,
  candidates: readonly SourceCandidate[],
  have: ReadonlyMap<number, VerifiedShard>,
  want: readonly number[],
  signal?: AbortSignal,
  /** Memory for the rebuilt shards (pooled by the caller); fresh arrays by default. */
  alloc?: (size: number) => Uint8Array,
  unchecked = false,
): Promise<RebuildOutcome> {
  // Every load, also of a second holder of the same index, so that each is given back.
  const fetched: { candidate: SourceCandidate; index: number; bytes: Uint8Array }[] = [];
  const recorded = candidates.map((c): SourceCandidate => ({
    index: c.index,
    from: c.from,
    load: async (sig) => {
      const bytes = await c.load(sig);
      fetched.push({ candidate: c, index: c.index, bytes });
      return bytes;
    },
  }));
  const releaseSources = (): void => {
    for (const { candidate, bytes } of fetched.splice(0)) candidate.release?.(bytes);
  };
  const attempt = (shards: ReadonlyMap<number, VerifiedShard>, failures: SourceFailure[]): RebuildOutcome => {
    const enough = shards.size >= reference.k;
    try {
      return { rebuilt: rebuildShards(reference, shards, want, alloc, !unchecked), error: undefined, failures, enough, releaseSources };
    } catch (e) {
      return { rebuilt: undefined, error: asDdcError(e), failures, enough, releaseSources };
    }
  };
  try {
    const first = await gatherShards(recorded, reference.k, sameStripe(reference), signal, have);
    const optimistic = attempt(first.shards, first.failures);
    if (optimistic.error?.code !== 'DDC_SHARD_ROOT_MISMATCH') return optimistic;
    // A source lied: find it by verifying each one, then fill its place from the other candidates.
    signal?.throwIfAborted();
    const verify = checkAgainst(reference);
    const shards = new Map(first.shards);
    const failures = [...first.failures];
    const tried = new Set<SourceCandidate>();
    for (const { candidate, index, bytes } of fetched) {
      tried.add(candidate);
      if (!shards.has(index) || have.has(index)) continue;
      try {
        shards.set(index, verify(bytes, index));
      } catch (err) {
        shards.delete(index);
        failures.push({ index, from: candidate.from, error: asDdcError(err) });
      }
    }
    for (const f of first.failures) for (const c of candidates) if (c.index === f.index && c.from === f.from) tried.add(c);
    const rest = await gatherShards(recorded.filter((_, i) => !tried.has(candidates[i]!)), reference.k, verify, signal, shards);
    return attempt(rest.shards, [...failures, ...rest.failures]);
  } catch (e) {
    releaseSources(); // aborted: no outcome carries them back
    throw e;
  }
}

/**
 * Rebuilds the shards at `want` from at least k verified sources of the stripe described by
 * `reference` (k = 1: a copy; else Reed-Solomon), each one verified against its listed root
 * unless `verify` is false (for a caller whose destination verifies each one on arrival).
 */
export function rebuildShards(
  reference: ShardHeader,
  sources: ReadonlyMap<number, VerifiedShard>,
  want: readonly number[],
  alloc: (size: number) => Uint8Array = (size) => new Uint8Array(size),
  verify = true,
): RebuiltShard[] {
  const { k, m } = reference;
  if (sources.size < k) {
    throw new DdcError('DDC_PIECE_UNRECOVERABLE', `only ${sources.size} of the ${k} shards needed to rebuild the stripe could be read`, {
      hint: 'Bring the nodes holding its other shards back; the next pass retries',
      details: { have: [...sources.keys()], k, m },
    });
  }
  // Each rebuilt shard is its header then its payload, coded straight into place.
  const out = want.map((index) => {
    const head = encodeShardHeader({ ...reference, index });
    const bytes = alloc(head.length + reference.shardLength);
    bytes.set(head, 0);
    return { index, bytes, payload: bytes.subarray(head.length) };
  });
  const fromSources = out.filter((o) => sources.has(o.index));
  const toCode = out.filter((o) => !sources.has(o.index));
  for (const o of fromSources) o.payload.set(sources.get(o.index)!.payload);
  if (toCode.length > 0) {
    if (k === 1) {
      const one = sources.values().next().value!.payload;
      for (const o of toCode) o.payload.set(one);
    } else {
      const slots: (Uint8Array | undefined)[] = Array.from({ length: k + m }, () => undefined);
      for (const [i, s] of sources) slots[i] = s.payload;
      coderFor(k, m).reconstructInto(slots, toCode.map((o) => o.index), toCode.map((o) => o.payload));
    }
  }
  return out.map(({ index, bytes }) => {
    const id = toHex(reference.roots[index]!);
    if (!verify) return { index, id, bytes };
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
