/** `ddc put FILE|- ddc://BUCKET/KEY`: a new version of an object (encrypted in a private bucket unless --no-encrypt). */
import { parseArgs } from 'node:util';
import { DEFAULT_CONTENT_TYPE } from '@ddc/core';
import { interruptSignal } from '../context.js';
import { ProgressBar, printJson } from '../output.js';
import { usage } from '../errors.js';
import { BUCKET_FLAGS } from '../objects/context.js';
import { openBucket } from '../objects/open.js';
import { formatDdcUrl, isDdcUrl, parseDdcUrl } from '../objects/url.js';
import { contentTypeFor } from '../objects/content-type.js';
import { objectPutHelp } from '../objects/help.js';
import { inputFileSize } from '../input-file.js';


function metadataOf(pairs: string[] | undefined): Record<string, string> | undefined {
  if (!pairs?.length) return undefined;
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw usage(`--meta takes KEY=VALUE, got "${p}"`);
    out[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return out;
}

export async function objectPutCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      ...BUCKET_FLAGS, 'content-type': { type: 'string' }, meta: { type: 'string', multiple: true }, reader: { type: 'string', multiple: true },
      'no-encrypt': { type: 'boolean' },
    },
    allowPositionals: true,
  });
  const [path, target] = positionals;
  if (positionals.length !== 2 || !path || !target || !isDdcUrl(target)) throw usage(`expected a file (or -) and a ddc:// URL.\n  ${objectPutHelp}`);
  const url = parseDdcUrl(target, { requireKey: true });
  const total = await inputFileSize(path);
  const contentType = values['content-type'] ?? (path === '-' ? undefined : contentTypeFor(path));
  const metadata = metadataOf(values.meta);
  const open = await openBucket(values, url.bucket, { needKeys: true });
  const bar = new ProgressBar('put', total, !values.json && process.stderr.isTTY === true);
  try {
    const r = await open.bucket.put(url.key, path === '-' ? process.stdin : path, {
      signal: interruptSignal(),
      onProgress: (p) => bar.update(p.bytes),
      ...(contentType !== undefined ? { contentType } : {}),
      ...(metadata ? { metadata } : {}),
      ...(values.reader?.length ? { readers: values.reader } : {}),
      ...(values['no-encrypt'] ? { encrypt: false } : {}),
    });
    bar.update(r.size, true);
    bar.done();
    // The SDK's rule (memoized, no second lookup): encrypted unless asked not to or the bucket is public.
    const encrypted = values['no-encrypt'] ? false : !(await open.bucket.isPublic());
    const text = formatDdcUrl(url);
    if (values.json) printJson({ url: text, bucket: url.bucket, key: url.key, version: r.version, cid: r.cid, size: r.size, contentType: contentType ?? DEFAULT_CONTENT_TYPE, encrypted });
    else process.stdout.write(`${text}  version ${r.version}  ${r.size} bytes  ${encrypted ? 'encrypted' : 'plaintext'}  ${r.cid}\n`);
    return 0;
  } finally {
    await open.close();
  }
}
