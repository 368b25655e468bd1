import { parseArgs } from 'node:util';
import { DevCluster } from '../dev/cluster-runner.js';
import { DEFAULT_DATA_DIR } from '../context.js';
import { printJson } from '../output.js';
import { usage } from '../errors.js';
import { devKeystorePath } from '../identity/keystore-file.js';
import { startDevGateway } from '../dev/dev-gateway.js';
import { devHelp } from './help.js';

function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw usage(`--${name} takes a whole number`);
  return n;
}

export async function devCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' }, nodes: { type: 'string' }, zones: { type: 'string' }, k: { type: 'string' }, m: { type: 'string' }, json: { type: 'boolean' }, 'no-chain': { type: 'boolean' }, 'no-gateway': { type: 'boolean' },
    },
    allowPositionals: true,
  });
  if (positionals.length) throw usage(`unexpected ${positionals.join(' ')}.\n  ${devHelp}`);
  const opts = { dataDir: values.data ?? DEFAULT_DATA_DIR } as Parameters<typeof DevCluster.start>[0];
  for (const f of ['nodes', 'zones', 'k', 'm'] as const) {
    const n = int(f, values[f]);
    if (n !== undefined) opts[f] = n;
  }
  // With the chain (the default) membership lives on chain: nodes follow it, cluster.json mirrors it.
  if (!values['no-chain']) opts.chain = { log: (line) => process.stderr.write(`ddc dev: ${line}\n`) };
  const cluster = await DevCluster.start(opts);
  const d = cluster.descriptor();
  const chain = cluster.chain;
  // The gateway after the cluster: it reads membership from the chain the cluster just joined.
  const gateway = values['no-gateway'] ? undefined : await startDevGateway(cluster, (line) => process.stderr.write(`ddc dev: ${line}\n`)).catch(async (e: unknown) => {
    await cluster.stop();
    throw e;
  });
  cluster.onNodeExit = (node, code, signal) => process.stderr.write(`ddc dev: node ${node.id} exited (${signal ?? `code ${code}`}); the cluster keeps serving from the others\n`);
  if (values.json) {
    printJson({
      event: 'ready', dataDir: cluster.dir, clusterFile: cluster.clusterFile, keystore: devKeystorePath(cluster.dir), k: d.k, m: d.m, nodes: d.nodes,
      ...(gateway ? { gateway: { endpoint: gateway.info.endpoint, file: gateway.file } } : {}),
      ...(chain ? { chain: { rpcUrl: chain.chain.rpcUrl, chainId: chain.chain.chainId, deployment: chain.chain.deploymentFile, chainFile: cluster.chainFile, clusterId: chain.clusterId, mnemonic: chain.chain.mnemonic } } : {}),
    });
  } else {
    const flag = values.data ? ` --cluster ${cluster.clusterFile}` : '';
    const ledgerFlags = values.data && chain ? ` --rpc ${chain.chain.rpcUrl} --deployment ${chain.chain.deploymentFile}` : '';
    const chainLines = chain
      ? [
        `Dev chain: ${chain.chain.rpcUrl} (chain id ${chain.chain.chainId}), contracts in ${chain.chain.deploymentFile}, cluster ${chain.clusterId}`,
        `  dev mnemonic (public, dev only): ${chain.chain.mnemonic}`,
        `  dev account 0 ${chain.chain.accounts[0]!.address} manages the cluster and provides the nodes; every dev account holds CERE`,
        `Membership comes from the chain; ${cluster.clusterFile} mirrors it for descriptor readers.`,
      ]
      : [`Cluster descriptor: ${cluster.clusterFile}`];
    process.stdout.write(
      [
        `DDC dev cluster: ${d.nodes.length} nodes, k=${d.k}, m=${d.m}, data in ${cluster.dir}`,
        ...d.nodes.map((n) => `  ${chain ? `${cluster.nodeByMemberId(n.id)?.id ?? '?'}  ` : ''}${n.id}  ${n.zone}  ${n.url}`),
        ...chainLines,
        ...(gateway ? [`Gateway: ${gateway.info.endpoint} (S3, /ddc/<bucket>/<key>, /ipfs/<cid>); its S3 access key is in ${gateway.file}`] : []),
        `Keystore: ${devKeystorePath(cluster.dir)} (made with the public dev phrase and no passphrase unless one was there; \`ddc keys show\`)`,
        '',
        'Next, in another terminal:',
        `  npx ddc put ./some-file${flag}          # prints the root CID`,
        `  npx ddc get <cid> -o copy${flag}        # verified byte for byte`,
        `  npx ddc stat <cid>${flag}               # pieces and where each shard lives`,
        `  npx ddc verify <cid>${flag}             # checks every shard`,
        ...(chain
          ? [
            `  npx ddc cluster show ${chain.clusterId}${ledgerFlags}      # the cluster on chain`,
            `  npx ddc node show --node-key 0x${cluster.nodes.values().next().value?.publicKey ?? '<key>'}${ledgerFlags}`,
            `  npx ddc bucket create${ledgerFlags}         # signed by dev account 0 on the dev chain`,
          ]
          : []),
        '',
        `Ctrl-C stops the cluster${chain ? ' and the chain' : ''}; the data${chain ? ' and the chain state' : ''} stay for the next start.`,
        '',
      ].join('\n'),
    );
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.stderr.write(`ddc dev: stopping nodes${chain ? ' and the chain' : ''}...\n`);
  await gateway?.gateway.close();
  await cluster.stop();
  process.stderr.write('ddc dev: stopped; data kept in ' + cluster.dir + '\n');
  return 0;
}
