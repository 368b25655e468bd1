/**
 * dag-pb/UnixFS file nodes: encoding parents exactly as ipfs-unixfs-importer does, and
 * decoding raw or dag-pb blocks into the parts the exporter needs.
 */
import * as dagPb from '@ipld/dag-pb';
import { UnixFS } from 'ipfs-unixfs';
import { DdcError } from '../errors.js';
import { DAG_PB_CODEC, RAW_CODEC, cidOf, type Block, type CID } from './cid.js';

/** A child as its parent records it. */
export interface FileLink {
  cid: CID;
  /** Bytes of the whole subtree's blocks: dag-pb Tsize (IPFS "cumulative size"). */
  tsize: number;
  /** File bytes under this child: the UnixFS blocksize. */
  fileSize: number;
}

/**
 * Encodes a UnixFS `file` node over `links`: no inline data, no mtime/mode, `filesize`
 * plus one blocksize per link, links with an empty Name and Tsize, links-first field
 * order (dag-pb canonical form). This is byte-for-byte what ipfs-unixfs-importer's
 * balanced layout produces for raw leaves.
 */
export function encodeFileNode(links: readonly FileLink[]): { block: Block; link: FileLink } {
  const unixfs = new UnixFS({ type: 'file', blockSizes: links.map((l) => BigInt(l.fileSize)) });
  const bytes = dagPb.encode({
    Data: unixfs.marshal(),
    Links: links.map((l) => ({ Hash: l.cid, Name: '', Tsize: l.tsize })),
  });
  const cid = cidOf(DAG_PB_CODEC, bytes);
  let tsize = bytes.length;
  let fileSize = 0;
  for (const l of links) {
    tsize += l.tsize;
    fileSize += l.fileSize;
  }
  return { block: { cid, bytes }, link: { cid, tsize, fileSize } };
}

/** A decoded file block: inline data first, then children in file order. */
export interface FileNode {
  kind: 'raw' | 'file';
  data: Uint8Array;
  children: Array<{ cid: CID; size: number }>;
  /** File bytes this block stands for: data plus all children. */
  size: number;
}

const EMPTY = new Uint8Array(0);

/** Decodes a verified block of a UnixFS file; anything that is not a file is DDC_DAG_MALFORMED. */
export function decodeFileNode(cid: CID, bytes: Uint8Array): FileNode {
  if (cid.code === RAW_CODEC) return { kind: 'raw', data: bytes, children: [], size: bytes.length };
  if (cid.code !== DAG_PB_CODEC) {
    throw malformed(cid, `uses codec 0x${cid.code.toString(16)}; a UnixFS file has only raw (0x55) and dag-pb (0x70) blocks`);
  }
  let pb: dagPb.PBNode;
  let unixfs: UnixFS;
  try {
    pb = dagPb.decode(bytes);
  } catch (cause) {
    throw malformed(cid, 'is not valid dag-pb', cause);
  }
  if (pb.Data === undefined) throw malformed(cid, 'is a dag-pb node without UnixFS data, not a file');
  try {
    unixfs = UnixFS.unmarshal(pb.Data);
  } catch (cause) {
    throw malformed(cid, 'has UnixFS data that does not decode', cause);
  }
  if (unixfs.type !== 'file' && unixfs.type !== 'raw') {
    throw malformed(cid, `is a UnixFS ${unixfs.type}, not a file`);
  }
  if (unixfs.type === 'raw' && pb.Links.length > 0) throw malformed(cid, 'is a UnixFS raw node with links', undefined, FAULTY_DAG);
  if (unixfs.blockSizes.length !== pb.Links.length) {
    throw malformed(cid, `has ${pb.Links.length} links but ${unixfs.blockSizes.length} blocksizes`, undefined, FAULTY_DAG);
  }
  const data = unixfs.data ?? EMPTY;
  let size = data.length;
  const children = pb.Links.map((l, i) => {
    const s = unixfs.blockSizes[i]!;
    if (s < 0n || s > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed(cid, `has an impossible blocksize ${s}`, undefined, FAULTY_DAG);
    size += Number(s);
    return { cid: l.Hash, size: Number(s) };
  });
  if (!Number.isSafeInteger(size)) throw malformed(cid, 'describes a file larger than 2^53 bytes');
  return { kind: 'file', data, children, size };
}

const NOT_A_FILE = 'Only UnixFS files (raw leaves and dag-pb file nodes) can be read this way; check that the CID names a file';
/** Hint for a file DAG that is internally inconsistent. */
export const FAULTY_DAG = 'The DAG was built by a faulty importer; re-import the file with a UnixFS importer';

export function malformed(cid: CID, what: string, cause?: unknown, hint = NOT_A_FILE): DdcError {
  return new DdcError('DDC_DAG_MALFORMED', `block ${cid} ${what}`, {
    hint,
    details: { cid: cid.toString() },
    ...(cause === undefined ? {} : { cause }),
  });
}
