import { parseArgs } from 'node:util';
import { runNodeFromConfigFile } from '@ddc/node';
import { usage } from '../errors.js';
import { NODE_CHAIN_SUBCOMMANDS } from '../ledger/help.js';
import { nodeChainCommand } from '../ledger/lazy.js';
import { tuneServerHeap } from '../runtime/server-heap.js';
import { nodeHelp } from './help.js';

export async function nodeCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub && NODE_CHAIN_SUBCOMMANDS.includes(sub)) return nodeChainCommand(sub, rest);
  if (sub !== 'start') throw usage(`expected "ddc node start|${NODE_CHAIN_SUBCOMMANDS.join('|')}".\n  ${nodeHelp}`);
  const { values, positionals } = parseArgs({ args: rest, options: { config: { type: 'string' } }, allowPositionals: true });
  if (!values.config || positionals.length) throw usage(`--config FILE is required.\n  ${nodeHelp}`);
  tuneServerHeap();
  const node = await runNodeFromConfigFile(values.config);
  // Started by `ddc dev` with an IPC channel: stop when the parent goes away, even if it was killed.
  if (process.send) process.once('disconnect', () => void node.close().then(() => process.exit(0)));
  await node.closed;
  // The IPC channel would keep this process alive after the node has stopped.
  if (process.connected) process.disconnect();
  return 0;
}
