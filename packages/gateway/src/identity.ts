/**
 * The gateway's own DDC identity: it signs node requests, owns the buckets S3 CreateBucket
 * makes, is the audience of the tokens users delegate to it, and reads objects encrypted to
 * its X25519 key. From a keystore, a phrase (tests), or DATA/identity.json, made with a new
 * phrase on first start (empty passphrase unless DDC_GATEWAY_PASSPHRASE; the file is 0600).
 */
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DdcError, createKeystore, deriveUserKeys, generateMnemonic, openKeystore, parseKeystore, type UserKeys } from '@ddc/core';
import type { GatewayIdentityConfig } from './config.js';

export const IDENTITY_FILE = 'identity.json';

async function readKeystore(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DdcError('DDC_KEYSTORE_INVALID', `cannot read the gateway's keystore ${path}`, { cause, hint: 'Fix or restore the file' });
  }
}

/** Writes a new keystore file (never over an existing one): write, fsync, mode 0600. */
async function writeNewKeystore(path: string, json: string): Promise<void> {
  const fh = await open(path, 'wx', 0o600);
  try {
    await fh.writeFile(json);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function loadGatewayIdentity(dataDir: string, config: GatewayIdentityConfig): Promise<{ keys: UserKeys; source: string }> {
  if (config.mnemonic !== undefined) return { keys: deriveUserKeys(config.mnemonic), source: 'mnemonic' };
  const passphrase = config.passphrase ?? process.env.DDC_GATEWAY_PASSPHRASE ?? '';
  const path = config.keystore ?? join(dataDir, IDENTITY_FILE);
  let json = await readKeystore(path);
  if (json === undefined) {
    if (config.keystore !== undefined) {
      throw new DdcError('DDC_NOT_FOUND', `no keystore at ${path}`, { hint: 'Point identity.keystore at an existing keystore, or leave it out for a generated identity' });
    }
    const file = await createKeystore(generateMnemonic(), passphrase);
    try {
      await writeNewKeystore(path, `${JSON.stringify(file, null, 2)}\n`);
    } catch (e) {
      // Two starts racing: the other one wrote it; use that.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    json = await readKeystore(path);
  }
  const phrase = await openKeystore(parseKeystore(json), passphrase);
  return { keys: deriveUserKeys(phrase), source: path };
}
