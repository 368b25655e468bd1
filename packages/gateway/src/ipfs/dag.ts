/**
 * The blocks of a CAR answer, depth-first in file order (order=dfs), for each dag-scope:
 * `block` the root only; `all` the whole DAG; `entity` the whole file (a UnixFS file is
 * its own entity; anything else is just its root block); `entity-bytes` only the blocks
 * on the way to the requested byte range. Identity blocks are never sent (their bytes
 * are in the CID). With dups=n each block is sent once.
 */
import { DAG_PB_CODEC, decodeFileNode, walkDag, type CID } from '@ddc/core';
import type { EntityBytes, Wanted } from './negotiate.js';
import { IDENTITY } from './blocks.js';

export interface CarBlock {
  cid: CID;
  bytes: Uint8Array;
}

type Fetch = (cid: CID, signal?: AbortSignal) => Promise<Uint8Array>;

/** Inclusive [from, to] of a file of `size` bytes, or undefined when nothing of it is asked for. */
export function resolveEntityBytes(eb: EntityBytes, size: number): [number, number] | undefined {
  const from = eb.from < 0 ? Math.max(0, size + eb.from) : eb.from;
  const to = eb.to === '*' ? size - 1 : eb.to < 0 ? size + eb.to : Math.min(eb.to, size - 1);
  if (size === 0 || from > to || from >= size || to < 0) return undefined;
  return [from, to];
}

function isFile(root: CID, bytes: Uint8Array): boolean {
  if (root.code !== DAG_PB_CODEC) return false;
  try {
    decodeFileNode(root, bytes);
    return true;
  } catch {
    return false;
  }
}

export async function* carBlocks(root: CID, rootBytes: Uint8Array, wanted: Extract<Wanted, { format: 'car' }>, fetch: Fetch, signal?: AbortSignal): AsyncGenerator<CarBlock> {
  const visible = (c: CID) => c.multihash.code !== IDENTITY;
  const scope = wanted.scope;
  if (scope === 'block' || (scope === 'entity' && !isFile(root, rootBytes))) {
    if (visible(root)) yield { cid: root, bytes: rootBytes };
    return;
  }
  if (wanted.entityBytes) {
    const node = decodeFileNode(root, rootBytes);
    const range = resolveEntityBytes(wanted.entityBytes, node.size);
    if (!range) {
      if (visible(root)) yield { cid: root, bytes: rootBytes };
      return;
    }
    yield* rangeBlocks(root, rootBytes, range, fetch, wanted.dups, signal);
    return;
  }
  // all, or entity of a file: the whole DAG. The root is not fetched twice.
  const getBlock = (c: CID, s?: AbortSignal) => (c.equals(root) ? Promise.resolve(rootBytes) : fetch(c, s));
  for await (const { cid, bytes } of walkDag(root, getBlock, { unique: !wanted.dups, ...(signal ? { signal } : {}) })) {
    if (visible(cid)) yield { cid, bytes };
  }
}

/** Depth first through a UnixFS file, into only the children whose bytes meet [from, to]. */
async function* rangeBlocks(root: CID, rootBytes: Uint8Array, [from, to]: [number, number], fetch: Fetch, dups: boolean, signal?: AbortSignal): AsyncGenerator<CarBlock> {
  const seen = new Set<string>();
  async function* visit(cid: CID, bytes: Uint8Array, start: number): AsyncGenerator<CarBlock> {
    const key = cid.toString();
    if (dups || !seen.has(key)) {
      seen.add(key);
      if (cid.multihash.code !== IDENTITY) yield { cid, bytes };
    }
    const node = decodeFileNode(cid, bytes);
    let offset = start + node.data.length;
    for (const child of node.children) {
      const childStart = offset;
      offset += child.size;
      if (childStart > to || offset - 1 < from || child.size === 0) continue;
      yield* visit(child.cid, await fetch(child.cid, signal), childStart);
    }
  }
  yield* visit(root, rootBytes, 0);
}
