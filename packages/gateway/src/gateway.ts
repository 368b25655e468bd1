/**
 * startGateway: opens the gateway's data dir (identity, cache), connects to the cluster
 * (a descriptor file, the chain, or a ready client) and serves S3, /ddc/ and /ipfs/ on one
 * port until close().
 */
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { toHex, type UserKeys } from '@ddc/core';
import { ChainMembership, FileMembership, createClient, type DdcClient } from '@ddc/client';
import { connectLedger, readDeploymentFile, type Ledger } from '@ddc/ledger/node';
import { resolveGatewayConfig, type GatewayConfig, type GatewayOptions } from './config.js';
import { loadGatewayIdentity } from './identity.js';
import { DiskBlockCache } from './cache/block-cache.js';
import type { GatewayContext } from './context.js';
import { createGatewayServer, type GatewayServerOptions } from './server.js';
import { s3Side } from './s3-wiring.js';

export interface RunningGateway {
  /** http://host:port of the gateway. */
  url: string;
  config: GatewayConfig;
  context: GatewayContext;
  /** The gateway's identity (owner of the buckets it creates, audience of tokens given to it). */
  keys: UserKeys;
  close(): Promise<void>;
}

export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const config = resolveGatewayConfig(options);
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const { keys } = await loadGatewayIdentity(config.dataDir, config.identity);
  const cache = config.cache.maxBytes > 0 ? await DiskBlockCache.open(join(config.dataDir, 'cache'), config.cache.maxBytes) : undefined;
  const closers: (() => Promise<void>)[] = [];
  let client: DdcClient;
  let ledger: Ledger | undefined = options.ledger;
  let clusterId = options.clusterId;
  try {
    if (options.client) {
      client = options.client;
    } else if (config.chain) {
      const chain = config.chain;
      // Signs as the gateway's own account: S3 CreateBucket makes buckets it owns.
      ledger = connectLedger({ deployment: await readDeploymentFile(chain.deployment), rpcUrl: chain.rpcUrl, account: `0x${toHex(keys.evm.privateKey)}` });
      clusterId = chain.clusterId;
      const membership = await ChainMembership.open({ ledger, clusterId, ...(chain.pollMs !== undefined ? { pollMs: chain.pollMs } : {}) });
      closers.push(() => membership.close());
      client = createClient({ cluster: membership, identity: keys.signing, ...(cache ? { blockCache: cache } : {}) });
      closers.push(() => client.close());
    } else {
      const membership = await FileMembership.open(config.cluster!);
      closers.push(() => membership.close());
      client = createClient({ cluster: membership, identity: keys.signing, ...(cache ? { blockCache: cache } : {}) });
      closers.push(() => client.close());
    }
  } catch (e) {
    for (const c of closers.reverse()) await c().catch(() => {});
    await cache?.close();
    throw e;
  }
  const shutdown = new AbortController();
  const context: GatewayContext = { config, client, keys, ledger, clusterId, cache, signal: shutdown.signal };
  const side: GatewayServerOptions = await s3Side(context);
  const { server } = createGatewayServer(context, side);
  server.requestTimeout = config.requestTimeoutMs;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    config,
    context,
    keys,
    close() {
      closing ??= (async () => {
        shutdown.abort(new Error('the gateway is closing'));
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        for (const c of closers.reverse()) await c().catch(() => {});
        await cache?.close();
      })();
      return closing;
    },
  };
}
