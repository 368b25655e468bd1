/**
 * A dev cluster on the dev chain for the access tests: real node processes that take
 * membership and buckets from a real anvil chain, the dev identity (anvil account 0) as
 * bucket owner, and SDK clients signing with a user's keys.
 */
import { createClient, type DdcClient } from '@ddc/client';
import { DEV_MNEMONIC, deriveUserKeys, type UserKeys } from '@ddc/core';
import { createBucket, type Ledger } from '@ddc/ledger/node';
import { startCluster } from './helpers.js';

export interface AccessEnv {
  env: Awaited<ReturnType<typeof startCluster>>;
  /** Signs as the dev account (the buckets' owner). */
  ledger: Ledger;
  clusterId: number;
  owner: UserKeys;
  /** A client signing with the owner's data-plane key. */
  client: DdcClient;
  clientFor(keys: UserKeys): DdcClient;
  newBucket(isPublic: boolean): Promise<number>;
  close(): Promise<void>;
}

export async function startAccessCluster(o: { nodes?: number; k?: number; m?: number } = {}): Promise<AccessEnv> {
  const env = await startCluster({
    nodes: o.nodes ?? 5, zones: 3, k: o.k ?? 2, m: o.m ?? 2,
    chain: { pollMs: 200 },
    // Revocations reach the nodes within a few hundred ms; no background passes to race the checks.
    nodeConfig: () => ({ auth: { revocationPollMs: 200 }, repair: { enabled: false }, scrub: { enabled: false } }),
  });
  const chain = env.cluster.chain!;
  const owner = deriveUserKeys(DEV_MNEMONIC);
  const clients: DdcClient[] = [];
  const clientFor = (keys: UserKeys) => {
    const c = createClient({ cluster: env.cluster.descriptor(), identity: keys.signing, hedgeAfterMs: 200, nodeCooldownMs: 300, retry: { attempts: 2 } });
    clients.push(c);
    return c;
  };
  return {
    env,
    ledger: chain.ledger,
    clusterId: chain.clusterId,
    owner,
    client: clientFor(owner),
    clientFor,
    newBucket: async (isPublic) => Number((await createBucket(chain.ledger, { clusterId: chain.clusterId, isPublic })).bucketId),
    close: async () => {
      await Promise.all(clients.map((c) => c.close()));
      await env.close();
    },
  };
}
