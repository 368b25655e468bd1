/**
 * `ddc share ddc://B/KEY --to DDCID`: the recipient gets a data key for the object (a new
 * record version with their EDEK) and a token for it, printed for you to pass on.
 * `ddc unshare ddc://B/KEY --from DDCID --token T...`: revokes those tokens on the ledger,
 * re-encrypts the object for the remaining readers and purges the old versions. What they
 * already read, or a data key they already opened, cannot be taken back.
 */
import { parseArgs } from 'node:util';
import { parsePublicIdentity, tokenFromText } from '@ddc/core';
import { printJson } from '../output.js';
import { usage } from '../errors.js';
import { BUCKET_FLAGS } from '../objects/context.js';
import { openBucket } from '../objects/open.js';
import { formatDdcUrl, isDdcUrl, parseDdcUrl } from '../objects/url.js';
import { parseTimeFlag, isoSeconds } from '../objects/times.js';
import { parseOps } from '../objects/token-text.js';
import { shareHelp, unshareHelp } from '../objects/help.js';

export const DEFAULT_SHARE_LIFETIME = '7d';

function identityFlag(name: string, text: string | undefined, help: string) {
  if (!text) throw usage(`--${name} is required: the public identity (ddcid1…, from \`ddc keys export-public\`).\n  ${help}`);
  return parsePublicIdentity(text);
}

export async function shareCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...BUCKET_FLAGS, to: { type: 'string' }, expires: { type: 'string' }, ops: { type: 'string' } },
    allowPositionals: true,
  });
  const [target] = positionals;
  if (positionals.length !== 1 || !target || !isDdcUrl(target)) throw usage(`expected one ddc:// URL.\n  ${shareHelp}`);
  const url = parseDdcUrl(target, { requireKey: true });
  const to = identityFlag('to', values.to, shareHelp);
  const expiresAt = parseTimeFlag('expires', values.expires ?? DEFAULT_SHARE_LIFETIME);
  const ops = values.ops ? parseOps(values.ops) : undefined;
  const open = await openBucket(values, url.bucket, { needKeys: true });
  try {
    const r = await open.bucket.share(url.key, to, { expiresAt, ...(ops ? { ops } : {}) });
    const token = tokenFromText(r.token);
    if (values.json) printJson({ url: formatDdcUrl(url), to: values.to, token: r.token, tokenId: token.idHex, version: r.version, ops: token.ops, expiry: isoSeconds(token.expiry) });
    else {
      process.stdout.write(`${r.token}\n`);
      process.stderr.write(`ddc: give the recipient this token and ${formatDdcUrl(url)}; it allows ${token.ops.join(',')} until ${isoSeconds(token.expiry)} (token id ${token.idHex})\n`);
    }
    return 0;
  } finally {
    await open.close();
  }
}

export async function unshareCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...BUCKET_FLAGS, from: { type: 'string' }, token: { type: 'string', multiple: true } },
    allowPositionals: true,
  });
  const [target] = positionals;
  if (positionals.length !== 1 || !target || !isDdcUrl(target)) throw usage(`expected one ddc:// URL.\n  ${unshareHelp}`);
  const url = parseDdcUrl(target, { requireKey: true });
  const from = identityFlag('from', values.from, unshareHelp);
  const revokeTokens = (values.token ?? []).map((t) => tokenFromText(t.trim()));
  const open = await openBucket({ ...values, token: undefined }, url.bucket, { asOwner: true });
  try {
    const r = await open.bucket.unshare(url.key, from, { revokeTokens });
    if (values.json) printJson({ url: formatDdcUrl(url), from: values.from, version: r.version, purged: r.purged, revoked: r.revoked });
    else {
      process.stdout.write(`${formatDdcUrl(url)}  now version ${r.version}, re-encrypted for the remaining readers\n`);
      process.stdout.write(`  revoked ${r.revoked.length} token(s)${r.revoked.length ? `: ${r.revoked.join(', ')}` : ''}\n  purged ${r.purged.length} old version(s)\n`);
      if (r.revoked.length === 0) process.stderr.write('ddc: no token revoked (none given with --token): tokens they hold still let them fetch the new version, which they cannot decrypt\n');
    }
    return 0;
  } finally {
    await open.close();
  }
}
