/** `ddc cluster SUB`: health here; the ledger's create/show plug in beside it. */
import { usage } from '../errors.js';
import { clusterHealthCommand } from './cluster-health.js';
import { clusterCreateCommand, clusterShowCommand } from '../ledger/lazy.js';
import { clusterHelp } from './help.js';

const SUBCOMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  health: clusterHealthCommand,
  create: clusterCreateCommand,
  show: clusterShowCommand,
};

export function registerClusterSubcommand(name: string, run: (argv: string[]) => Promise<number>): void {
  SUBCOMMANDS[name] = run;
}

export async function clusterCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const run = sub ? SUBCOMMANDS[sub] : undefined;
  if (!run) throw usage(`expected "ddc cluster ${Object.keys(SUBCOMMANDS).join('|')}".\n  ${clusterHelp}`);
  return run(rest);
}
