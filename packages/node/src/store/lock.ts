/**
 * One node per data folder. The LOCK file holds the owner's pid and appears atomically
 * with its content (written aside, then hard-linked into place, which fails if LOCK
 * exists); a lock whose pid no longer runs is stale (the node crashed) and is taken over.
 * Two processes racing to take over the same stale lock at the same instant is the one
 * case this cannot rule out without flock(2), which Node lacks.
 */
import { link, open, readFile, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { storeLocked } from '../errors.js';

export interface FolderLock {
  release(): Promise<void>;
}

interface LockBody {
  pid: number;
  token: string;
}

/** Lock files this process holds: a LOCK naming our pid but not in here is a dead process's whose pid we reuse. */
const held = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readLock(file: string): Promise<LockBody | undefined> {
  try {
    const body = JSON.parse(await readFile(file, 'utf8')) as Partial<LockBody>;
    return typeof body.pid === 'number' ? { pid: body.pid, token: String(body.token) } : undefined;
  } catch {
    return undefined; // missing or half-written: treated as stale below
  }
}

async function tryCreate(file: string, body: LockBody): Promise<boolean> {
  const aside = `${file}.${body.pid}.${body.token}`;
  const fh = await open(aside, 'w');
  try {
    await fh.writeFile(JSON.stringify(body));
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await link(aside, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await unlink(aside).catch(() => undefined);
  }
}

/** Takes the folder's lock or throws DDC_STORE_LOCKED naming the holder. */
export async function lockFolder(dir: string, lockFile: string): Promise<FolderLock> {
  const file = resolve(lockFile);
  const body: LockBody = { pid: process.pid, token: randomBytes(8).toString('hex') };
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await tryCreate(file, body)) {
      held.add(file);
      return {
        async release() {
          held.delete(file);
          const current = await readLock(file);
          if (current?.token === body.token) await unlink(file).catch(() => undefined);
        },
      };
    }
    const holder = await readLock(file);
    if (holder && holder.pid === process.pid && held.has(file)) throw storeLocked(dir, 'another node in this process');
    if (holder && holder.pid !== process.pid && alive(holder.pid)) throw storeLocked(dir, `process ${holder.pid}`);
    await unlink(file).catch(() => undefined); // stale: its owner is gone
  }
  throw storeLocked(dir, 'another process that keeps taking the lock');
}
