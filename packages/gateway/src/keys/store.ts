/**
 * S3 access keys of the gateway: `DATA/s3-keys.json` (mode 0600, written atomically). Each
 * pair acts in DDC either as the gateway's own identity, owner of the buckets it lists
 * (`buckets`, or `*` for every bucket the gateway names), or with a capability token whose
 * audience is the gateway's signing key (someone else's bucket, within what the token allows).
 *
 *   {"format":"ddc-gateway-keys","version":1,"keys":[{accessKeyId, secretAccessKey, buckets, token?, created}]}
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { DdcError } from '@ddc/core';
import { fileStamp, readJsonFile, writeFileAtomic } from './atomic-file.js';

export const KEYS_FILE = 's3-keys.json';
const FORMAT = 'ddc-gateway-keys';

export interface AccessKey {
  accessKeyId: string;
  secretAccessKey: string;
  /** S3 bucket names this key may use; ['*'] for all the gateway names. */
  buckets: string[];
  /** A capability token (ddct1…) for the one bucket in `buckets`, audience the gateway's key; absent: the gateway acts as owner. */
  token?: string;
  /** May this key create buckets (owned by the gateway's account)? True for `*` keys. */
  createBuckets?: boolean;
  /** ISO time of creation. */
  created: string;
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** 20 characters like AWS's ids: `DDC` + 17 base32 characters (85 random bits). */
export function newAccessKeyId(): string {
  const bytes = randomBytes(17);
  let s = 'DDC';
  for (const b of bytes) s += BASE32[b & 31];
  return s;
}

/** 40 characters from base64url (240 random bits), like AWS's secret keys. */
export function newSecretAccessKey(): string {
  return randomBytes(30).toString('base64url');
}

function invalid(path: string, why: string): DdcError {
  return new DdcError('DDC_INVALID_CONFIG', `the gateway's access key file ${path} is invalid: ${why}`, { hint: 'Fix or remove the file, then create keys again with `ddc gateway keys create`' });
}

function parseEntry(v: unknown, path: string): AccessKey {
  const e = v as Partial<AccessKey> | null;
  if (!e || typeof e !== 'object') throw invalid(path, 'an entry is not an object');
  if (typeof e.accessKeyId !== 'string' || !/^[A-Za-z0-9]{16,128}$/.test(e.accessKeyId)) throw invalid(path, 'an accessKeyId is not 16-128 letters and digits');
  if (typeof e.secretAccessKey !== 'string' || e.secretAccessKey.length < 16) throw invalid(path, `the secret of ${e.accessKeyId} is shorter than 16 characters`);
  if (!Array.isArray(e.buckets) || !e.buckets.every((b) => typeof b === 'string')) throw invalid(path, `buckets of ${e.accessKeyId} is not a list of names`);
  if (e.token !== undefined && (typeof e.token !== 'string' || e.buckets.length !== 1 || e.buckets[0] === '*')) throw invalid(path, `${e.accessKeyId} has a token but not exactly one bucket`);
  return {
    accessKeyId: e.accessKeyId,
    secretAccessKey: e.secretAccessKey,
    buckets: e.buckets,
    ...(e.token !== undefined ? { token: e.token } : {}),
    ...(e.createBuckets !== undefined ? { createBuckets: e.createBuckets === true } : {}),
    created: typeof e.created === 'string' ? e.created : new Date(0).toISOString(),
  };
}

export class AccessKeyStore {
  private keys = new Map<string, AccessKey>();
  private writing: Promise<void> = Promise.resolve();
  private stamp = '';

  private constructor(readonly path: string) {}

  /** Opens (or starts) the key file in the gateway's data dir. */
  static async open(dataDir: string): Promise<AccessKeyStore> {
    const store = new AccessKeyStore(join(dataDir, KEYS_FILE));
    await store.reload();
    return store;
  }

  /** Reads the file again (keys created by `ddc gateway keys create` while the gateway runs). */
  async reload(): Promise<void> {
    const stamp = await fileStamp(this.path);
    const doc = (await readJsonFile(this.path)) as { format?: unknown; version?: unknown; keys?: unknown } | undefined;
    const keys = new Map<string, AccessKey>();
    if (doc !== undefined) {
      if (doc.format !== FORMAT || doc.version !== 1 || !Array.isArray(doc.keys)) throw invalid(this.path, `it is not {"format":"${FORMAT}","version":1,"keys":[…]}`);
      for (const v of doc.keys) {
        const e = parseEntry(v, this.path);
        keys.set(e.accessKeyId, e);
      }
    }
    this.keys = keys;
    this.stamp = stamp;
  }

  /** Reads the file again if it changed since it was read (a key or name added by another process). */
  async reloadIfStale(): Promise<void> {
    if ((await fileStamp(this.path)) !== this.stamp) await this.reload();
  }

  get(accessKeyId: string): AccessKey | undefined {
    return this.keys.get(accessKeyId);
  }

  list(): AccessKey[] {
    return [...this.keys.values()];
  }

  /** Creates a pair; `token` (ddct1…) when the bucket is someone else's. */
  async create(p: { buckets: string[]; token?: string; createBuckets?: boolean; accessKeyId?: string; secretAccessKey?: string }): Promise<AccessKey> {
    if (p.buckets.length === 0) throw new DdcError('DDC_INVALID_ARGUMENT', 'an access key needs at least one bucket name (or *)', { hint: 'Pass --bucket NAME, or --all' });
    if (p.token !== undefined && (p.buckets.length !== 1 || p.buckets[0] === '*')) throw new DdcError('DDC_INVALID_ARGUMENT', 'a key with a token is for exactly one bucket', { hint: 'Pass one --bucket NAME with --token' });
    const key: AccessKey = {
      accessKeyId: p.accessKeyId ?? newAccessKeyId(),
      secretAccessKey: p.secretAccessKey ?? newSecretAccessKey(),
      buckets: [...p.buckets],
      ...(p.token !== undefined ? { token: p.token.trim() } : {}),
      ...(p.createBuckets !== undefined ? { createBuckets: p.createBuckets } : {}),
      created: new Date().toISOString(),
    };
    parseEntry(key, this.path);
    await this.update(() => this.keys.set(key.accessKeyId, key));
    return key;
  }

  async remove(accessKeyId: string): Promise<boolean> {
    let removed = false;
    await this.update(() => (removed = this.keys.delete(accessKeyId)));
    return removed;
  }

  /** Changes the map from the file's latest content, then writes it (one writer at a time). */
  private update(change: () => void): Promise<void> {
    const next = this.writing.then(async () => {
      await this.reload();
      change();
      const doc = { format: FORMAT, version: 1, keys: [...this.keys.values()] };
      await writeFileAtomic(this.path, `${JSON.stringify(doc, null, 2)}\n`, 0o600);
    });
    this.writing = next.catch(() => {});
    return next;
  }
}
