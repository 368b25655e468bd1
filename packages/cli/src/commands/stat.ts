import { parseArgs } from 'node:util';
import type { PieceReport } from '@ddc/client';
import { clientFor, interruptSignal } from '../context.js';
import { ProgressBar, formatBytes, printJson } from '../output.js';
import { usage } from '../errors.js';
import { statHelp, verifyHelp } from './help.js';

function describePiece(p: PieceReport): string {
  const kind = p.replicated ? `replicated x${p.shards.length}` : `RS(${p.k},${p.m})`;
  const lines = [`  piece ${p.cid}  ${formatBytes(p.length)}  ${kind}`];
  for (const s of p.shards) lines.push(`    shard ${s.index}  ${s.status.padEnd(11)} ${s.nodeId} (${s.zone}) ${s.url}${s.detail ? `  ${s.detail}` : ''}`);
  return lines.join('\n');
}

async function inspect(argv: string[], deep: boolean): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { cluster: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true });
  if (positionals.length !== 1) throw usage(`expected one CID.\n  ${deep ? verifyHelp : statHelp}`);
  const client = await clientFor(values.cluster);
  try {
    const bar = new ProgressBar(deep ? 'verify' : 'stat', undefined, !values.json && process.stderr.isTTY === true && deep);
    const options = { signal: interruptSignal(), onProgress: (p: { bytes: number }) => bar.update(p.bytes) };
    const r = deep ? await client.verify(positionals[0]!, options) : { ...(await client.stat(positionals[0]!, options)), healthy: undefined };
    bar.done();
    const shards = r.pieces.flatMap((p) => p.shards);
    const bad = shards.filter((s) => s.status !== 'ok' && s.status !== 'present');
    const unreadable = 'unreadable' in r ? r.unreadable : [];
    if (values.json) {
      printJson({ cid: r.cid.toString(), size: r.size, ...(deep ? { healthy: r.healthy } : {}), pieces: r.pieces, unreadable });
    } else {
      process.stdout.write(`${r.cid.toString()}\n  size ${r.size} bytes (${formatBytes(r.size)}), ${r.pieces.length} pieces, ${shards.length} shards\n`);
      for (const p of r.pieces) process.stdout.write(`${describePiece(p)}\n`);
      for (const u of unreadable) process.stdout.write(`  UNREADABLE ${u.cid}: ${u.code}: ${u.message}\n`);
      if (deep) {
        process.stdout.write(r.healthy ? `healthy: all ${shards.length} shards present and verified\n` : `NOT healthy: ${bad.length} of ${shards.length} shards missing or bad${unreadable.length ? `, ${unreadable.length} piece(s) unreadable` : ''}\n`);
        for (const s of bad) process.stdout.write(`  ${s.status}: shard ${s.index} of a piece on ${s.nodeId}${s.detail ? ` (${s.detail})` : ''}\n`);
      }
    }
    return deep && !r.healthy ? 1 : 0;
  } finally {
    await client.close();
  }
}

export const statCommand = (argv: string[]) => inspect(argv, false);
export const verifyCommand = (argv: string[]) => inspect(argv, true);
