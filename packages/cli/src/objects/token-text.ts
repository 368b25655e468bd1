/** Reading tokens and identities from the command line, and describing tokens for output. */
import {
  DdcError, TOKEN_OPS, equalBytes, fromHex, isValidEd25519IdentityKey, parsePublicIdentity, toHex, tokenChain, tokenFromText, tokenToText,
  type CapabilityToken, type PublicIdentity, type TokenOp,
} from '@ddc/core';
import { usage } from '../errors.js';
import { isoSeconds } from './times.js';

/** A recipient: a public identity (ddcid1…) or a bare Ed25519 public key (64 hex). */
export interface Recipient {
  ed25519: Uint8Array;
  identity: PublicIdentity | undefined;
}

export function parseRecipient(text: string, flag = 'to'): Recipient {
  const t = text.trim();
  if (t.startsWith('ddcid1')) {
    const identity = parsePublicIdentity(t);
    return { ed25519: identity.ed25519, identity };
  }
  const hex = t.startsWith('0x') ? t.slice(2) : t;
  if (/^[0-9a-fA-F]{64}$/.test(hex)) {
    const key = fromHex(hex.toLowerCase());
    if (!isValidEd25519IdentityKey(key)) throw new DdcError('DDC_KEY_INVALID', `--${flag}: ${hex.slice(0, 16)}… is not a usable Ed25519 public key`, { hint: 'Ask the recipient for their `ddc keys export-public` string' });
    return { ed25519: key, identity: undefined };
  }
  throw usage(`--${flag} takes a public identity (ddcid1…, from \`ddc keys export-public\`) or an Ed25519 public key (64 hex), got "${t.slice(0, 40)}"`);
}

/** `get,list` → sorted ops; usage error for unknown names. */
export function parseOps(text: string): TokenOp[] {
  const ops = text.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = ops.filter((op) => !TOKEN_OPS.includes(op as TokenOp));
  if (ops.length === 0 || unknown.length) throw usage(`--ops takes a comma-separated list of ${TOKEN_OPS.join(', ')}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}`);
  return [...new Set(ops as TokenOp[])].sort();
}

export function readToken(text: string): CapabilityToken {
  return tokenFromText(text.trim());
}

/** Where a link stands against the clock. */
function timeStatus(t: CapabilityToken, now: number): 'valid' | 'expired' | 'not yet valid' {
  if (now < t.notBefore) return 'not yet valid';
  if (now > t.expiry) return 'expired';
  return 'valid';
}

export interface LinkSummary {
  depth: number;
  id: string;
  issuer: string;
  audience: string;
  selfIssued: boolean;
  bucket: number;
  ops: TokenOp[];
  prefix: string;
  notBefore: string;
  expiry: string;
  mayDelegate: boolean;
  status: 'valid' | 'expired' | 'not yet valid';
  delegation: { account: string; chainId: number; notBefore: string; expiry: string } | null;
}

/** Every link of a token's chain, root first, with times in ISO 8601. */
export function describeChain(leaf: CapabilityToken, now = Math.floor(Date.now() / 1000)): LinkSummary[] {
  return tokenChain(leaf).map((t, i) => ({
    depth: i + 1,
    id: t.idHex,
    issuer: toHex(t.issuer),
    audience: toHex(t.audience),
    selfIssued: equalBytes(t.issuer, t.audience),
    bucket: t.bucket,
    ops: [...t.ops],
    prefix: t.prefix,
    notBefore: isoSeconds(t.notBefore),
    expiry: isoSeconds(t.expiry),
    mayDelegate: t.mayDelegate,
    status: timeStatus(t, now),
    delegation: t.delegation
      ? { account: t.delegation.account, chainId: t.delegation.chainId, notBefore: isoSeconds(t.delegation.notBefore), expiry: isoSeconds(t.delegation.expiry) }
      : null,
  }));
}

/** The --json form of a token: its text, id and leaf fields, and the chain. */
export function tokenJson(t: CapabilityToken): Record<string, unknown> {
  const chain = describeChain(t);
  const leaf = chain[chain.length - 1]!;
  return { token: tokenToText(t), ...leaf, depth: chain.length, chain };
}

export function formatChain(chain: LinkSummary[]): string {
  const lines: string[] = [`chain of ${chain.length} link${chain.length === 1 ? '' : 's'}, root first:`];
  for (const l of chain) {
    lines.push(
      `  [${l.depth}] ${l.depth === 1 ? 'root (issued by the owner\'s delegated key)' : 'delegated by the previous link\'s audience'}`,
      `      id            ${l.id}`,
      `      issuer        ${l.issuer}`,
      `      audience      ${l.audience}${l.selfIssued ? ' (self-issued)' : ''}`,
      `      bucket        ${l.bucket}`,
      `      ops           ${l.ops.join(',')}`,
      `      prefix        ${l.prefix === '' ? '(whole bucket)' : JSON.stringify(l.prefix)}`,
      `      not before    ${l.notBefore}`,
      `      expires       ${l.expiry}`,
      `      may delegate  ${l.mayDelegate ? 'yes' : 'no'}`,
      `      now           ${l.status}`,
    );
    if (l.delegation) lines.push(`      delegation    account ${l.delegation.account} on chain ${l.delegation.chainId}, ${l.delegation.notBefore} to ${l.delegation.expiry}`);
  }
  return `${lines.join('\n')}\n`;
}
