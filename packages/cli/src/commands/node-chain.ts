/** `ddc node register|bond|join|chill|activate|unbond|leave|show`: a storage node's life on the ledger. */
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { DdcError, decodeKeyFile } from '@ddc/core';
import type { Hex } from 'viem';
import { activate, bond, chill, formatCere, getNode, joinCluster, leave, nodeIdFromKey, parseCere, registerNode, unbond } from '@ddc/ledger';
import { printJson } from '../output.js';
import { usage } from '../errors.js';
import { LEDGER_FLAGS, clusterIdFlag, ledgerFor, plain } from '../ledger/context.js';
import { nodeChainHelp } from '../ledger/help.js';



/** The node's public key from --node-key HEX, or from its identity.key file (only the public half is used). */
async function nodeKeyFrom(hex: string | undefined, identity: string | undefined): Promise<Hex> {
  if (hex && identity) throw usage('give --node-key or --identity, not both');
  if (identity) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(identity));
    } catch (cause) {
      throw new DdcError('DDC_KEY_INVALID', `cannot read the node identity file ${identity}`, { cause, hint: "Point --identity at the node's identity.key in its data folder" });
    }
    return `0x${Buffer.from(decodeKeyFile(bytes, identity).publicKey).toString('hex')}`;
  }
  if (!hex) throw usage(`--node-key HEX (the node's Ed25519 public key, as in its /info) or --identity FILE is required.\n  ${nodeChainHelp}`);
  return (hex.startsWith('0x') ? hex : `0x${hex}`) as Hex;
}

export async function nodeChainCommand(sub: string, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { ...LEDGER_FLAGS, 'node-key': { type: 'string' }, identity: { type: 'string' }, url: { type: 'string' }, zone: { type: 'string' }, capacity: { type: 'string' }, 'cluster-id': { type: 'string' } },
    allowPositionals: true,
  });
  const json = values.json === true;
  const nodeKey = await nodeKeyFrom(values['node-key'], values.identity);
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
