import { parseArgs } from 'node:util';
import { DevCluster } from '../dev/cluster-runner.js';
import { DEFAULT_DATA_DIR } from '../context.js';
import { printJson } from '../output.js';
import { usage } from '../errors.js';

export const devHelp = 'ddc dev [--data DIR] [--nodes N] [--zones Z] [--k K] [--m M] [--json]    run a local cluster (default 6 nodes, 3 zones, k=4, m=2, data in ./.ddc)';

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
      data: { type: 'string' }, nodes: { type: 'string' }, zones: { type: 'string' }, k: { type: 'string' }, m: { type: 'string' }, json: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  if (positionals.length) throw usage(`unexpected ${positionals.join(' ')}.\n  ${devHelp}`);
  const opts = { dataDir: values.data ?? DEFAULT_DATA_DIR } as Parameters<typeof DevCluster.start>[0];
  for (const f of ['nodes', 'zones', 'k', 'm'] as const) {
    const n = int(f, values[f]);
    if (n !== undefined) opts[f] = n;
  }
  const cluster = await DevCluster.start(opts);
  const d = cluster.descriptor();
  cluster.onNodeExit = (node, code, signal) => process.stderr.write(`ddc dev: node ${node.id} exited (${signal ?? `code ${code}`}); the cluster keeps serving from the others\n`);
  if (values.json) {
    printJson({ event: 'ready', dataDir: cluster.dir, clusterFile: cluster.clusterFile, k: d.k, m: d.m, nodes: d.nodes });
  } else {
    const flag = values.data ? ` --cluster ${cluster.clusterFile}` : '';
    process.stdout.write(
      [
        `DDC dev cluster: ${d.nodes.length} nodes, k=${d.k}, m=${d.m}, data in ${cluster.dir}`,
        ...d.nodes.map((n) => `  ${n.id}  ${n.zone}  ${n.url}`),
        `Cluster descriptor: ${cluster.clusterFile}`,
        '',
        'Next, in another terminal:',
        `  npx ddc put ./some-file${flag}          # prints the root CID`,
        `  npx ddc get <cid> -o copy${flag}        # verified byte for byte`,
        `  npx ddc stat <cid>${flag}               # pieces and where each shard lives`,
        `  npx ddc verify <cid>${flag}             # checks every shard`,
        '',
        'Ctrl-C stops the cluster; the data stays for the next start.',
        '',
      ].join('\n'),
    );
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.stderr.write('ddc dev: stopping nodes...\n');
  await cluster.stop();
  process.stderr.write('ddc dev: stopped; data kept in ' + cluster.dir + '\n');
  return 0;
}
