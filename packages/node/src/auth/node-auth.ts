/**
 * The node's authentication state, on NodeContext as `auth`: the replay guard, the shard
 * references, and (nodes with `chain`) the bucket directory. Opened after the store and
 * the identity key, closed after the last write has finished.
 */
import { ReplayGuard } from '@ddc/core';
import type { NodeConfig } from '../config.js';
import type { NodeIdentity } from '../identity.js';
import type { Logger } from '../http/respond.js';
import type { AuthConfig } from './config.js';
import { BucketDirectory } from './bucket-directory.js';
import { ShardRefs, type ClaimStore } from './shard-refs.js';

export interface NodeAuth {
  readonly config: AuthConfig;
  /** This node's id: the audience its signed requests must name. */
  readonly audience: string;
  /** This node's own Ed25519 key (hex): it counts as a peer of itself. */
  readonly publicKey: string;
  readonly guard: ReplayGuard;
  readonly refs: ShardRefs;
  /** Buckets on the ledger; undefined without `chain` (bucket operations then fail with DDC_BUCKETS_UNAVAILABLE). */
  readonly directory: BucketDirectory | undefined;
  /** The cluster whose buckets this node serves (config.chain.clusterId). */
  readonly clusterId: number | undefined;
  close(): Promise<void>;
}

/** `claims`: the store whose index keeps the bucket claims (open it first). */
export async function openNodeAuth(config: NodeConfig, identity: NodeIdentity, log: Logger, claims: ClaimStore): Promise<NodeAuth> {
  const refs = await ShardRefs.open(config.dataDir, claims);
  let directory: BucketDirectory | undefined;
  if (config.chain) {
    try {
      const { connectLedger, readDeploymentFile } = await import('@ddc/ledger/node');
      const ledger = connectLedger({ deployment: await readDeploymentFile(config.chain.deployment), rpcUrl: config.chain.rpcUrl });
      directory = await BucketDirectory.open({ ledger, pollMs: config.auth.revocationPollMs, log });
    } catch (e) {
      await refs.close();
      throw e;
    }
  }
  let closing: Promise<void> | undefined;
  return {
    config: config.auth,
    audience: config.id,
    publicKey: identity.publicKey,
    guard: new ReplayGuard({ windowMs: config.auth.maxSkewMs }),
    refs,
    directory,
    clusterId: config.chain?.clusterId,
    close() {
      closing ??= (async () => {
        await directory?.close();
        await refs.close();
      })();
      return closing;
    },
  };
}
