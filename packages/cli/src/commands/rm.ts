/** `ddc rm ddc://BUCKET/KEY [--version V]`: a delete marker (older versions stay), or one version removed for good. */
import { parseArgs } from 'node:util';
import { printJson } from '../output.js';
import { usage } from '../errors.js';
import { BUCKET_FLAGS } from '../objects/context.js';
import { openBucket } from '../objects/open.js';
import { formatDdcUrl, isDdcUrl, parseDdcUrl } from '../objects/url.js';
import { rmHelp } from '../objects/help.js';

export async function rmCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { ...BUCKET_FLAGS, version: { type: 'string' } }, allowPositionals: true });
  const [target] = positionals;
  if (positionals.length !== 1 || !target || !isDdcUrl(target)) throw usage(`expected one ddc:// URL.\n  ${rmHelp}`);
  const url = parseDdcUrl(target, { requireKey: true });
  const text = formatDdcUrl(url);
  const open = await openBucket(values, url.bucket, { needKeys: true });
  try {
    if (values.version === undefined) {
      const r = await open.bucket.delete(url.key);
      if (values.json) printJson({ url: text, deleteMarker: r.version });
      else process.stdout.write(`${text} deleted (delete marker ${r.version}; older versions remain: ddc ls --versions)\n`);
    } else {
      const r = await open.bucket.deleteVersion(url.key, values.version);
      if (values.json) printJson({ url: text, purged: r.purged, purgeRecord: r.version, shards: r.shards });
      else {
        const shards = r.shards ? `; ${r.shards.deleted} shard(s) deleted${r.shards.failed ? `, ${r.shards.failed} could not be` : ''}` : '; its content is kept (shared, or not encrypted)';
        process.stdout.write(`${text} version ${r.purged} removed${shards}\n`);
      }
    }
    return 0;
  } finally {
    await open.close();
  }
}
