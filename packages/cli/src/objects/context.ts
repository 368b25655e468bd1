/**
 * What the bucket, object, token and sharing commands share: the user's keys (the keystore
 * rules of identity/keystore-file.ts), a capability token (--token or DDC_TOKEN), and the
 * ledger. Owner writes on the ledger (revocations) are signed by DDC_PRIVATE_KEY or
 * --key-file when given, else by the keystore's own ledger account: the account that owns
 * the buckets its tokens are rooted in.
 */
import { access } from 'node:fs/promises';
import { toHex, type UserKeys } from '@ddc/core';
import { connectLedger, readDeploymentFile, type Ledger } from '@ddc/ledger/node';
import { LEDGER_FLAGS, defaultRpcUrl, deploymentPath, explicitKey, type LedgerFlags } from '../ledger/context.js';
import { loadUserKeys, resolveKeystore, type KeystoreFlags } from '../identity/keystore-file.js';

/** parseArgs options of every command that acts on a bucket. */
export const BUCKET_FLAGS = {
  ...LEDGER_FLAGS,
  cluster: { type: 'string' },
  keystore: { type: 'string' },
  token: { type: 'string' },
} as const;

export interface BucketFlags extends LedgerFlags, KeystoreFlags {
  cluster?: string | undefined;
  token?: string | undefined;
}

/** The token the user passed (--token, else DDC_TOKEN), trimmed; undefined when none. */
export function tokenTextOf(flags: { token?: string | undefined }): string | undefined {
  const text = (flags.token ?? process.env.DDC_TOKEN)?.trim();
  return text ? text : undefined;
}

/**
 * The user's keys. When none are required and no keystore was named (no --keystore, no
 * DDC_KEYSTORE) and the dev keystore does not exist, undefined: an anonymous reader of a
 * public bucket needs no identity.
 */
export async function userKeysFor(flags: KeystoreFlags, required: boolean): Promise<UserKeys | undefined> {
  const { file, source } = resolveKeystore(flags);
  if (!required && source === 'dev' && !(await access(file).then(() => true, () => false))) return undefined;
  return (await loadUserKeys(flags)).keys;
}

/** A read-only connection to the ledger the flags name. */
export async function readLedger(flags: LedgerFlags): Promise<Ledger> {
  const rpcUrl = flags.rpc ?? (await defaultRpcUrl());
  return connectLedger({ deployment: await readDeploymentFile(deploymentPath(flags)), rpcUrl });
}

/** A ledger connection that signs as the owner: DDC_PRIVATE_KEY / --key-file, else the keystore's account. */
export async function ownerLedger(flags: LedgerFlags, keys: UserKeys): Promise<Ledger> {
  const rpcUrl = flags.rpc ?? (await defaultRpcUrl());
  const deployment = await readDeploymentFile(deploymentPath(flags));
  const account = (await explicitKey(flags, { prompt: false })) ?? (`0x${toHex(keys.evm.privateKey)}` as const);
  return connectLedger({ deployment, rpcUrl, account });
}
