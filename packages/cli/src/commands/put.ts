import { parseArgs } from 'node:util';
import { clientFor, interruptSignal } from '../context.js';
import { ProgressBar, printJson } from '../output.js';
import { usage } from '../errors.js';
import { isDdcUrl } from '../objects/url.js';
import { objectPutCommand } from '../objects/lazy.js';
import { inputFileSize } from '../input-file.js';
import { putHelp } from './help.js';

export async function putCommand(argv: string[]): Promise<number> {
  // `ddc put FILE ddc://B/KEY` stores an object under a key; `ddc put FILE` stays content-addressed.
  if (argv.some(isDdcUrl)) return objectPutCommand(argv);
  const { values, positionals } = parseArgs({ args: argv, options: { cluster: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true });
  if (positionals.length !== 1) throw usage(`expected one file.\n  ${putHelp}`);
  const path = positionals[0]!;
  const total = await inputFileSize(path);
  const client = await clientFor(values.cluster);
  const bar = new ProgressBar('put', total, !values.json && process.stderr.isTTY === true);
  try {
    const result = await client.put(path === '-' ? process.stdin : path, { signal: interruptSignal(), onProgress: (p) => bar.update(p.bytes) });
    bar.update(result.size, true);
    bar.done();
    if (values.json) {
      printJson({ cid: result.cid.toString(), size: result.size, ...(result.missingShards.length ? { missingShards: result.missingShards } : {}) });
    } else {
      process.stdout.write(`${result.cid.toString()}\n`);
      if (result.missingShards.length) {
        process.stderr.write(`warning: ${result.missingShards.length} shard(s) could not be stored now (nodes: ${[...new Set(result.missingShards.map((s) => s.nodeId))].join(', ')}); the write quorum was met and repair will fill them\n`);
      }
    }
    return 0;
  } finally {
    await client.close();
  }
}
