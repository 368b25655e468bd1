/**
 * Fetches one piece and returns its bytes only once they hash to its CID.
 *
 * Data shards first (no decoding needed); parity when a node is down, slow (no answer
 * within `hedgeAfterMs`), missing the shard, or answers with bytes that fail
 * verification. Headers are grouped by their stripe fields and roots (multi-node
 * comparison), and a group of k agreeing shards is decoded and checked against the CID.
 * Each shard is hashed against its header's root only when that is needed: before
 * decoding with parity, or to find the bad shard when the piece fails its CID (k data
 * shards that join into the CID's bytes are right, whatever their roots say, and hashing
 * them again would double the read's hashing). A lying node's group fails and the next one is
 * tried, until every home has been asked. Then, once, every member is asked what it holds
 * of the piece: while shards move after a membership change (or after a degraded write),
 * a shard may sit on a member that is not its home, or under another index.
 */
import {
  DdcError, SHA2_256_CODE, createErasureCoder, dataParts, decodeShardHeader, equalBytes, joinData, placeStripe, stripeLayout, toHex, verifyBlock, verifyShard,
  type CID, type ClusterNode, type ShardHeader,
} from '@ddc/core';
import type { Transport } from '../transport/types.js';
import type { ShardReadBatcher } from './shard-batcher.js';
import type { BufferPool } from '@ddc/core';
import type { NodeHealth } from '../node-health.js';
import type { ClusterView } from '../membership.js';
import type { PieceHasher } from './piece-hasher.js';

export interface PieceFetchContext {
  transport: Transport;
  health: NodeHealth;
  hedgeAfterMs: number;
  signal?: AbortSignal;
  /** Where a coded piece is joined (the reader gives pieces back once consumed); a new array otherwise. */
  piecePool?: BufferPool;
  /** Coalesces small shard reads to one node into batch requests. */
  batcher?: ShardReadBatcher;
  /** Checks a piece's data shards against its CID on another thread while this one joins them. */
  hasher?: PieceHasher;
}

/** Shards up to this size are read through the batcher (a 4 KiB object's replica, a dag-pb node); larger ones alone. */
const BATCHED_SHARD_MAX = 64 * 1024;

interface Attempt {
  index: number;
  node: ClusterNode;
  outcome?: string;
}

interface Received {
  header: ShardHeader;
  payload: Uint8Array;
  bytes: Uint8Array;
  attempt: Attempt;
  /** Its bytes hash to its header's root (checked only when needed). */
  checked: boolean;
}

/** The reason requests still running when a piece is settled are cancelled with. */
const SETTLED = new DdcError('DDC_ABORTED', 'the piece was already read or given up');

function stripeKey(h: ShardHeader): string {
  return `${h.k}/${h.m}/${h.pieceLength}/${h.roots.map(toHex).join('')}`;
}

export async function fetchPiece(cid: CID, view: ClusterView, ctx: PieceFetchContext, expectedLength?: number): Promise<Uint8Array> {
  const width = view.k + view.m;
  const known = expectedLength === undefined ? undefined : stripeLayout(expectedLength, view);
  // Ask healthy homes first, data shards before parity; a layout we do not yet know
  // (pieces of unknown length) is learnt from the first good header.
  // Placement is prefix-consistent, so only the homes asked first are placed up front (a
  // small read asks one node; placing all k + m costs three times the hashes); the rest
  // are placed when a shard fails, a hedge fires or the layout turns out wider.
  const byHealth = (a: { index: number; node: ClusterNode }, b: { index: number; node: ClusterNode }) =>
    Number(!ctx.health.isHealthy(a.node.id)) - Number(!ctx.health.isHealthy(b.node.id)) || a.index - b.index;
  const first = Math.min(width, known ? known.k : 1);
  let order = placeStripe(cid.bytes, view.nodes, first).map((node, index) => ({ index, node }));
  let placed = first === width;
  const placeAll = (): boolean => {
    if (placed) return false;
    placed = true;
    const rest = placeStripe(cid.bytes, view.nodes, width).map((node, index) => ({ index, node })).slice(first);
    order.push(...rest.sort(byHealth));
    return rest.length > 0;
  };
  if (!order.every((o) => ctx.health.isHealthy(o.node.id))) {
    placeAll();
    order = order.sort(byHealth);
  }

  // A piece of unknown length is asked for through the batcher too: its first shard is at most a 1 MiB leaf's quarter.
  const batcher = ctx.batcher && (!known || known.replicated || (expectedLength ?? 0) / known.k <= BATCHED_SHARD_MAX) ? ctx.batcher : undefined;

  // Cancels the requests still running once the piece is settled. Made only for requests that can be
  // cancelled: batched reads take the caller's signal alone (an AbortController per 4 KiB read costs as much as its hash).
  let controller: AbortController | undefined;
  const cancellable = () => (controller ??= new AbortController()).signal;
  const onOuterAbort = () => controller?.abort(ctx.signal?.reason);
  ctx.signal?.addEventListener('abort', onOuterAbort, { once: true });

  return new Promise<Uint8Array>((resolve, reject) => {
    const attempts: Attempt[] = [];
    const groups = new Map<string, Received[]>();
    const failedGroups = new Set<string>();
    let next = 0;
    let inFlight = 0;
    let needed = known ? Math.min(known.k, known.count) : 1;
    let count = known?.count ?? width;
    let verified = 0;
    let done = false;
    let discovery: 'not yet' | 'running' | 'done' = 'not yet';
    let hedgeTimer: ReturnType<typeof setTimeout> | undefined;
    // A group's CID check is running on the hasher: nothing else is decoded or asked for meanwhile.
    let verifying = false;
    // Every shard body received, given back to the transport once the piece is settled.
    const received: Uint8Array[] = [];
    const release = (bytes: Uint8Array) => ctx.transport.releaseShard?.(bytes);

    const finish = (err: unknown, bytes?: Uint8Array) => {
      if (done) return;
      done = true;
      // A k = 1 piece is a view into its shard: that one is the caller's now.
      for (const b of received) if (b.buffer !== bytes?.buffer) release(b);
      received.length = 0;
      clearTimeout(hedgeTimer);
      ctx.signal?.removeEventListener('abort', onOuterAbort);
      // Cancel what still runs (hedges, parity, discovery); abort() without a reason would build a DOMException per piece.
      if (inFlight > 0 || discovery === 'running') controller?.abort(SETTLED);
      if (bytes) resolve(bytes);
      else reject(err);
    };

    const fail = () => {
      if (ctx.signal?.aborted) return finish(new DdcError('DDC_ABORTED', 'the read was aborted', { cause: ctx.signal.reason }));
      finish(
        new DdcError('DDC_PIECE_UNRECOVERABLE', `piece ${cid} could not be rebuilt: ${verified} good shards, ${needed} needed`, {
          hint: 'Too many of its nodes are down or returned bad data; bring nodes back or run repair',
          details: { piece: cid.toString(), attempts: attempts.map((a) => ({ index: a.index, node: a.node.id, outcome: a.outcome ?? 'pending' })) },
        }),
      );
    };

    const armHedge = () => {
      clearTimeout(hedgeTimer);
      hedgeTimer = setTimeout(() => {
        if (done) return;
        if (!verifying) launch(1);
        armHedge();
      }, ctx.hedgeAfterMs);
    };

    /** A shard whose header parsed; its bytes are hashed against its root only when the piece does not verify. */
    const check = (shard: Received): boolean => {
      if (shard.checked) return true;
      try {
        verifyShard(shard.bytes);
        shard.checked = true;
        return true;
      } catch (e) {
        shard.attempt.outcome = e instanceof DdcError ? e.code : 'invalid';
        ctx.health.markBad(shard.attempt.node.id);
        verified--;
        return false;
      }
    };

    /** Drops the group's shards that fail their own roots (asking for others instead); true if all passed. */
    const checkGroup = (key: string, group: Received[]): boolean => {
      const good = group.filter(check);
      if (good.length === group.length) return true;
      groups.set(key, good);
      launch(group.length - good.length);
      return false;
    };

    /** The piece failed its CID: drop the shards that fail their own roots, or the whole group if none does. */
    const pieceFailed = (key: string, group: Received[]) => {
      // Find the shards that do not match their own roots; if there are none, the headers were forged together.
      if (!checkGroup(key, group)) return;
      failedGroups.add(key);
      groups.delete(key);
      for (const s of group) ctx.health.markBad(s.attempt.node.id);
      launch(needed);
    };

    const tryDecode = (key: string) => {
      const group = groups.get(key)!;
      const header = group[0]!.header;
      if (group.length < header.k || verifying) return;
      const slots = Array.from<Received | undefined>({ length: header.k + header.m });
      for (const s of group) slots[s.header.index] = s;
      const dataPresent = slots.slice(0, header.k).every((x) => x !== undefined);
      // Decoding needs every input right (a bad one spoils the output without saying which), so parity
      // reads check each shard first. The data shards alone are just joined: the piece CID checks them all at once.
      if (!dataPresent && !checkGroup(key, group)) return;
      if (header.k === 1) return settle(key, group, group[0]!.payload);
      const data = dataPresent
        ? slots.slice(0, header.k).map((x) => x!.payload)
        : createErasureCoder(header.k, header.m).reconstructData(slots.map((x) => x?.payload));
      const hashing = dataPresent && cid.multihash.code === SHA2_256_CODE ? ctx.hasher?.sha256(dataParts(data, header.pieceLength)) : undefined;
      const piece = joinData(data, header.pieceLength, ctx.piecePool?.take(header.pieceLength));
      if (!hashing) return settle(key, group, piece);
      // The shards are hashed where they lie while they are joined here; the piece is kept only if they match.
      verifying = true;
      const after = (check: () => void) => {
        verifying = false;
        if (done) return ctx.piecePool?.give(piece);
        guarded(check);
        if (!done) retryGroups();
      };
      hashing.then(
        (digest) =>
          after(() => {
            if (equalBytes(digest, cid.multihash.digest)) return finish(undefined, piece);
            ctx.piecePool?.give(piece);
            pieceFailed(key, group);
          }),
        () => after(() => settle(key, group, piece)), // the hasher is gone: check here
      );
    };

    /** Keeps the piece if it hashes to the CID; otherwise finds the bad shards and asks for others. */
    const settle = (key: string, group: Received[], piece: Uint8Array) => {
      try {
        verifyBlock(cid, piece);
      } catch {
        ctx.piecePool?.give(piece);
        return pieceFailed(key, group);
      }
      finish(undefined, piece);
    };

    /** After a CID check on the hasher: groups completed meanwhile are decoded now, and an empty plan looks further. */
    const retryGroups = () => {
      for (const key of [...groups.keys()]) {
        if (done || verifying) return;
        if (groups.has(key)) guarded(() => tryDecode(key));
      }
      exhausted();
    };

    const guarded = (fn: () => void) => {
      try {
        fn();
      } catch (e) {
        finish(e instanceof DdcError ? e : new DdcError('DDC_INTERNAL', `decoding piece ${cid} failed: ${String(e)}`, { cause: e }));
      }
    };

    const onShard = (attempt: Attempt, bytes: Uint8Array) => {
      let shard: Received;
      try {
        const { header, headerLength } = decodeShardHeader(bytes);
        if (bytes.length !== headerLength + header.shardLength) {
          throw new DdcError('DDC_SHARD_MALFORMED', `node ${attempt.node.id} sent ${bytes.length - headerLength} shard bytes after the header, which declares ${header.shardLength}`);
        }
        if (!header.pieceCid.equals(cid) || header.index !== attempt.index) {
          throw new DdcError('DDC_HEADER_MISMATCH', `node ${attempt.node.id} answered with shard ${header.index} of ${header.pieceCid}`);
        }
        shard = { header, payload: bytes.subarray(headerLength), bytes, attempt, checked: false };
      } catch (e) {
        attempt.outcome = e instanceof DdcError ? e.code : 'invalid';
        ctx.health.markBad(attempt.node.id);
        return launch(1);
      }
      ctx.health.markUp(attempt.node.id);
      attempt.outcome = 'ok';
      verified++;
      const key = stripeKey(shard.header);
      if (failedGroups.has(key)) return launch(1);
      const group = groups.get(key) ?? [];
      // The same index can come from two nodes (an old and a new home while a shard moves): count it once.
      if (group.some((s) => s.header.index === shard.header.index)) return launch(1);
      group.push(shard);
      groups.set(key, group);
      if (needed === 1 && shard.header.k > 1) {
        // First header of a piece of unknown length: now we know how many shards to ask for.
        needed = shard.header.k;
        count = shard.header.k + shard.header.m;
        launch(needed - group.length - inFlight);
      }
      guarded(() => tryDecode(key));
    };

    const bestGroup = () => Math.max(0, ...[...groups.values()].map((g) => g.length));

    /** Every planned request has answered without enough good shards: look further, once, then give up. */
    const exhausted = () => {
      if (done || verifying || inFlight > 0 || discovery === 'running') return;
      if (next >= order.length && placeAll()) {
        launch(Math.max(1, needed - bestGroup()));
        if (done || inFlight > 0) return;
      }
      if (next < order.length) return;
      if (discovery === 'done') return fail();
      discovery = 'running';
      const asked = new Set(order.map((o) => `${o.node.id}/${o.index}`));
      void Promise.all(
        view.nodes.map((node) =>
          ctx.transport.listPiece(node.url, cid.toString(), cancellable()).then(
            (held) => held.map((h) => ({ node, index: h.index })),
            () => [],
          ),
        ),
      ).then((found) => {
        discovery = 'done';
        if (done) return;
        for (const f of found.flat()) {
          if (f.index < count && !asked.has(`${f.node.id}/${f.index}`)) order.push(f);
        }
        launch(Math.max(1, needed - bestGroup()));
        exhausted();
      });
    };

    const launch = (n: number) => {
      for (let i = 0; i < n && !done; i++) {
        while (next < order.length && order[next]!.index >= count) next++;
        if (next >= order.length && placeAll()) {
          i--;
          continue;
        }
        if (next >= order.length) break;
        const { index, node } = order[next++]!;
        const attempt: Attempt = { index, node };
        attempts.push(attempt);
        inFlight++;
        // A batched read still queued when the piece is settled (a hedge won) is dropped before it is sent.
        (batcher ? batcher.getPieceShard(node.url, cid.toString(), index, ctx.signal, () => !done) : ctx.transport.getPieceShard(node.url, cid.toString(), index, cancellable())).then(
          (bytes) => {
            inFlight--;
            if (done) return release(bytes);
            received.push(bytes);
            onShard(attempt, bytes);
            exhausted();
          },
          (e: unknown) => {
            inFlight--;
            if (done) return;
            attempt.outcome = e instanceof DdcError ? e.code : 'error';
            if (e instanceof DdcError && e.code === 'DDC_NODE_UNAVAILABLE') ctx.health.markDown(node.id);
            if (ctx.signal?.aborted) return fail();
            launch(1);
            exhausted();
          },
        );
      }
    };

    if (ctx.signal?.aborted) return fail();
    launch(needed);
    armHedge();
    exhausted();
  });
}
