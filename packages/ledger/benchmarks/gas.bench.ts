/**
 * Gas used by the ledger actions users pay for most often, measured on a fresh dev chain
 * (so storage slots start empty, as for a first-time user). Deposit is measured without
 * its token approval, which a client sends once per allowance.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DevChain, approve, connectLedger, createBucket, createCluster, deposit, registerNode, parseCere, revokeToken } from '../src/index.node.js';

export async function benchGas(): Promise<{ gas_create_bucket: number; gas_deposit: number; gas_register_node: number; gas_revoke_token: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'ddc-gas-'));
  const chain = await DevChain.start({ dir });
  try {
    const { deployment } = await chain.ensureDeployment();
    const ledger = connectLedger({ deployment, rpcUrl: chain.rpcUrl, account: chain.accounts[1]!.privateKey, pollingIntervalMs: 20 });
    const terms = { pricePerGbMonth: 0n, pricePerGbTransferred: 0n, pricePerMillionRequests: 0n, treasuryBps: 0, validatorBps: 0, reserveBps: 0, nodeBond: parseCere('100'), unbondingDelay: 3600, depositUnlockDelay: 3600 };
    const { clusterId } = await createCluster(ledger, { layout: { k: 4, m: 2, replicationThreshold: 65536 }, terms });
    const bucket = await createBucket(ledger, { clusterId, isPublic: true });
    await approve(ledger, deployment.contracts.deposits, parseCere('10'));
    const dep = await deposit(ledger, clusterId, parseCere('10'), { approve: false });
    const node = await registerNode(ledger, { nodeKey: `0x${'42'.repeat(32)}`, url: 'https://node-1.example.com:8443', zone: 'eu-west-1a', capacity: 10n ** 13n });
    const revoke = await revokeToken(ledger, bucket.bucketId, 'ab'.repeat(32));
    return { gas_create_bucket: Number(bucket.gasUsed), gas_deposit: Number(dep.gasUsed), gas_register_node: Number(node.gasUsed), gas_revoke_token: Number(revoke.gasUsed) };
  } finally {
    await chain.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

// Run directly: print the figures.
if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await benchGas()));
