/**
 * `ddc token grant|revoke|inspect`: capability tokens (docs/ACCESS.md "Capability tokens v1")
 * over core's auth functions. grant as the bucket owner mints a root token (the keystore's
 * ledger key signs the EIP-712 delegation, its Ed25519 key the token); grant --from narrows a
 * token you hold to someone else; revoke is a ledger transaction by the owner; inspect only
 * decodes (every signature in the chain is checked, nothing is asked of the network).
 */
import { parseArgs } from 'node:util';
import {
  DdcError, delegateToken, equalBytes, issueRootToken, signDelegation, toHex, tokenToText, type CapabilityToken,
} from '@ddc/core';
import { getBucket, revokeToken } from '@ddc/ledger';
import { printJson } from '../output.js';
import { usage } from '../errors.js';
import { tokenGrantHelp as grantHelp, tokenHelp, tokenInspectHelp as inspectHelp, tokenRevokeHelp as revokeHelp } from '../objects/help.js';
import { BUCKET_FLAGS, ownerLedger, readLedger, tokenTextOf, userKeysFor } from '../objects/context.js';
import { parseTimeFlag } from '../objects/times.js';
import { describeChain, formatChain, parseOps, parseRecipient, readToken, tokenJson } from '../objects/token-text.js';


export const DEFAULT_TOKEN_LIFETIME = '24h';
/** A fresh root token starts this far in the past, so nodes whose clock is behind accept it at once. */
export const CLOCK_SLACK_SECONDS = 300;

function bucketFlag(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^(0|[1-9][0-9]*)$/.test(v) || !Number.isSafeInteger(Number(v))) throw usage(`--bucket takes a bucket id (a whole number), got "${v}"`);
  return Number(v);
}

async function grant(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      ...BUCKET_FLAGS, bucket: { type: 'string' }, to: { type: 'string' }, ops: { type: 'string' }, prefix: { type: 'string' },
      expires: { type: 'string' }, 'not-before': { type: 'string' }, 'may-delegate': { type: 'boolean' }, from: { type: 'string' },
    },
    allowPositionals: true,
  });
  if (positionals.length) throw usage(`token grant takes flags only.\n  ${grantHelp}`);
  if (!values.to) throw usage(`--to is required: the recipient's public identity (ddcid1…) or Ed25519 key.\n  ${grantHelp}`);
  const audience = parseRecipient(values.to).ed25519;
  const now = Math.floor(Date.now() / 1000);
  const expiry = parseTimeFlag('expires', values.expires ?? DEFAULT_TOKEN_LIFETIME, now);
  const notBefore = values['not-before'] === undefined ? undefined : parseTimeFlag('not-before', values['not-before'], now);
  const bucket = bucketFlag(values.bucket);
  const keys = (await userKeysFor(values, true))!;
  let token: CapabilityToken;
  if (values.from !== undefined) {
    const parent = readToken(values.from);
    if (bucket !== undefined && bucket !== parent.bucket) {
      throw new DdcError('DDC_TOKEN_WRONG_BUCKET', `--from is a token for bucket ${parent.bucket}, not ${bucket}`, { hint: 'Leave --bucket out: a delegated token is for its parent\'s bucket' });
    }
    if (!equalBytes(parent.audience, keys.signing.publicKey)) {
      throw new DdcError('DDC_TOKEN_AUDIENCE', `the --from token was given to key ${toHex(parent.audience).slice(0, 16)}…, not to this keystore's (${toHex(keys.signing.publicKey).slice(0, 16)}…)`, {
        hint: 'Pass --keystore with the identity the token was shared with',
      });
    }
    token = delegateToken(parent, {
      signing: keys.signing, audience,
      ...(values.ops !== undefined ? { ops: parseOps(values.ops) } : {}),
      ...(values.prefix !== undefined ? { prefix: values.prefix } : {}),
      // Without --expires a delegated token keeps its parent's expiry; never past it.
      ...(values.expires !== undefined ? { expiry } : {}),
      ...(notBefore !== undefined ? { notBefore } : {}),
      mayDelegate: values['may-delegate'] === true,
    });
  } else {
    if (bucket === undefined) throw usage(`--bucket is required (or --from TOKEN to delegate a token you hold).\n  ${grantHelp}`);
    if (values.ops === undefined) throw usage(`--ops is required: which of get, list, put, delete, admin the token allows.\n  ${grantHelp}`);
    const ops = parseOps(values.ops);
    if (expiry <= now) throw usage('--expires is in the past');
    const ledger = await readLedger(values);
    const info = await getBucket(ledger, bucket);
    if (info.owner.toLowerCase() !== keys.evm.address.toLowerCase()) {
      throw new DdcError('DDC_TOKEN_NOT_OWNER', `bucket ${bucket} belongs to ${info.owner}, not to this keystore's account ${keys.evm.address}`, {
        hint: 'Grant as the owner (--keystore), or delegate a token you were given with --from TOKEN',
      });
    }
    const nbf = notBefore ?? now - CLOCK_SLACK_SECONDS;
    const delegation = signDelegation({ account: keys.evm.address, signingKey: keys.signing.publicKey, notBefore: nbf, expiry, chainId: ledger.deployment.chainId }, keys.evm.privateKey);
    token = issueRootToken({
      signing: keys.signing, delegation, audience, bucket, ops, prefix: values.prefix ?? '', notBefore: nbf, expiry, mayDelegate: values['may-delegate'] === true,
    });
  }
  if (values.json) printJson(tokenJson(token));
  else process.stdout.write(`${tokenToText(token)}\n`);
  return 0;
}

/** A token's id from its text form, or a 64-hex id as is. */
function tokenIdOf(text: string): string {
  const t = text.trim();
  const hex = t.startsWith('0x') ? t.slice(2) : t;
  if (/^[0-9a-fA-F]{64}$/.test(hex)) return hex.toLowerCase();
  return readToken(t).idHex;
}

async function revoke(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { ...BUCKET_FLAGS, bucket: { type: 'string' } }, allowPositionals: true });
  // Named on the command line only: revoking whatever DDC_TOKEN holds by accident cannot be undone.
  const text = positionals[0];
  if (positionals.length !== 1 || !text) throw usage(`expected one token (its ddct1… text) or token id (64 hex).\n  ${revokeHelp}`);
  const id = tokenIdOf(text);
  let bucket = bucketFlag(values.bucket);
  if (text.trim().startsWith('ddct1')) {
    const t = readToken(text);
    if (bucket !== undefined && bucket !== t.bucket) throw new DdcError('DDC_TOKEN_WRONG_BUCKET', `the token is for bucket ${t.bucket}, not ${bucket}`, { hint: 'Leave --bucket out or name the token\'s bucket' });
    bucket = t.bucket;
  }
  if (bucket === undefined) throw usage(`--bucket is required with a token id.\n  ${revokeHelp}`);
  const keys = (await userKeysFor(values, true))!;
  const ledger = await ownerLedger(values, keys);
  const tx = await revokeToken(ledger, bucket, id);
  if (values.json) printJson({ bucket, tokenId: id, hash: tx.hash, blockNumber: tx.blockNumber, gasUsed: tx.gasUsed });
  else process.stdout.write(`token ${id} revoked in bucket ${bucket}\n  tx   ${tx.hash}\n  gas  ${tx.gasUsed}\n`);
  return 0;
}

async function inspect(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, token: { type: 'string' } }, allowPositionals: true });
  const text = positionals[0] ?? tokenTextOf(values);
  if (positionals.length > 1 || !text) throw usage(`expected one token.\n  ${inspectHelp}`);
  const t = readToken(text);
  if (values.json) printJson(tokenJson(t));
  else process.stdout.write(`token ${t.idHex} (${t.bytes.length} bytes, signatures verified)\n${formatChain(describeChain(t))}`);
  return 0;
}

const SUBCOMMANDS: Record<string, (argv: string[]) => Promise<number>> = { grant, revoke, inspect };

export async function tokenCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const run = sub ? SUBCOMMANDS[sub] : undefined;
  if (!run) throw usage(`expected "ddc token grant|revoke|inspect".\n  ${tokenHelp}`);
  return run(rest);
}

