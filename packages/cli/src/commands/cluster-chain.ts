/** `ddc cluster create|show`: clusters on the ledger (`ddc cluster health` lives in cluster-health.ts). */
import { parseArgs } from 'node:util';
import { createCluster, formatCere, getCluster, getClusterNodes, nodeIdFromKey, parseCere, type ClusterTerms } from '@ddc/ledger';
import { printJson } from '../output.js';
import { usage } from '../errors.js';
import { LEDGER_FLAGS, intFlag, ledgerFor, plain } from '../ledger/context.js';
import { clusterCreateHelp, clusterShowHelp } from '../ledger/help.js';


const TERM_FLAGS = {
  k: { type: 'string' },
  m: { type: 'string' },
  'replication-threshold': { type: 'string' },
  'node-bond': { type: 'string' },
  'unbonding-delay': { type: 'string' },
  'deposit-unlock-delay': { type: 'string' },
  'price-gb-month': { type: 'string' },
  'price-gb-transferred': { type: 'string' },
  'price-million-requests': { type: 'string' },
  'treasury-bps': { type: 'string' },
  'validator-bps': { type: 'string' },
  'reserve-bps': { type: 'string' },
} as const;

export async function clusterCreateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: { ...LEDGER_FLAGS, ...TERM_FLAGS }, allowPositionals: true });
  if (positionals.length) throw usage(`cluster create takes flags only.\n  ${clusterCreateHelp}`);
  const json = values.json === true;
  const layout = { k: intFlag('k', values.k), m: intFlag('m', values.m), replicationThreshold: intFlag('replication-threshold', values['replication-threshold'], 65536) };
  const terms: ClusterTerms = {
    pricePerGbMonth: parseCere(values['price-gb-month'] ?? '0'),
    pricePerGbTransferred: parseCere(values['price-gb-transferred'] ?? '0'),
    pricePerMillionRequests: parseCere(values['price-million-requests'] ?? '0'),
    treasuryBps: intFlag('treasury-bps', values['treasury-bps'], 0),
    validatorBps: intFlag('validator-bps', values['validator-bps'], 0),
    reserveBps: intFlag('reserve-bps', values['reserve-bps'], 0),
    nodeBond: parseCere(values['node-bond'] ?? '100'),
    unbondingDelay: intFlag('unbonding-delay', values['unbonding-delay'], 3600),
    depositUnlockDelay: intFlag('deposit-unlock-delay', values['deposit-unlock-delay'], 3600),
  };
  const r = await createCluster(await ledgerFor(values, { write: true, json }), { layout, terms });
  if (json) printJson({ clusterId: r.clusterId });
  else process.stdout.write(`cluster ${r.clusterId} created: k=${layout.k}, m=${layout.m}, node bond ${formatCere(terms.nodeBond)} CERE\n`);
  return 0;
}

export async function clusterShowCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, options: LEDGER_FLAGS, allowPositionals: true });
  const id = positionals[0] ?? process.env.DDC_CLUSTER_ID ?? '1';
  if (positionals.length > 1 || !/^\d+$/.test(id)) throw usage(`expected one cluster id.\n  ${clusterShowHelp}`);
  const ledger = await ledgerFor(values, { write: false, json: values.json === true });
  const [c, nodes] = await Promise.all([getCluster(ledger, Number(id)), getClusterNodes(ledger, Number(id))]);
  const list = nodes.map((n) => ({ id: nodeIdFromKey(n.nodeKey), nodeKey: n.nodeKey, status: n.status, url: n.url, zone: n.zone, bond: formatCere(n.bond), capacity: n.capacity, provider: n.provider }));
  if (values.json) {
    printJson(plain({ ...c, nodes: list }));
    return 0;
  }
  const t = c.terms;
  process.stdout.write(
    `cluster ${c.clusterId} (manager ${c.manager})\n` +
      `  layout     k=${c.layout.k} m=${c.layout.m}, pieces under ${c.layout.replicationThreshold} bytes replicated ${c.layout.m + 1}x\n` +
      `  prices     ${formatCere(t.pricePerGbMonth)} CERE/GB-month, ${formatCere(t.pricePerGbTransferred)} CERE/GB transferred, ${formatCere(t.pricePerMillionRequests)} CERE/million requests\n` +
      `  shares     treasury ${t.treasuryBps / 100}%, validators ${t.validatorBps / 100}%, reserve ${t.reserveBps / 100}%\n` +
      `  nodes      bond ${formatCere(t.nodeBond)} CERE, unbonding delay ${t.unbondingDelay} s; deposit unlock delay ${t.depositUnlockDelay} s\n` +
      `  members    ${list.filter((n) => n.status === 'active').length} active of ${list.length}\n`,
  );
  for (const n of list) process.stdout.write(`    ${n.id}  ${n.status.padEnd(9)} ${n.zone.padEnd(8)} ${n.url}  bond ${n.bond}\n`);
  return 0;
}
