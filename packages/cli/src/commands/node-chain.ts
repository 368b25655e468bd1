/** `ddc node register|bond|join|chill|activate|unbond|leave|show`: a storage node's life on the ledger. */
import { parseArgs } from 'node:util';
import type { Hex } from 'viem';
import { activate, bond, chill, formatCere, getNode, joinCluster, leave, nodeIdFromKey, parseCere, registerNode, unbond } from '@ddc/ledger';
import { printJson } from '../output.js';
import { usage } from '../errors.js';
import { LEDGER_FLAGS, clusterIdFlag, ledgerFor, plain } from '../ledger/context.js';
import { nodeChainHelp } from '../ledger/help.js';



export async function nodeChainCommand(sub: string, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...LEDGER_FLAGS, 'node-key': { type: 'string' }, url: { type: 'string' }, zone: { type: 'string' }, capacity: { type: 'string' }, 'cluster-id': { type: 'string' } },
    allowPositionals: true,
  });
  const json = values.json === true;
  const raw = values['node-key'];
  if (!raw) throw usage(`--node-key HEX (the node's Ed25519 public key, as in its /info) is required.\n  ${nodeChainHelp}`);
  const nodeKey = (raw.startsWith('0x') ? raw : `0x${raw}`) as Hex;
  if (sub !== 'bond' && positionals.length) throw usage(`node ${sub} takes no positional arguments.\n  ${nodeChainHelp}`);
  const ledger = await ledgerFor(values, { write: sub !== 'show', json });
  const done = async (text: string) => {
    const n = await getNode(ledger, nodeKey);
    if (json) printJson(plain({ id: nodeIdFromKey(n.nodeKey), ...n, bond: formatCere(n.bond) }));
    else process.stdout.write(`${text ? `${text}\n` : ''}node ${nodeIdFromKey(n.nodeKey)}: ${n.status}${n.clusterId ? ` in cluster ${n.clusterId}` : ''}, bond ${formatCere(n.bond)} CERE, ${n.zone} ${n.url}${n.status === 'unbonding' ? `, may leave from ${new Date(Number(n.unlockAt) * 1000).toISOString()}` : ''}\n`);
    return 0;
  };
  switch (sub) {
    case 'register': {
      if (!values.url || !values.zone) throw usage(`--url URL and --zone Z are required.\n  ${nodeChainHelp}`);
      if (values.capacity !== undefined && !/^\d+$/.test(values.capacity)) throw usage('--capacity must be a whole number of bytes');
      await registerNode(ledger, { nodeKey, url: values.url, zone: values.zone, capacity: BigInt(values.capacity ?? 0) });
      return done('registered');
    }
    case 'bond': {
      if (positionals.length !== 1) throw usage(`expected one amount of CERE.\n  ${nodeChainHelp}`);
      await bond(ledger, nodeKey, parseCere(positionals[0]!));
      return done('bonded');
    }
    case 'join':
      await joinCluster(ledger, nodeKey, clusterIdFlag(values['cluster-id']));
      return done('joined');
    case 'chill':
      await chill(ledger, nodeKey);
      return done('chilled: no new data is placed on the node');
    case 'activate':
      await activate(ledger, nodeKey);
      return done('active again');
    case 'unbond':
      await unbond(ledger, nodeKey);
      return done('unbonding: the cluster moves its data away during the delay');
    case 'leave':
      await leave(ledger, nodeKey);
      return done('left: bond returned');
    case 'show':
      return done('');
    default:
      throw usage(`unknown node subcommand "${sub}".\n  ${nodeChainHelp}`);
  }
}
