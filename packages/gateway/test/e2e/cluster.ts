/**
 * A dev cluster on the dev chain for the gateway's end-to-end tests: real node processes
 * (cli's DevCluster) in a temp folder, the dev identity (anvil account 0) as bucket owner
 * with an SDK client, and gateways started against the chain. This folder is its own
 * TypeScript project because it uses @ddc/cli, which itself depends on the gateway.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomFillSync } from 'node:crypto';
import { DevCluster } from '@ddc/cli';
import { createClient, type DdcClient } from '@ddc/client';
import { DEV_MNEMONIC, deriveUserKeys, type UserKeys } from '@ddc/core';
import { createBucket, type Ledger } from '@ddc/ledger/node';
import { startGateway, type GatewayOptions, type RunningGateway } from '@ddc/gateway';

export interface GatewayEnv {
  cluster: DevCluster;
  dir: string;
  ledger: Ledger;
  clusterId: number;
  /** The dev identity: owns the buckets newBucket makes. */
  owner: UserKeys;
  /** Signs as the owner. */
  client: DdcClient;
  newBucket(isPublic: boolean): Promise<number>;
  /** A gateway on the chain, with its data in a fresh folder under the temp dir. */
  gateway(o?: Partial<GatewayOptions>): Promise<RunningGateway>;
  close(): Promise<void>;
}

export async function startGatewayEnv(o: { nodes?: number; k?: number; m?: number } = {}): Promise<GatewayEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'ddc-gw-test-'));
  const cluster = await DevCluster.start({
    dataDir: join(dir, 'ddc'), nodes: o.nodes ?? 5, zones: 3, k: o.k ?? 2, m: o.m ?? 2, chain: { pollMs: 200 },
    nodeConfig: () => ({ auth: { revocationPollMs: 200 }, repair: { enabled: false }, scrub: { enabled: false } }),
  });
  const chain = cluster.chain!;
  const owner = deriveUserKeys(DEV_MNEMONIC);
  const client = createClient({ cluster: cluster.descriptor(), identity: owner.signing, hedgeAfterMs: 200, nodeCooldownMs: 300, retry: { attempts: 2 } });
  const gateways: RunningGateway[] = [];
  let n = 0;
  return {
    cluster,
    dir,
    ledger: chain.ledger,
    clusterId: chain.clusterId,
    owner,
    client,
    newBucket: async (isPublic) => Number((await createBucket(chain.ledger, { clusterId: chain.clusterId, isPublic })).bucketId),
    gateway: async (g = {}) => {
      const gw = await startGateway({
        dataDir: join(dir, `gateway-${++n}`),
        chain: { rpcUrl: chain.chain.rpcUrl, deployment: chain.chain.deploymentFile, clusterId: chain.clusterId, pollMs: 200 },
        ...g,
      });
      gateways.push(gw);
      return gw;
    },
    close: async () => {
      await Promise.all(gateways.map((g) => g.close()));
      await client.close();
      await cluster.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += 65536) randomFillSync(out.subarray(off, Math.min(n, off + 65536)));
  return out;
}

export async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}
