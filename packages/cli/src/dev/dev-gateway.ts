/**
 * The gateway `ddc dev` runs beside its cluster, in the same process: data in DIR/gateway,
 * acting as the dev identity (DIR/keystore.json), so it owns the dev buckets and creates new
 * ones as the dev account. It writes DIR/gateway.json (mode 0600: it holds a secret):
 *
 *   {"endpoint": "http://127.0.0.1:PORT", "accessKeyId", "secretAccessKey", "region": "us-east-1"}
 *
 * with a dev access key for every bucket (kept across restarts), and reuses its last port
 * when it is free, so the endpoint stays the same.
 */
import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { isDdcError } from '@ddc/core';
import { AccessKeyStore, startGateway, type GatewayOptions, type RunningGateway } from '@ddc/gateway';
import type { DevCluster } from './cluster-runner.js';
import { devKeystorePath } from '../identity/keystore-file.js';

export const GATEWAY_FILE = 'gateway.json';
/** Tries of the previous port, OLD_PORT_RETRY_MS apart, before any free one is taken. */
const OLD_PORT_ATTEMPTS = 10;
const OLD_PORT_RETRY_MS = 100;

export interface DevGatewayFile {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

async function readOld(path: string): Promise<Partial<DevGatewayFile>> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Partial<DevGatewayFile>;
  } catch {
    return {};
  }
}

async function writeSecretFile(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}

export async function startDevGateway(cluster: DevCluster, log: (line: string) => void = () => {}): Promise<{ gateway: RunningGateway; file: string; info: DevGatewayFile }> {
  const file = join(cluster.dir, GATEWAY_FILE);
  const old = await readOld(file);
  const dataDir = join(cluster.dir, 'gateway');
  const chain = cluster.chain;
  const base: GatewayOptions = {
    dataDir,
    ...(chain
      ? { chain: { rpcUrl: chain.chain.rpcUrl, deployment: chain.chain.deploymentFile, clusterId: chain.clusterId, pollMs: 1000 } }
      : { cluster: cluster.clusterFile }),
    identity: { keystore: devKeystorePath(cluster.dir), passphrase: process.env.DDC_PASSPHRASE ?? '' },
  };
  // The key first: the gateway reads its key file when it starts.
  const keys = await AccessKeyStore.open(dataDir);
  const kept = old.accessKeyId ? keys.get(old.accessKeyId) : undefined;
  const key = kept ?? (await keys.create({ buckets: ['*'], createBuckets: true }));
  const oldPort = old.endpoint ? Number(new URL(old.endpoint).port) : 0;
  let gateway: RunningGateway;
  const start = async (o: GatewayOptions) => {
    if (oldPort === 0) return startGateway({ ...o, port: 0 });
    // The old port again, for a stable endpoint. Another program's connection may hold it as its
    // local port for a moment after the last gateway closed, so it is tried for a second.
    for (let attempt = 1; ; attempt++) {
      try {
        return await startGateway({ ...o, port: oldPort });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
        if (attempt >= OLD_PORT_ATTEMPTS) break;
        await new Promise((r) => setTimeout(r, OLD_PORT_RETRY_MS));
      }
    }
    const moved = await startGateway({ ...o, port: 0 });
    log(`the gateway's previous port ${oldPort} is in use; it listens on ${new URL(moved.url).port} now`);
    return moved;
  };
  try {
    gateway = await start(base);
  } catch (e) {
    // The dev keystore under a passphrase we were not given: the gateway's own identity instead.
    if (!isDdcError(e, 'DDC_KEYSTORE_PASSPHRASE')) throw e;
    log('the dev keystore needs a passphrase (DDC_PASSPHRASE); the gateway uses its own identity, which owns no dev buckets');
    const { identity: _, ...rest } = base;
    gateway = await start(rest);
  }
  try {
    const info: DevGatewayFile = { endpoint: gateway.url, accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, region: gateway.config.s3.region ?? 'us-east-1' };
    await writeSecretFile(file, `${JSON.stringify(info, null, 2)}\n`);
    return { gateway, file, info };
  } catch (e) {
    await gateway.close();
    throw e;
  }
}
