/**
 * Audit evidence, version 1: failing signed challenge answers with the signed header
 * statements of the other nodes that fix what the answer should have hashed to.
 *
 *   {"format":"ddc-audit-evidence","version":1,"createdAt":ISO,"clusterId",
 *    "items":[{"nodeId","pieceCid","index","reason","message","keySource":"descriptor"|"info",
 *              "answer":ChallengeAnswerJson,"headers":[HeaderStatementJson,...]}]}
 *
 * An item proves misbehaviour when: the answer's signature verifies (the node said it);
 * at least two header statements from other nodes verify and agree on the root of shard
 * `index` of piece `pieceCid`; and the answer does not hash to that root (or is malformed
 * in a way its own signature covers). Whose keys these are is a separate question: pass
 * the cluster's keys to check them, otherwise they are taken from the file.
 */
import { DdcError } from '../errors.js';
import { toHex } from '../bytes.js';
import { parseCid } from '../unixfs/cid.js';
import { decodeShardHeader } from '../shard.js';
import { agreeOnRoot, MIN_AGREEING_HEADERS, type HeaderVote } from './agreement.js';
import { checkChallengeAnswer, parseChallengeAnswer, type ChallengeAnswerJson } from './challenge.js';
import { parseHeaderStatement, verifyHeaderStatement, type HeaderStatementJson } from './header-statement.js';
import { intIn, isRecord, NODE_ID_PATTERN } from './wire.js';

export const EVIDENCE_FORMAT = 'ddc-audit-evidence';
export const EVIDENCE_VERSION = 1;

export type KeySource = 'descriptor' | 'info';

export interface EvidenceItem {
  /** The node the answer is from. */
  nodeId: string;
  pieceCid: string;
  /** Index of the challenged shard in its stripe. */
  index: number;
  /** Why the auditor judged the answer wrong (a ChallengeFailReason). */
  reason: string;
  message: string;
  /** Where the auditor took the node's public key from. */
  keySource: KeySource;
  answer: ChallengeAnswerJson;
  headers: HeaderStatementJson[];
}

export interface AuditEvidence {
  format: typeof EVIDENCE_FORMAT;
  version: typeof EVIDENCE_VERSION;
  createdAt: string;
  clusterId: string;
  items: EvidenceItem[];
}

function invalid(what: string): DdcError {
  return new DdcError('DDC_EVIDENCE_INVALID', `not a valid audit evidence file: ${what}`, { hint: `Pass a file written by \`ddc audit --evidence FILE\` (format "${EVIDENCE_FORMAT}", version ${EVIDENCE_VERSION})` });
}

/** Checks the envelope; items are checked one by one by verifyEvidenceItem. */
export function parseAuditEvidence(input: unknown): AuditEvidence {
  if (!isRecord(input)) throw invalid('not a JSON object');
  if (input.format !== EVIDENCE_FORMAT) throw invalid(`format ${JSON.stringify(input.format)?.slice(0, 60)}`);
  if (input.version !== EVIDENCE_VERSION) throw invalid(`version ${JSON.stringify(input.version)?.slice(0, 20)} (this build reads ${EVIDENCE_VERSION})`);
  for (const key of Object.keys(input)) if (!['format', 'version', 'createdAt', 'clusterId', 'items'].includes(key)) throw invalid(`unknown key ${JSON.stringify(key).slice(0, 60)}`);
  if (typeof input.createdAt !== 'string' || typeof input.clusterId !== 'string') throw invalid('createdAt and clusterId must be strings');
  if (!Array.isArray(input.items)) throw invalid('items must be an array');
  return input as unknown as AuditEvidence;
}

export interface EvidenceCheck {
  /** Position in the file. */
  item: number;
  nodeId: string;
  /** True iff the item is a valid proof of misbehaviour. */
  proven: boolean;
  /** For proven items, the ChallengeFailReason; otherwise why the item proves nothing. */
  reason: string;
  message: string;
}

const ITEM_KEYS = ['nodeId', 'pieceCid', 'index', 'reason', 'message', 'keySource', 'answer', 'headers'];

export interface VerifyEvidenceOptions {
  /** Public keys (hex) by node id, from a source the verifier trusts (the cluster descriptor). */
  keys?: ReadonlyMap<string, string>;
}

export function verifyEvidenceItem(item: unknown, position: number, options: VerifyEvidenceOptions = {}): EvidenceCheck {
  const nodeIdOf = isRecord(item) && typeof item.nodeId === 'string' ? item.nodeId.slice(0, 64) : '?';
  const reject = (reason: string, message: string): EvidenceCheck => ({ item: position, nodeId: nodeIdOf, proven: false, reason, message });
  if (!isRecord(item)) return reject('malformed', 'the item is not a JSON object');
  for (const key of Object.keys(item)) if (!ITEM_KEYS.includes(key)) return reject('malformed', `unknown key ${JSON.stringify(key).slice(0, 60)}`);
  if (typeof item.nodeId !== 'string' || !NODE_ID_PATTERN.test(item.nodeId)) return reject('malformed', 'nodeId is missing or malformed');
  const index = intIn(item.index, 0, 255);
  if (index === undefined) return reject('malformed', 'index must be an integer from 0 to 255');
  if (typeof item.pieceCid !== 'string') return reject('malformed', 'pieceCid is missing');
  let pieceCid: string;
  try {
    pieceCid = parseCid(item.pieceCid).toV1().toString();
  } catch {
    return reject('malformed', `pieceCid ${JSON.stringify(item.pieceCid).slice(0, 80)} is not a CID`);
  }

  let answer;
  try {
    answer = parseChallengeAnswer(item.answer);
  } catch (e) {
    return reject('malformed', `the answer: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (answer.nodeId !== item.nodeId) return reject('malformed', `the answer is from ${answer.nodeId}, the item accuses ${item.nodeId}`);
  const trusted = options.keys?.get(item.nodeId);
  if (trusted !== undefined && trusted !== toHex(answer.publicKey)) {
    return reject('wrong-key', `the answer is signed by ${toHex(answer.publicKey)}, but the cluster lists ${trusted} for ${item.nodeId}`);
  }

  if (!Array.isArray(item.headers)) return reject('malformed', 'headers must be an array');
  const votes: HeaderVote[] = [];
  for (const [i, raw] of item.headers.entries()) {
    let statement;
    try {
      statement = parseHeaderStatement(raw);
    } catch (e) {
      return reject('malformed', `headers[${i}]: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!verifyHeaderStatement(statement)) return reject('bad-signature', `headers[${i}] (from ${statement.nodeId}): the signature does not verify; the statement was altered`);
    if (statement.nodeId === item.nodeId) return reject('malformed', `headers[${i}] is from the accused node itself; only other nodes' headers count`);
    const key = options.keys?.get(statement.nodeId);
    if (key !== undefined && key !== toHex(statement.publicKey)) return reject('wrong-key', `headers[${i}] is signed by ${toHex(statement.publicKey)}, but the cluster lists ${key} for ${statement.nodeId}`);
    let header;
    try {
      header = decodeShardHeader(statement.header).header;
    } catch (e) {
      return reject('malformed', `headers[${i}] (from ${statement.nodeId}) is not a valid shard header: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (toHex(header.roots[header.index]!) !== toHex(statement.shardId)) return reject('malformed', `headers[${i}] names shard ${toHex(statement.shardId)} but its header is for another shard`);
    if (header.pieceCid.toString() !== pieceCid) return reject('malformed', `headers[${i}] is for piece ${header.pieceCid.toString()}, not ${pieceCid}`);
    votes.push({ nodeId: statement.nodeId, header });
  }
  const agreement = agreeOnRoot(votes, index);
  if (!agreement) return reject('no-agreement', `fewer than ${MIN_AGREEING_HEADERS} other nodes' headers agree on the root of shard ${index}; nothing to judge the answer against`);

  // The signature is checked first inside checkChallengeAnswer: an edited answer fails there.
  const verdict = checkChallengeAnswer(answer, agreement.root, agreement.fields);
  if (verdict.pass) return reject('answer-correct', `the answer hashes to the agreed root ${toHex(agreement.root)}: it shows no misbehaviour`);
  if (!verdict.signatureValid) return reject('bad-signature', `the answer's signature does not verify under its key ${toHex(answer.publicKey)}: the answer was altered after the node signed it, so it proves nothing`);
  if (!verdict.proven) return reject(verdict.reason, `${verdict.message}; that does not prove misbehaviour`);
  return {
    item: position,
    nodeId: item.nodeId,
    proven: true,
    reason: verdict.reason,
    message: `${item.nodeId} signed an answer for leaf ${answer.leafIndex} of shard ${index} of ${pieceCid} that is wrong: ${verdict.message} (agreed by ${agreement.voters.join(', ')})`,
  };
}

export interface EvidenceReport {
  checks: EvidenceCheck[];
  /** True iff there is at least one item and every item is a valid proof. */
  allProven: boolean;
}

export function verifyAuditEvidence(input: unknown, options: VerifyEvidenceOptions = {}): EvidenceReport {
  const evidence = parseAuditEvidence(input);
  const checks = evidence.items.map((item, i) => verifyEvidenceItem(item, i, options));
  return { checks, allProven: checks.length > 0 && checks.every((c) => c.proven) };
}
