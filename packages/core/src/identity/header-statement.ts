/**
 * Signed header statements, version 1: a node's word that it holds shard X with this
 * header. Auditors gather them from the homes of a stripe's other shards and take the
 * roots they agree on; kept in evidence, they let a third party check that agreement
 * without trusting the auditor.
 *
 * The signature covers (integers big-endian):
 *
 *   "DDC-HEADER-v1"    13 bytes, ASCII (domain separation; no prefix of "DDC-CHALLENGE-v1")
 *   u8   version = 1
 *   u8   n, node id (n bytes, UTF-8)
 *   32   public key
 *   32   shard id
 *   u32  header length
 *   32   SHA-256(header bytes)
 *   u64  time, ms since the Unix epoch
 *
 * Over HTTP (`GET /v1/shards/{id}/header`) the body is the raw header and the statement
 * travels in `x-ddc-node-id`, `x-ddc-public-key`, `x-ddc-time` and `x-ddc-signature`.
 * The JSON form (evidence) is {"v":1,"id","nodeId","publicKey","header":base64,"time","signature"}.
 */
import { DdcError } from '../errors.js';
import { sha256 } from '../hash.js';
import { textEncoder, toHex } from '../bytes.js';
import { ROOT_SIZE } from '../shard.js';
import { MAX_HEADER_SIZE } from './challenge.js';
import { PUBLIC_KEY_SIZE, SIGNATURE_SIZE, signBytes, verifySignature, type Ed25519KeyPair } from './keys.js';
import { ByteWriter, NODE_ID_PATTERN, decodeBase64Strict, decodeHexStrict, encodeBase64, intIn, isRecord } from './wire.js';

export const HEADER_STATEMENT_VERSION = 1;
export const HEADER_DOMAIN = 'DDC-HEADER-v1';

export interface HeaderStatement {
  v: 1;
  nodeId: string;
  publicKey: Uint8Array;
  shardId: Uint8Array;
  header: Uint8Array;
  time: number;
  signature: Uint8Array;
}

export interface HeaderStatementJson {
  v: 1;
  id: string;
  nodeId: string;
  publicKey: string;
  header: string;
  time: number;
  signature: string;
}

function malformed(what: string): DdcError {
  return new DdcError('DDC_SIGNATURE_INVALID', `malformed header statement: ${what}`, { hint: 'The statement was not produced by a DDC v1 node, or it was edited' });
}

export function headerSigningBytes(s: Omit<HeaderStatement, 'signature'>): Uint8Array {
  if (s.v !== HEADER_STATEMENT_VERSION) throw malformed(`version ${String(s.v)}`);
  if (!NODE_ID_PATTERN.test(s.nodeId)) throw malformed(`node id ${JSON.stringify(s.nodeId).slice(0, 80)}`);
  if (s.publicKey.length !== PUBLIC_KEY_SIZE || s.shardId.length !== ROOT_SIZE) throw malformed('the key and the shard id are 32 bytes each');
  if (s.header.length > MAX_HEADER_SIZE) throw malformed('the header is too long');
  if (intIn(s.time, 0, Number.MAX_SAFE_INTEGER) === undefined) throw malformed(`time ${s.time}`);
  return new ByteWriter()
    .ascii(HEADER_DOMAIN)
    .u8(s.v)
    .short(textEncoder.encode(s.nodeId))
    .bytes(s.publicKey)
    .bytes(s.shardId)
    .u32(s.header.length)
    .bytes(sha256(s.header))
    .u64(s.time)
    .finish();
}

export function signHeaderStatement(s: Pick<HeaderStatement, 'nodeId' | 'shardId' | 'header' | 'time'>, key: Ed25519KeyPair): HeaderStatement {
  const body = { v: HEADER_STATEMENT_VERSION, nodeId: s.nodeId, publicKey: key.publicKey, shardId: s.shardId, header: s.header, time: s.time } as const;
  return { ...body, signature: signBytes(headerSigningBytes(body), key.secretKey) };
}

/** True iff the statement is well-formed and signed by the key it names. Never throws. */
export function verifyHeaderStatement(s: HeaderStatement): boolean {
  let message: Uint8Array;
  try {
    message = headerSigningBytes(s);
  } catch {
    return false;
  }
  return verifySignature(s.signature, message, s.publicKey);
}

export function headerStatementToJson(s: HeaderStatement): HeaderStatementJson {
  return { v: s.v, id: toHex(s.shardId), nodeId: s.nodeId, publicKey: toHex(s.publicKey), header: encodeBase64(s.header), time: s.time, signature: toHex(s.signature) };
}

const JSON_KEYS = ['v', 'id', 'nodeId', 'publicKey', 'header', 'time', 'signature'];

/** Strictly parses the JSON form; throws DDC_SIGNATURE_INVALID on anything malformed. */
export function parseHeaderStatement(input: unknown): HeaderStatement {
  if (!isRecord(input)) throw malformed('not a JSON object');
  for (const key of Object.keys(input)) if (!JSON_KEYS.includes(key)) throw malformed(`unknown key ${JSON.stringify(key).slice(0, 80)}`);
  if (input.v !== HEADER_STATEMENT_VERSION) throw malformed(`version ${JSON.stringify(input.v)?.slice(0, 20)}`);
  const field = <T>(name: string, value: T | undefined): T => {
    if (value === undefined) throw malformed(`field "${name}" is missing or not in its canonical form`);
    return value;
  };
  return {
    v: HEADER_STATEMENT_VERSION,
    nodeId: field('nodeId', typeof input.nodeId === 'string' && NODE_ID_PATTERN.test(input.nodeId) ? input.nodeId : undefined),
    publicKey: field('publicKey', decodeHexStrict(input.publicKey, PUBLIC_KEY_SIZE)),
    shardId: field('id', decodeHexStrict(input.id, ROOT_SIZE)),
    header: field('header', decodeBase64Strict(input.header, MAX_HEADER_SIZE)),
    time: field('time', intIn(input.time, 0, Number.MAX_SAFE_INTEGER)),
    signature: field('signature', decodeHexStrict(input.signature, SIGNATURE_SIZE)),
  };
}

/** The HTTP header names the statement travels in on `GET /v1/shards/{id}/header`. */
export const HEADER_STATEMENT_HTTP = {
  nodeId: 'x-ddc-node-id',
  publicKey: 'x-ddc-public-key',
  time: 'x-ddc-time',
  signature: 'x-ddc-signature',
} as const;
