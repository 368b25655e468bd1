/**
 * `ddc gateway start`: runs the S3 / HTTP / IPFS gateway (@ddc/gateway) until Ctrl-C.
 * `ddc gateway keys create|ls|rm`: the gateway's S3 access keys (in its data dir).
 *
 * Where the cluster is: --config FILE (docs/GATEWAY.md "Configuration"), else --cluster FILE,
 * else --rpc/--deployment/--cluster-id, else the dev chain of ./.ddc (chain.json), else
 * ./.ddc/cluster.json. Its data (identity, keys, bucket names, cache): --data, default
 * ./.ddc/gateway.
 */
import { parseArgs } from 'node:util';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { AccessKeyStore, loadGatewayConfigFile, startGateway, type GatewayOptions } from '@ddc/gateway';
import { tuneServerHeap } from '../runtime/server-heap.js';
import { DEFAULT_DATA_DIR, defaultClusterFile } from '../context.js';
import { usage } from '../errors.js';
import { printJson } from '../output.js';
import { CHAIN_FILE } from '../ledger/context.js';
import { gatewayHelp } from './help.js';

const DEFAULT_GATEWAY_DIR = resolve(DEFAULT_DATA_DIR, 'gateway');

function int(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw usage(`--${name} takes a whole number`);
  return n;
}

/** The dev chain of ./.ddc, when `ddc dev` runs one there. */
async function devChain(): Promise<GatewayOptions['chain'] | undefined> {
  try {
    const c = JSON.parse(await readFile(resolve(DEFAULT_DATA_DIR, CHAIN_FILE), 'utf8')) as { rpcUrl?: unknown; deployment?: unknown; clusterId?: unknown };
    if (typeof c.rpcUrl === 'string' && typeof c.deployment === 'string' && typeof c.clusterId === 'number') return { rpcUrl: c.rpcUrl, deployment: c.deployment, clusterId: c.clusterId };
  } catch {
    // No dev chain here.
  }
  return undefined;
}

async function startCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' }, data: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' }, cluster: { type: 'string' },
      rpc: { type: 'string' }, deployment: { type: 'string' }, 'cluster-id': { type: 'string' }, keystore: { type: 'string' }, 'cache-bytes': { type: 'string' },
      json: { type: 'boolean' },
    },
    allowPositionals: true,
  });
  if (positionals.length) throw usage(`unexpected ${positionals.join(' ')}.\n  ${gatewayHelp}`);
  const chainFlags = [values.rpc, values.deployment, values['cluster-id']].filter((v) => v !== undefined).length;
  if (chainFlags !== 0 && chainFlags !== 3) throw usage('--rpc, --deployment and --cluster-id go together');
  if (chainFlags && values.cluster) throw usage('--cluster and --rpc/--deployment/--cluster-id exclude each other');
  const o: GatewayOptions = values.config ? await loadGatewayConfigFile(values.config) : { dataDir: DEFAULT_GATEWAY_DIR };
  if (values.data) o.dataDir = resolve(values.data);
  if (values.host) o.host = values.host;
  const port = int('port', values.port);
  if (port !== undefined) o.port = port;
  const cacheBytes = int('cache-bytes', values['cache-bytes']);
  if (cacheBytes !== undefined) o.cache = { ...o.cache, maxBytes: cacheBytes };
  if (values.keystore) o.identity = { keystore: resolve(values.keystore), ...(process.env.DDC_PASSPHRASE !== undefined ? { passphrase: process.env.DDC_PASSPHRASE } : {}) };
  if (values.cluster) {
    delete o.chain;
    o.cluster = resolve(values.cluster);
  } else if (chainFlags) {
    delete o.cluster;
    o.chain = { rpcUrl: values.rpc!, deployment: resolve(values.deployment!), clusterId: int('cluster-id', values['cluster-id'])! };
  } else if (o.cluster === undefined && o.chain === undefined) {
    const chain = await devChain();
    if (chain) o.chain = chain;
    else o.cluster = defaultClusterFile();
  }
  tuneServerHeap();
  const gw = await startGateway(o);
  const id = gw.context.keys;
  if (values.json) {
    printJson({ event: 'listening', url: gw.url, dataDir: gw.config.dataDir, identity: { address: id.evm.address, ed25519: Buffer.from(id.signing.publicKey).toString('hex') } });
  } else {
    process.stdout.write([
      `DDC gateway on ${gw.url}`,
      `  S3 endpoint: ${gw.url} (path or virtual-host style); access keys: ddc gateway keys create --data ${gw.config.dataDir}`,
      `  HTTP: ${gw.url}/ddc/<bucket>/<key>    IPFS: ${gw.url}/ipfs/<cid>?format=raw|car    status: ${gw.url}/v1/gateway/status`,
      `  identity ${id.evm.address} (tokens for private /ddc/ reads are delegated to ${gw.url}/v1/gateway/identity)`,
      `  data in ${gw.config.dataDir}; Ctrl-C stops it`,
      '',
    ].join('\n'));
  }
  await new Promise<void>((resolveStop) => {
    process.once('SIGINT', () => resolveStop());
    process.once('SIGTERM', () => resolveStop());
  });
  await gw.close();
  return 0;
}

async function keysCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    options: { data: { type: 'string' }, bucket: { type: 'string', multiple: true }, all: { type: 'boolean' }, token: { type: 'string' }, json: { type: 'boolean' } },
    allowPositionals: true,
  });
  const store = await AccessKeyStore.open(values.data ? resolve(values.data) : DEFAULT_GATEWAY_DIR);
  if (sub === 'create') {
    if (positionals.length) throw usage(`unexpected ${positionals.join(' ')}`);
    if (!values.all && !values.bucket?.length) throw usage('name the buckets: --bucket NAME (repeatable) or --all');
    const token = values.token ?? process.env.DDC_TOKEN;
    const key = await store.create({ buckets: values.all ? ['*'] : values.bucket!, ...(token ? { token } : {}), ...(values.all ? { createBuckets: true } : {}) });
    if (values.json) printJson(key);
    else process.stdout.write(`accessKeyId     ${key.accessKeyId}\nsecretAccessKey ${key.secretAccessKey}\nbuckets         ${key.buckets.join(', ')}${key.token ? ' (with a token)' : ''}\n`);
    return 0;
  }
  if (sub === 'ls') {
    const keys = store.list().map((k) => ({ accessKeyId: k.accessKeyId, buckets: k.buckets, token: k.token !== undefined, created: k.created }));
    if (values.json) printJson({ keys });
    else process.stdout.write(keys.map((k) => `${k.accessKeyId}  ${k.buckets.join(',')}${k.token ? '  (token)' : ''}  ${k.created}`).join('\n') + (keys.length ? '\n' : 'no access keys\n'));
    return 0;
  }
  if (sub === 'rm') {
    const [id] = positionals;
    if (!id || positionals.length !== 1) throw usage('ddc gateway keys rm ACCESS_KEY_ID');
    if (!(await store.remove(id))) throw usage(`no access key ${id}`);
    if (values.json) printJson({ removed: id });
    return 0;
  }
  throw usage(`expected "ddc gateway keys create|ls|rm".\n  ${gatewayHelp}`);
}

export async function gatewayCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'start') return startCommand(rest);
  if (sub === 'keys') return keysCommand(rest);
  throw usage(`expected "ddc gateway start|keys".\n  ${gatewayHelp}`);
}
