/**
 * Which keystore a command uses, and its passphrase. The keystore: --keystore FILE, else
 * DDC_KEYSTORE, else the dev keystore ./.ddc/keystore.json (`ddc dev` writes it). The
 * passphrase: DDC_PASSPHRASE, else "" for the dev identity (its phrase is public anyway),
 * else a prompt on a terminal without echo, else DDC_PASSPHRASE_REQUIRED. Secrets never come
 * from argv: they would sit in shell history and `ps`.
 */
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  DdcError, DEV_MNEMONIC, deriveUserKeys, isDdcError, openKeystore, parseKeystore, type KeystoreFile, type UserKeys,
} from '@ddc/core';
import { DEFAULT_DATA_DIR } from '../context.js';
import { promptSecret } from '../prompt.js';

export const KEYSTORE_FILE = 'keystore.json';

export interface KeystoreFlags {
  /** --keystore FILE */
  keystore?: string | undefined;
}

export type KeystoreSource = 'flag' | 'env' | 'dev';

/** The dev keystore of a dev data folder (default ./.ddc). */
export function devKeystorePath(dataDir = DEFAULT_DATA_DIR): string {
  return resolve(dataDir, KEYSTORE_FILE);
}

export function resolveKeystore(opts: KeystoreFlags = {}): { file: string; source: KeystoreSource } {
  if (opts.keystore) return { file: resolve(opts.keystore), source: 'flag' };
  if (process.env.DDC_KEYSTORE) return { file: resolve(process.env.DDC_KEYSTORE), source: 'env' };
  return { file: devKeystorePath(), source: 'dev' };
}

export async function readKeystoreFile(file: string): Promise<KeystoreFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DdcError('DDC_NOT_FOUND', `no keystore at ${file}`, {
        cause,
        hint: 'Create one with `ddc keys new` or `ddc keys import`, run `ddc dev` for the dev identity, or point --keystore / DDC_KEYSTORE at yours',
        details: { file },
      });
    }
    throw new DdcError('DDC_KEYSTORE_INVALID', `cannot read the keystore ${file}`, { cause, hint: 'Check the path and its permissions', details: { file } });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new DdcError('DDC_KEYSTORE_INVALID', `${file} is not JSON`, { cause, hint: 'Restore the keystore from a backup or import your recovery phrase again', details: { file } });
  }
  try {
    return parseKeystore(json);
  } catch (e) {
    if (isDdcError(e)) throw new DdcError(e.code, `${file}: ${e.message}`, { cause: e, details: { file } });
    throw e;
  }
}

/** Writes a keystore as a new file with mode 0600; an existing file is never replaced. */
export async function writeKeystoreFile(file: string, keystore: KeystoreFile): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  let fh;
  try {
    fh = await open(file, 'wx', 0o600);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new DdcError('DDC_INVALID_ARGUMENT', `${file} already exists; a keystore is never overwritten`, {
        cause,
        hint: 'Pass --out FILE for a new file, or move the old one away if you are sure you have its recovery phrase',
        details: { file },
      });
    }
    throw cause;
  }
  try {
    await fh.writeFile(`${JSON.stringify(keystore, null, 2)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export { promptSecret };

export function canPrompt(): boolean {
  return process.stdin.isTTY === true && process.stderr.isTTY === true;
}

let devAddress: string | undefined;
/** A keystore whose public part is the dev identity's: its phrase is public, so "" is tried first. */
export function isDevKeystore(k: KeystoreFile): boolean {
  devAddress ??= deriveUserKeys(DEV_MNEMONIC).evm.address;
  return k.public.address === devAddress;
}

function passphraseRequired(file: string): DdcError {
  return new DdcError('DDC_PASSPHRASE_REQUIRED', `the keystore ${file} needs its passphrase`, {
    hint: 'Set DDC_PASSPHRASE, or run the command on a terminal to be asked',
    details: { file },
  });
}

/** Opens a keystore: the recovery phrase, by the passphrase rules above. */
export async function unlockKeystore(file: string, keystore: KeystoreFile): Promise<string> {
  const fromEnv = process.env.DDC_PASSPHRASE;
  if (fromEnv !== undefined) return openKeystore(keystore, fromEnv);
  if (isDevKeystore(keystore)) {
    try {
      return await openKeystore(keystore, '');
    } catch (e) {
      if (!isDdcError(e, 'DDC_KEYSTORE_PASSPHRASE')) throw e;
      // The dev phrase under a passphrase: ask for it like any other.
    }
  }
  if (!canPrompt()) throw passphraseRequired(file);
  return openKeystore(keystore, await promptSecret(`passphrase for ${file}: `));
}

/** The user's keys for commands that sign or decrypt. */
export async function loadUserKeys(opts: KeystoreFlags = {}): Promise<{ keys: UserKeys; file: string }> {
  const { file } = resolveKeystore(opts);
  const keystore = await readKeystoreFile(file);
  const phrase = await unlockKeystore(file, keystore);
  return { keys: deriveUserKeys(phrase), file };
}
