/** `ddc get ddc://BUCKET/KEY`: an object's bytes (decrypted and verified by the SDK) to stdout or -o FILE. */
import { parseArgs } from 'node:util';
import { interruptSignal } from '../context.js';
import { ProgressBar, printJson } from '../output.js';
import { usage } from '../errors.js';
import { BUCKET_FLAGS } from '../objects/context.js';
import { openBucket } from '../objects/open.js';
import { formatDdcUrl, isDdcUrl, parseDdcUrl } from '../objects/url.js';
import { writeStream } from '../objects/output-file.js';
import { parseRange } from './get.js';
import { objectGetHelp } from '../objects/help.js';


export async function objectGetCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...BUCKET_FLAGS, output: { type: 'string', short: 'o' }, version: { type: 'string' }, range: { type: 'string' } },
    allowPositionals: true,
  });
  const [source] = positionals;
  if (positionals.length !== 1 || !source || !isDdcUrl(source)) throw usage(`expected one ddc:// URL.\n  ${objectGetHelp}`);
  const url = parseDdcUrl(source, { requireKey: true });
  const range = values.range ? parseRange(values.range) : undefined;
  const open = await openBucket(values, url.bucket);
  const signal = interruptSignal();
  try {
    let written = 0;
    const showBar = !values.json && process.stderr.isTTY === true && values.output !== undefined;
    let bar: ProgressBar | undefined;
    const { record, body } = await open.bucket.get(url.key, {
      signal,
      ...(values.version !== undefined ? { version: values.version } : {}),
      ...(range ? { range } : {}),
    });
    const size = range ? Math.max(0, Math.min(range.length ?? Infinity, record.size - range.offset)) : record.size;
    bar = new ProgressBar('get', size, showBar);
    // Count plaintext as it leaves (the SDK's onProgress counts ciphertext for encrypted objects).
    const counted = body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, c) {
        written += chunk.length;
        bar?.update(written);
        c.enqueue(chunk);
      },
    }));
    await writeStream(counted, values.output);
    bar.update(written, true);
    bar.done();
    if (values.json && values.output !== undefined) {
      printJson({ url: formatDdcUrl(url), version: record.version, cid: record.cid, bytes: written, contentType: record.contentType, encrypted: record.encryption !== null, output: values.output });
    }
    return 0;
  } finally {
    await open.close();
  }
}
