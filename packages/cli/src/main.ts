/** `ddc`: every command is a thin layer over the SDK or the node package. */
import { reportError } from './output.js';
import { usage, UsageError } from './errors.js';
import { auditHelp, clusterHelp, devHelp, gatewayHelp, getHelp, keysHelp, nodeHelp, putHelp, statHelp, verifyHelp } from './commands/help.js';
import { auditCommand, clusterCommand, devCommand, gatewayCommand, getCommand, keysCommand, nodeCommand, putCommand, statCommand, verifyCommand } from './commands/lazy.js';
import { bucketHelp, chainHelp, depositHelp } from './ledger/help.js';
import { balanceCommand, bucketCommand, chainCommand, depositCommand, unlockCommand, withdrawCommand } from './ledger/lazy.js';
import { objectsHelp, objectsNote } from './objects/help.js';
import { cpCommand, lsCommand, rmCommand, shareCommand, tokenCommand, unshareCommand } from './objects/lazy.js';

const HELP = `ddc: the DDC command line

  ${devHelp}
  ${nodeHelp}
  ${putHelp}
  ${getHelp}
  ${statHelp}
  ${verifyHelp}
  ${clusterHelp}
  ${auditHelp}
  ${keysHelp}
  ${gatewayHelp}
  ${chainHelp}
  ${bucketHelp}
  ${depositHelp}
  ${objectsHelp}

${objectsNote}
Commands that talk to a cluster read ./.ddc/cluster.json unless --cluster FILE or DDC_CLUSTER says otherwise.
--json prints one JSON document on stdout (errors too: {"error":{"code","message"}}).
`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  dev: devCommand,
  node: nodeCommand,
  put: putCommand,
  get: getCommand,
  stat: statCommand,
  verify: verifyCommand,
  cluster: clusterCommand,
  audit: auditCommand,
  keys: keysCommand,
  gateway: gatewayCommand,
  chain: chainCommand,
  bucket: bucketCommand,
  deposit: depositCommand,
  unlock: unlockCommand,
  withdraw: withdrawCommand,
  balance: balanceCommand,
  ls: lsCommand,
  rm: rmCommand,
  cp: cpCommand,
  share: shareCommand,
  unshare: unshareCommand,
  token: tokenCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const json = rest.includes('--json');
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(HELP);
    return name ? 0 : 2;
  }
  try {
    const command = COMMANDS[name];
    if (!command) throw usage(`unknown command "${name}"`);
    return await command(rest);
  } catch (e) {
    // parseArgs throws TypeErrors with a code for unknown or malformed flags.
    if (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS')) return reportError(new UsageError(e.message), json);
    return reportError(e, json);
  }
}
