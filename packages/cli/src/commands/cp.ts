/** `ddc cp ddc://B/KEY ddc://B/KEY2`: a new version of KEY2 with KEY's content and encryption (no bytes move). */
import { parseArgs } from 'node:util';
import { DdcError } from '@ddc/core';
import { printJson } from '../output.js';
import { usage } from '../errors.js';
import { BUCKET_FLAGS } from '../objects/context.js';
import { openBucket } from '../objects/open.js';
import { formatDdcUrl, isDdcUrl, parseDdcUrl } from '../objects/url.js';
import { cpHelp } from '../objects/help.js';

export async function cpCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { ...BUCKET_FLAGS, version: { type: 'string' } }, allowPositionals: true });
  const [from, to] = positionals;
  if (positionals.length !== 2 || !from || !to || !isDdcUrl(from) || !isDdcUrl(to)) throw usage(`expected two ddc:// URLs.\n  ${cpHelp}`);
  const src = parseDdcUrl(from, { requireKey: true });
  const dst = parseDdcUrl(to, { requireKey: true });
  if (src.bucket !== dst.bucket) {
    throw new DdcError('DDC_INVALID_ARGUMENT', `cp copies within one bucket; ${src.bucket} and ${dst.bucket} differ`, {
      hint: `Between buckets: ddc get ${formatDdcUrl(src)} -o FILE, then ddc put FILE ${formatDdcUrl(dst)}`,
    });
  }
  const open = await openBucket(values, src.bucket, { needKeys: true });
  try {
    const r = await open.bucket.copy(src.key, dst.key, values.version !== undefined ? { version: values.version } : {});
    if (values.json) printJson({ from: formatDdcUrl(src), to: formatDdcUrl(dst), version: r.version, cid: r.cid });
    else process.stdout.write(`${formatDdcUrl(dst)}  version ${r.version}  (copy of ${formatDdcUrl(src)})\n`);
    return 0;
  } finally {
    await open.close();
  }
}
