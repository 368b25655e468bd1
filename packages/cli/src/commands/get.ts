import { parseArgs } from 'node:util';
import { clientFor, interruptSignal } from '../context.js';
import { ProgressBar, printJson } from '../output.js';
import { usage } from '../errors.js';
import { isDdcUrl } from '../objects/url.js';
import { objectGetCommand } from '../objects/lazy.js';
import { writeStream } from '../objects/output-file.js';
import { getHelp } from './help.js';

export function parseRange(text: string): { offset: number; length?: number } {
  const m = /^(\d+)-(\d*)$/.exec(text);
  if (!m) throw usage('--range takes START-END (inclusive byte offsets, END optional), e.g. 0-1023');
  const offset = Number(m[1]);
  if (!m[2]) return { offset };
  const end = Number(m[2]);
  if (end < offset) throw usage('--range END must be >= START');
  return { offset, length: end - offset + 1 };
}

export async function getCommand(argv: string[]): Promise<number> {
  if (argv.some(isDdcUrl)) return objectGetCommand(argv);
  const { values, positionals } = parseArgs({
    args: argv,
    options: { output: { type: 'string', short: 'o' }, range: { type: 'string' }, cluster: { type: 'string' }, json: { type: 'boolean' } },
    allowPositionals: true,
  });
  if (positionals.length !== 1) throw usage(`expected one CID.\n  ${getHelp}`);
  const cid = positionals[0]!;
  const range = values.range ? parseRange(values.range) : undefined;
  const client = await clientFor(values.cluster);
  const signal = interruptSignal();
  try {
    const showBar = !values.json && process.stderr.isTTY === true && values.output !== undefined;
    const total = showBar ? await client.size(cid, { signal }) : undefined;
    const bar = new ProgressBar('get', range?.length ?? (total !== undefined ? total - (range?.offset ?? 0) : undefined), showBar);
    let written = 0;
    const stream = client.get(cid, { signal, ...(range ? { range } : {}), onProgress: (p) => bar.update((written = p.bytes)) });
    // To a file: written beside it, fsynced, then renamed, so a failed or cut read leaves no partial file.
    await writeStream(stream, values.output);
    bar.update(written, true);
    bar.done();
    if (values.json && values.output !== undefined) printJson({ cid, bytes: written, output: values.output });
    return 0;
  } finally {
    await client.close();
  }
}
