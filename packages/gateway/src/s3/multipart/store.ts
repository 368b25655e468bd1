/**
 * Multipart uploads staged in the gateway's data dir, one folder per upload:
 *
 *   DATA/s3-multipart/<uploadId>/upload.json         bucket, key, content type, metadata, initiated
 *   DATA/s3-multipart/<uploadId>/NNNNN.json          one part: its file, size, MD5
 *   DATA/s3-multipart/<uploadId>/NNNNN-<rand>.bin    the part's bytes
 *
 * Parts stream to disk (constant memory) and are fsynced, then named by an atomically written
 * NNNNN.json, so a part is either wholly there or absent, and a part uploaded again replaces
 * the old one only when complete. Completion streams the parts, in order, into one DDC put;
 * the object's record appears only when that put is done, then the folder goes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonFile, syncDir, writeFileAtomic } from '../../keys/atomic-file.js';
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
  file: string;
}

const UPLOAD_ID = /^[A-Za-z0-9_-]{16,64}$/;

function noSuchUpload(uploadId: string): S3Error {
  return new S3Error('NoSuchUpload', 'The specified multipart upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', { UploadId: uploadId.slice(0, 128) });
}

const partName = (n: number) => String(n).padStart(5, '0');

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
   * Streams a part to disk and names it; replaces an earlier part of the same number. `md5Hex`:
   * the part's MD5 once `chunks` has ended, when the caller hashes the bytes already (an upload's
   * verified payload does); otherwise it is computed here.
   */
  async writePart(uploadId: string, partNumber: number, chunks: AsyncIterable<Uint8Array>, md5Hex?: () => string): Promise<PartInfo> {
    const dir = this.dir(uploadId);
    if (this.busy.has(uploadId)) throw noSuchUpload(uploadId);
    const file = `${partName(partNumber)}-${randomBytes(6).toString('hex')}.bin`;
    const tmp = join(dir, `.${file}.tmp`);
    const md5 = md5Hex ? undefined : createHash('md5');
    let size = 0;
    let fh;
    try {
      fh = await open(tmp, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw noSuchUpload(uploadId);
      throw e;
    }
    try {
      for await (const chunk of chunks) {
        md5?.update(chunk);
        size += chunk.length;
        await fh.write(chunk);
      }
      await fh.sync();
    } catch (e) {
      await fh.close().catch(() => {});
      await unlink(tmp).catch(() => {});
      throw e;
    }
    await fh.close();
    const part: PartInfo = { partNumber, etag: md5 ? md5.digest('hex') : md5Hex!(), size, lastModified: new Date().toISOString(), file };
    return this.locked(uploadId, async () => {
      if (this.busy.has(uploadId)) {
        await unlink(tmp).catch(() => {});
        throw noSuchUpload(uploadId);
      }
      const metaPath = join(dir, `${partName(partNumber)}.json`);
      const old = (await readJsonFile(metaPath).catch(() => undefined)) as PartInfo | undefined;
      await rename(tmp, join(dir, file));
      await writeFileAtomic(metaPath, JSON.stringify(part));
      if (old && old.file !== file && /^\d{5}-[0-9a-f]{12}\.bin$/.test(old.file)) await unlink(join(dir, old.file)).catch(() => {});
      return part;
    });
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

  /** The bytes of `parts`, in order, as one stream (1 MiB reads). */
  async *read(uploadId: string, parts: PartInfo[]): AsyncGenerator<Uint8Array> {
    const dir = this.dir(uploadId);
    for (const p of parts) {
      let n = 0;
      for await (const chunk of createReadStream(join(dir, p.file), { highWaterMark: 1024 * 1024 })) {
        n += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
      if (n !== p.size) throw new S3Error('InternalError', `part ${p.partNumber} of upload ${uploadId} has ${n} bytes on disk, not ${p.size}`);
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
