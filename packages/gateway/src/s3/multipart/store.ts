/**
 * Multipart uploads staged in the gateway's data dir, one folder per upload:
 *
 *   DATA/s3-multipart/<uploadId>/upload.json         bucket, key, content type, metadata, initiated
 *   DATA/s3-multipart/<uploadId>/NNNNN.json          one part: its file, size, MD5
 *   DATA/s3-multipart/<uploadId>/NNNNN-<rand>.bin    a staged part's bytes, or
 *   DATA/s3-multipart/<uploadId>/NNNNN-<rand>.leaves a stored part's raw leaves:
 *       {"format":"ddc-s3-part-leaves","version":1,"leaves":[[cid, size], ...]}
 *
 * A part is staged (streamed to disk, fsynced) or, when the caller passes `store` (a public
 * bucket: plaintext), stored in DDC at once, its leaves kept here. Either way it is named by
 * an atomically written NNNNN.json only when complete, so a part is wholly there or absent,
 * and a part uploaded again replaces the old one only when complete. Completion either
 * composes stored parts (their leaves, in order: see ops.ts) or streams the parts' bytes into
 * one DDC put; the object's record appears only when that is done, then the folder goes. A
 * stored part that no completion uses stays in DDC, referenced by the bucket, like a deleted
 * object's content.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { readJsonFile, syncDir, writeFileAtomic } from '../../keys/atomic-file.js';
import { parseCid, type FileLink } from '@ddc/core';
import { S3Error } from '../errors.js';

export const MULTIPART_DIR = 's3-multipart';

export interface UploadInfo {
  uploadId: string;
  bucket: string;
  bucketId: number;
  key: string;
  accessKeyId: string | null;
  contentType: string | undefined;
  metadata: Record<string, string>;
  /** ISO time. */
  initiated: string;
}

export interface PartInfo {
  partNumber: number;
  /** Hex MD5 of the part (its ETag without quotes). */
  etag: string;
  size: number;
  /** ISO time. */
  lastModified: string;
  /** Its bytes (`.bin`), or for a stored part its leaves (`.leaves`). */
  file: string;
  /** A stored part: the root CID of its bytes in DDC. */
  cid?: string;
}

/** Stores a part's bytes in DDC (plaintext), resolving with its root CID and raw leaves in order once durable. */
export type PartStorer = (chunks: AsyncIterable<Uint8Array>) => Promise<{ cid: string; leaves: FileLink[] }>;

const UPLOAD_ID = /^[A-Za-z0-9_-]{16,64}$/;

function noSuchUpload(uploadId: string): S3Error {
  return new S3Error('NoSuchUpload', 'The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: uploadId.slice(0, 128) });
}

const partName = (n: number) => String(n).padStart(5, '0');
const LEAVES_FORMAT = 'ddc-s3-part-leaves';
const LEAVES_VERSION = 1;
const PART_FILE = /^\d{5}-[0-9a-f]{12}\.(bin|leaves)$/;

/** Creates `tmp` (NoSuchUpload if its folder is gone), writes it with `write` and fsyncs it; removes it on failure. */
async function writeSynced(tmp: string, write: (fh: FileHandle) => Promise<void>): Promise<void> {
  let fh: FileHandle;
  try {
    fh = await open(tmp, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw noSuchUpload(basename(dirname(tmp)));
    throw e;
  }
  try {
    await write(fh);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fh.close();
}

export class MultipartStore {
  /** Uploads being completed or aborted: further parts, completions and aborts wait or are refused. */
  private readonly busy = new Set<string>();
  private readonly locks = new Map<string, Promise<unknown>>();

  private constructor(readonly root: string) {}

  static async open(dataDir: string): Promise<MultipartStore> {
    const root = join(dataDir, MULTIPART_DIR);
    await mkdir(root, { recursive: true, mode: 0o700 });
    return new MultipartStore(root);
  }

  private dir(uploadId: string): string {
    if (!UPLOAD_ID.test(uploadId)) throw noSuchUpload(uploadId);
    return join(this.root, uploadId);
  }

  /** Runs `fn` alone among the calls for this upload. */
  private async locked<T>(uploadId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(uploadId) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => {});
    this.locks.set(uploadId, tail);
    void tail.then(() => {
      if (this.locks.get(uploadId) === tail) this.locks.delete(uploadId);
    });
    return next;
  }

  async create(p: Omit<UploadInfo, 'uploadId' | 'initiated'>): Promise<UploadInfo> {
    const uploadId = randomBytes(24).toString('base64url');
    const info: UploadInfo = { ...p, uploadId, initiated: new Date().toISOString() };
    const dir = this.dir(uploadId);
    await mkdir(dir, { mode: 0o700 });
    await writeFileAtomic(join(dir, 'upload.json'), JSON.stringify(info));
    await syncDir(this.root);
    return info;
  }

  /** The upload, or NoSuchUpload (also when it belongs to another bucket or key). */
  async get(uploadId: string, bucket?: string, key?: string): Promise<UploadInfo> {
    const info = (await readJsonFile(join(this.dir(uploadId), 'upload.json'))) as UploadInfo | undefined;
    if (!info || (bucket !== undefined && info.bucket !== bucket) || (key !== undefined && info.key !== key)) throw noSuchUpload(uploadId);
    return info;
  }

  /**
   * Stages a part on disk, or with `store` stores it in DDC and keeps its leaves, then names it;
   * replaces an earlier part of the same number. `md5Hex`: the part's MD5 once `chunks` has
   * ended, when the caller hashes the bytes already (an upload's verified payload does);
   * otherwise it is computed here.
   */
  async writePart(uploadId: string, partNumber: number, chunks: AsyncIterable<Uint8Array>, md5Hex?: () => string, store?: PartStorer): Promise<PartInfo> {
    const dir = this.dir(uploadId);
    if (this.busy.has(uploadId)) throw noSuchUpload(uploadId);
    const md5 = md5Hex ? undefined : createHash('md5');
    let size = 0;
    const counted = (async function* () {
      for await (const chunk of chunks) {
        md5?.update(chunk);
        size += chunk.length;
        yield chunk;
      }
    })();
    const written = store ? await this.storePart(dir, partNumber, counted, store) : { ...(await this.stagePart(dir, partNumber, counted)), cid: undefined };
    const { file, tmp, cid } = written;
    const part: PartInfo = { partNumber, etag: md5 ? md5.digest('hex') : md5Hex!(), size, lastModified: new Date().toISOString(), file, ...(cid !== undefined ? { cid } : {}) };
    return this.locked(uploadId, async () => {
      if (this.busy.has(uploadId)) {
        await unlink(tmp).catch(() => {});
        throw noSuchUpload(uploadId);
      }
      const metaPath = join(dir, `${partName(partNumber)}.json`);
      const old = (await readJsonFile(metaPath).catch(() => undefined)) as PartInfo | undefined;
      await rename(tmp, join(dir, file));
      await writeFileAtomic(metaPath, JSON.stringify(part));
      if (old && old.file !== file && PART_FILE.test(old.file)) await unlink(join(dir, old.file)).catch(() => {});
      return part;
    });
  }

  /** Streams the bytes to a synced temporary file. */
  private async stagePart(dir: string, partNumber: number, chunks: AsyncIterable<Uint8Array>): Promise<{ file: string; tmp: string }> {
    const file = `${partName(partNumber)}-${randomBytes(6).toString('hex')}.bin`;
    const tmp = join(dir, `.${file}.tmp`);
    await writeSynced(tmp, async (fh) => {
      for await (const chunk of chunks) await fh.write(chunk);
    });
    return { file, tmp };
  }

  /** Stores the bytes in DDC, then its leaves in a synced temporary file. */
  private async storePart(dir: string, partNumber: number, chunks: AsyncIterable<Uint8Array>, store: PartStorer): Promise<{ file: string; tmp: string; cid: string }> {
    const file = `${partName(partNumber)}-${randomBytes(6).toString('hex')}.leaves`;
    const tmp = join(dir, `.${file}.tmp`);
    const { cid, leaves } = await store(chunks);
    const doc = { format: LEAVES_FORMAT, version: LEAVES_VERSION, leaves: leaves.map((l) => [l.cid.toString(), l.fileSize]) };
    await writeSynced(tmp, (fh) => fh.writeFile(JSON.stringify(doc)));
    return { file, tmp, cid };
  }

  /** Every part uploaded, by part number. */
  async parts(uploadId: string): Promise<PartInfo[]> {
    const dir = this.dir(uploadId);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw noSuchUpload(uploadId);
      throw e;
    }
    const parts: PartInfo[] = [];
    for (const name of names.filter((n) => /^\d{5}\.json$/.test(n)).sort()) {
      const p = (await readJsonFile(join(dir, name)).catch(() => undefined)) as PartInfo | undefined;
      if (p) parts.push(p);
    }
    return parts;
  }

  /**
   * The bytes of `parts`, in order, as one stream: staged parts from disk (1 MiB reads), stored
   * ones through `openStored` (their DDC root CID).
   */
  async *read(uploadId: string, parts: PartInfo[], openStored?: (cid: string) => AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    const dir = this.dir(uploadId);
    for (const p of parts) {
      let n = 0;
      if (p.cid !== undefined && !openStored) throw new S3Error('InternalError', `part ${p.partNumber} of upload ${uploadId} is stored in DDC, and nothing reads it`);
      const source = p.cid !== undefined ? openStored!(p.cid) : createReadStream(join(dir, p.file), { highWaterMark: 1024 * 1024 });
      for await (const chunk of source) {
        n += (chunk as Uint8Array).length;
        yield chunk as Uint8Array;
      }
      if (n !== p.size) throw new S3Error('InternalError', `part ${p.partNumber} of upload ${uploadId} has ${n} bytes, not ${p.size}`);
    }
  }

  /** The raw leaves of stored parts, in order (one part's list in memory at a time). */
  async *leaves(uploadId: string, parts: PartInfo[]): AsyncGenerator<FileLink> {
    const dir = this.dir(uploadId);
    for (const p of parts) {
      const bad = (why: string) => new S3Error('InternalError', `the leaves of part ${p.partNumber} of upload ${uploadId} are unreadable: ${why}`);
      if (p.cid === undefined) throw bad('the part is staged, not stored');
      let doc: { format?: unknown; version?: unknown; leaves?: unknown };
      try {
        doc = JSON.parse(await readFile(join(dir, p.file), 'utf8')) as typeof doc;
      } catch (e) {
        throw bad(e instanceof Error ? e.message : String(e));
      }
      if (doc?.format !== LEAVES_FORMAT) throw bad(`not a ${LEAVES_FORMAT} file`);
      if (doc.version !== LEAVES_VERSION) throw bad(`version ${String(doc.version)}; this gateway reads version ${LEAVES_VERSION}`);
      const list = doc.leaves;
      if (!Array.isArray(list)) throw bad('no list of leaves');
      let total = 0;
      for (const entry of list as unknown[]) {
        if (!Array.isArray(entry) || typeof entry[0] !== 'string' || !Number.isSafeInteger(entry[1])) throw bad('an entry is not [cid, size]');
        const size = entry[1] as number;
        total += size;
        yield { cid: parseCid(entry[0]), tsize: size, fileSize: size };
      }
      if (total !== p.size) throw bad(`they add up to ${total} bytes, not ${p.size}`);
    }
  }

  /**
   * Runs `fn` with the upload reserved (parts, aborts and other completions are refused
   * meanwhile); on success the upload is removed.
   */
  async complete<T>(uploadId: string, fn: () => Promise<T>): Promise<T> {
    this.dir(uploadId);
    await this.locked(uploadId, async () => {
      if (this.busy.has(uploadId)) throw new S3Error('InvalidRequest', `upload ${uploadId} is being completed or aborted already`);
      this.busy.add(uploadId);
    });
    try {
      const out = await fn();
      await this.remove(uploadId);
      return out;
    } finally {
      this.busy.delete(uploadId);
    }
  }

  /** Deletes the upload and its parts (abort). */
  async abort(uploadId: string, bucket: string, key: string): Promise<void> {
    await this.get(uploadId, bucket, key);
    await this.locked(uploadId, async () => {
      if (this.busy.has(uploadId)) throw new S3Error('InvalidRequest', `upload ${uploadId} is being completed`);
      await this.remove(uploadId);
    });
  }

  private async remove(uploadId: string): Promise<void> {
    const dir = this.dir(uploadId);
    // upload.json first: a crash midway leaves no half-upload that lists or accepts parts.
    await unlink(join(dir, 'upload.json')).catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }

  /** Uploads in progress for a bucket, by key then initiation time. */
  async list(bucket: string): Promise<UploadInfo[]> {
    const out: UploadInfo[] = [];
    for (const name of await readdir(this.root)) {
      if (!UPLOAD_ID.test(name)) continue;
      const info = (await readJsonFile(join(this.root, name, 'upload.json')).catch(() => undefined)) as UploadInfo | undefined;
      if (info && info.bucket === bucket) out.push(info);
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.initiated < b.initiated ? -1 : a.initiated > b.initiated ? 1 : 0));
  }
}
