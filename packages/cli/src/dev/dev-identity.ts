/**
 * The dev identity: `ddc dev` seals the public dev phrase (anvil's account 0) into
 * DIR/keystore.json with the empty passphrase and the cheap dev scrypt cost, once, so
 * `ddc keys show` and the data-plane commands work on a fresh dev cluster with no setup.
 */
import { access } from 'node:fs/promises';
import { DEV_KEYSTORE_N, DEV_MNEMONIC, createKeystore } from '@ddc/core';
import { devKeystorePath, writeKeystoreFile } from '../identity/keystore-file.js';

/** Creates DIR/keystore.json unless it exists (a keystore is never replaced); returns its path. */
export async function ensureDevKeystore(dataDir: string): Promise<string> {
  const file = devKeystorePath(dataDir);
  if (await access(file).then(() => true, () => false)) return file;
  try {
    await writeKeystoreFile(file, await createKeystore(DEV_MNEMONIC, '', { N: DEV_KEYSTORE_N }));
  } catch (e) {
    // Two starts racing: the other one wrote it.
    if (!(await access(file).then(() => true, () => false))) throw e;
  }
  return file;
}
