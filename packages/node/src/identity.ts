/**
 * The node's Ed25519 identity: `identity.key` in the data folder (format in core's
 * identity/key-file.ts), created at first start and loaded afterwards. Written durably
 * (temp file with mode 0600, fsync, rename, fsync folder) so a crash leaves either no key
 * or the whole key, never a half-written one a restart would take for another identity.
 * Called after the store has opened, so the folder's LOCK is held.
 */
import { chmod, open, readFile, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeKeyFile, encodeKeyFile, generateKeyPair, toHex, type Ed25519KeyPair } from '@ddc/core';
import { fsyncDir } from './store/fsync.js';

export const IDENTITY_KEY_FILE = 'identity.key';
const TEMP_PREFIX = `${IDENTITY_KEY_FILE}.tmp-`;

export interface NodeIdentity {
  readonly keyPair: Ed25519KeyPair;
  /** 64 lowercase hex digits. */
  readonly publicKey: string;
  /** The key file's path. */
  readonly file: string;
  /** True when this start created the key. */
  readonly created: boolean;
  /** Set when the file was readable by group or others (its mode was then narrowed to 0600). */
  readonly modeFixed?: number;
}

async function writeKeyFile(dir: string, file: string, bytes: Uint8Array): Promise<void> {
  const tmp = join(dir, `${TEMP_PREFIX}${process.pid}`);
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  await fsyncDir(dir);
}

export async function loadOrCreateIdentity(dataDir: string): Promise<NodeIdentity> {
  const file = join(dataDir, IDENTITY_KEY_FILE);
  // Leftovers of a start that crashed before its rename: never a key in use.
  for (const name of await readdir(dataDir)) if (name.startsWith(TEMP_PREFIX)) await unlink(join(dataDir, name)).catch(() => undefined);
  let bytes: Uint8Array | undefined;
  try {
    bytes = await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (bytes === undefined) {
    const keyPair = generateKeyPair();
    await writeKeyFile(dataDir, file, encodeKeyFile(keyPair.secretKey));
    return { keyPair, publicKey: toHex(keyPair.publicKey), file, created: true };
  }
  const keyPair = decodeKeyFile(bytes, file);
  const mode = (await stat(file)).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    await chmod(file, 0o600);
    return { keyPair, publicKey: toHex(keyPair.publicKey), file, created: false, modeFixed: mode };
  }
  return { keyPair, publicKey: toHex(keyPair.publicKey), file, created: false };
}
