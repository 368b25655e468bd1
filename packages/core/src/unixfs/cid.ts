/**
 * CIDs for UnixFS blocks: parsing with helpful errors, building CIDv1/sha2-256 CIDs
 * through the project's pluggable SHA-256, and checking a block against its CID.
 */
import { CID } from 'multiformats/cid';
import * as Digest from 'multiformats/hashes/digest';
import { DdcError } from '../errors.js';
import { equalBytes } from '../bytes.js';
import { sha256 } from '../hash.js';

export { CID };

/** Multicodec codes used by UnixFS files. */
export const RAW_CODEC = 0x55;
export const DAG_PB_CODEC = 0x70;
/** Multihash codes DDC can verify. */
export const SHA2_256_CODE = 0x12;
export const IDENTITY_CODE = 0x00;

/** One content-addressed block: its bytes hash to `cid`. */
export interface Block {
  cid: CID;
  bytes: Uint8Array;
}

/** CIDv1 with sha2-256 of `bytes` for the given codec (raw 0x55 or dag-pb 0x70). */
export function cidOf(codec: number, bytes: Uint8Array): CID {
  return CID.createV1(codec, Digest.create(SHA2_256_CODE, sha256(bytes)));
}

/** Parses a CID string (CIDv0 `Qm…`, CIDv1 in base32 `b…`, base58btc `z…` or base36 `k…`). */
export function parseCid(text: string): CID {
  if (typeof text !== 'string' || text.length === 0) {
    throw new DdcError('DDC_INVALID_CID', 'a CID is required but an empty value was given', {
      hint: 'Pass a CID string such as bafkrei… or Qm…',
    });
  }
  const trimmed = text.trim();
  try {
    return CID.parse(trimmed);
  } catch (cause) {
    const hint = /^(\/ipfs\/|ipfs:\/\/)/.test(trimmed)
      ? 'Strip the /ipfs/ or ipfs:// prefix and pass only the CID'
      : 'Check that the CID was copied whole; CIDv1 strings start with b (base32), z (base58btc) or k (base36), CIDv0 with Qm';
    throw new DdcError('DDC_INVALID_CID', `"${preview(trimmed)}" is not a valid CID`, { hint, cause });
  }
}

/** Decodes binary CID bytes, throwing DDC_INVALID_CID on garbage. */
export function decodeCid(bytes: Uint8Array): CID {
  try {
    return CID.decode(bytes);
  } catch (cause) {
    throw new DdcError('DDC_INVALID_CID', 'the bytes are not a valid binary CID', {
      hint: 'Pass the CID bytes exactly as produced by cid.bytes',
      cause,
    });
  }
}

/**
 * Throws DDC_CID_MISMATCH unless `bytes` hash to `cid`. Supports sha2-256 and the
 * identity multihash (inline data); other hash functions throw DDC_INVALID_CID.
 */
export function verifyBlock(cid: CID, bytes: Uint8Array): void {
  const code = cid.multihash.code;
  let ok: boolean;
  if (code === SHA2_256_CODE) ok = equalBytes(sha256(bytes), cid.multihash.digest);
  else if (code === IDENTITY_CODE) ok = equalBytes(bytes, cid.multihash.digest);
  else {
    throw new DdcError('DDC_INVALID_CID', `CID ${cid} uses multihash 0x${code.toString(16)}, which DDC cannot verify`, {
      hint: 'Re-import the content with sha2-256 (the IPFS default)',
      details: { cid: cid.toString(), multihash: code },
    });
  }
  if (!ok) {
    throw new DdcError('DDC_CID_MISMATCH', `block ${cid} does not hash to its CID (${bytes.length} bytes received)`, {
      hint: 'The source returned corrupt or wrong data; fetch the block from another node',
      details: { cid: cid.toString(), size: bytes.length },
    });
  }
}

function preview(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
