/**
 * Enumerates every block of a DAG (raw leaves and dag-pb nodes, any UnixFS type),
 * verified against its CID, depth-first in file order with bounded fetch-ahead.
 * Useful to copy, pin or replicate a whole DAG.
 */
import * as dagPb from '@ipld/dag-pb';
import { DAG_PB_CODEC, RAW_CODEC, type CID } from './cid.js';
import { DEFAULT_LOOKAHEAD, Prefetcher, type GetBlock } from './fetch.js';
import { malformed } from './node.js';

export interface WalkDagOptions {
  signal?: AbortSignal;
  /** Blocks fetched ahead; default 8. */
  concurrency?: number;
  /**
   * Visit each distinct block once (default true). A file of repeated content links
   * the same leaf many times; dedup keeps one CID string per distinct block in memory.
   */
  unique?: boolean;
}

export interface DagEntry {
  cid: CID;
  bytes: Uint8Array;
  /** 0 for the root, 1 for its children, and so on. */
  depth: number;
}

export async function* walkDag(root: CID, getBlock: GetBlock, options: WalkDagOptions = {}): AsyncGenerator<DagEntry, void, undefined> {
  const fetcher = new Prefetcher<number>(getBlock, options.concurrency ?? DEFAULT_LOOKAHEAD, options.signal);
  const seen = options.unique === false ? undefined : new Set<string>();
  try {
    fetcher.pushFront([{ cid: root, meta: 0 }]);
    seen?.add(root.toString());
    for (;;) {
      const entry = await fetcher.next();
      if (!entry) return;
      const { cid, bytes, meta: depth } = entry;
      const children: Array<{ cid: CID; meta: number }> = [];
      if (cid.code === DAG_PB_CODEC) {
        let node: dagPb.PBNode;
        try {
          node = dagPb.decode(bytes);
        } catch (cause) {
          throw malformed(cid, 'is not valid dag-pb', cause);
        }
        for (const l of node.Links) {
          if (seen) {
            const key = l.Hash.toString();
            if (seen.has(key)) continue;
            seen.add(key);
          }
          children.push({ cid: l.Hash, meta: depth + 1 });
        }
      } else if (cid.code !== RAW_CODEC) {
        throw malformed(cid, `uses codec 0x${cid.code.toString(16)}; only raw (0x55) and dag-pb (0x70) blocks can be walked`);
      }
      fetcher.pushFront(children);
      yield { cid, bytes, depth };
    }
  } finally {
    fetcher.close();
  }
}
