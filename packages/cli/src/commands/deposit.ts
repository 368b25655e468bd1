/** `ddc deposit|unlock|withdraw|balance`: customer deposits for a cluster. */
import { parseArgs } from 'node:util';
import { deposit, depositBalance, formatCere, parseCere, tokenBalance, unlock, withdraw } from '@ddc/ledger';
import { printJson } from '../output.js';
import { usage } from '../errors.js';
import { LEDGER_FLAGS, clusterIdFlag, ledgerFor } from '../ledger/context.js';
import { depositHelp } from '../ledger/help.js';


function parse(argv: string[]) {
  return parseArgs({ args: argv, options: { ...LEDGER_FLAGS, 'cluster-id': { type: 'string' }, account: { type: 'string' } }, allowPositionals: true });
}

function amountArg(positionals: string[], verb: string): bigint {
  if (positionals.length !== 1) throw usage(`expected one amount of CERE: ddc ${verb} AMOUNT.\n  ${depositHelp}`);
  return parseCere(positionals[0]!);
}

async function report(ledgerArgs: Parameters<typeof ledgerFor>[0], json: boolean, clusterId: number, account: `0x${string}` | undefined, action: string): Promise<number> {
  const ledger = await ledgerFor(ledgerArgs, { write: account === undefined, json });
  const who = account ?? ledger.account?.address;
  if (!who) throw usage('give --account ADDR, or a signing key (DDC_PRIVATE_KEY)');
  const [b, wallet] = await Promise.all([depositBalance(ledger, who, clusterId), tokenBalance(ledger, who)]);
  const unlockAt = b.unlockAt === 0n ? null : new Date(Number(b.unlockAt) * 1000).toISOString();
  if (json) printJson({ account: who, clusterId, available: formatCere(b.available), unlocking: formatCere(b.unlocking), unlockAt, wallet: formatCere(wallet), ...(action ? { action } : {}) });
  else {
    if (action) process.stdout.write(`${action}\n`);
    process.stdout.write(`${who} in cluster ${clusterId}\n  available  ${formatCere(b.available)} CERE\n  unlocking  ${formatCere(b.unlocking)} CERE${unlockAt ? ` (withdrawable from ${unlockAt})` : ''}\n  wallet     ${formatCere(wallet)} CERE\n`);
  }
  return 0;
}

export async function depositCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  const json = values.json === true;
  const amount = amountArg(positionals, 'deposit');
  const clusterId = clusterIdFlag(values['cluster-id']);
  const ledger = await ledgerFor(values, { write: true, json });
  await deposit(ledger, clusterId, amount);
  return report(values, json, clusterId, ledger.account!.address, `deposited ${formatCere(amount)} CERE`);
}

export async function unlockCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  const json = values.json === true;
  const amount = amountArg(positionals, 'unlock');
  const clusterId = clusterIdFlag(values['cluster-id']);
  const ledger = await ledgerFor(values, { write: true, json });
  await unlock(ledger, clusterId, amount);
  return report(values, json, clusterId, ledger.account!.address, `unlocking ${formatCere(amount)} CERE`);
}

export async function withdrawCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  if (positionals.length) throw usage(`withdraw takes no amount: it withdraws everything unlocked.\n  ${depositHelp}`);
  const json = values.json === true;
  const clusterId = clusterIdFlag(values['cluster-id']);
  const ledger = await ledgerFor(values, { write: true, json });
  const before = await depositBalance(ledger, ledger.account!.address, clusterId);
  await withdraw(ledger, clusterId);
  return report(values, json, clusterId, ledger.account!.address, `withdrew ${formatCere(before.unlocking)} CERE`);
}

export async function balanceCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  if (positionals.length) throw usage(`balance takes no arguments.\n  ${depositHelp}`);
  return report(values, values.json === true, clusterIdFlag(values['cluster-id']), values.account as `0x${string}` | undefined, '');
}
