/**
 * A request body as the S3 handlers consume it: decoded from aws-chunked when it is, counted
 * against the limit and the declared length, and hashed as it streams (MD5 for the ETag; the
 * signed SHA-256, Content-MD5 and x-amz-checksum-* when the client sent them). Every check
 * that can only be made at the end is made before the last byte is handed on, so a consumer
 * that commits only after the stream ends never commits a body that fails one.
 */
import { inlineHashes, offloadedHashes, type BodyHashes } from './hash-offload.js';
import { S3Error, toS3Error } from '../s3/errors.js';
import { checksumHeaderAlgorithm, type ChecksumAlgorithm } from './checksums.js';
import type { BodyAlgorithm } from './hash-ring.js';
import { AwsChunkedDecoder } from './chunked.js';
import { header, type Authenticated } from './sigv4.js';

/** Bodies declared at least this large are hashed (MD5, a signed payload's SHA-256, the client's checksum) on a worker thread (hash-offload.ts). */
const OFFLOAD_HASH_BYTES = 4 * 1024 * 1024;

export interface PayloadOptions {
  auth: Authenticated | null;
  headers: Map<string, string[]>;
  /** Largest payload accepted: EntityTooLarge beyond it. */
  maxBytes: number;
}

export interface VerifiedPayload {
  /** The payload bytes (single use). */
  chunks: AsyncIterable<Uint8Array>;
  /** The length the client declared (Content-Length or x-amz-decoded-content-length), if any. */
  declared: number | undefined;
  /** Bytes passed on so far (the size once `chunks` ended). */
  size(): number;
  /** Hex MD5 of the payload, once `chunks` ended. */
  md5Hex(): string;
  /** The error that failed the body, if it failed: report it rather than what it caused downstream. */
  error(): S3Error | undefined;
}

function lengthHeader(headers: Map<string, string[]>, name: string): number | undefined {
  const v = header({ headers }, name);
  if (v === undefined) return undefined;
  if (!/^\d{1,16}$/.test(v.trim())) throw new S3Error('InvalidArgument', `${name} ${JSON.stringify(v.slice(0, 40))} is not a number of bytes`, { ArgumentName: name });
  return Number(v.trim());
}

function isAwsChunked(auth: Authenticated | null, headers: Map<string, string[]>): boolean {
  if (auth?.payload.kind === 'streaming') return true;
  const enc = header({ headers }, 'content-encoding') ?? '';
  return enc.split(',').some((e) => e.trim().toLowerCase() === 'aws-chunked');
}

function contentMd5(headers: Map<string, string[]>): Buffer | undefined {
  const v = header({ headers }, 'content-md5');
  if (v === undefined) return undefined;
  const b = Buffer.from(v.trim(), 'base64');
  if (b.length !== 16 || b.toString('base64') !== v.trim()) throw new S3Error('InvalidDigest', 'The Content-MD5 you specified is not valid: send the base64 of the 16-byte MD5');
  return b;
}

/** The checksum the client wants checked: a header with its value, or a trailer named by x-amz-trailer. */
function wantedChecksum(headers: Map<string, string[]>, chunked: boolean): { algorithm: ChecksumAlgorithm; value: string | undefined; trailer: string | undefined } | undefined {
  const trailerName = header({ headers }, 'x-amz-trailer')?.trim().toLowerCase();
  if (chunked && trailerName) {
    const algorithm = checksumHeaderAlgorithm(trailerName);
    if (!algorithm) throw new S3Error('InvalidRequest', `x-amz-trailer ${JSON.stringify(trailerName.slice(0, 60))} is not a supported checksum (x-amz-checksum-crc32, -crc32c, -crc64nvme, -sha1, -sha256)`);
    return { algorithm, value: undefined, trailer: trailerName };
  }
  for (const [name, values] of headers) {
    const algorithm = checksumHeaderAlgorithm(name);
    if (algorithm) return { algorithm, value: values.join(',').trim(), trailer: undefined };
  }
  return undefined;
}

/** Refuses a body declared too large before any of it is read. */
export function declaredLength(o: PayloadOptions): number | undefined {
  const chunked = isAwsChunked(o.auth, o.headers);
  const declared = chunked ? lengthHeader(o.headers, 'x-amz-decoded-content-length') : lengthHeader(o.headers, 'content-length');
  if (declared !== undefined && declared > o.maxBytes) {
    throw new S3Error('EntityTooLarge', `Your proposed upload of ${declared} bytes exceeds the maximum allowed size of ${o.maxBytes} bytes`, { ProposedSize: String(declared), MaxSizeAllowed: String(o.maxBytes) });
  }
  return declared;
}

export function verifiedPayload(body: AsyncIterable<Uint8Array>, o: PayloadOptions): VerifiedPayload {
  const chunked = isAwsChunked(o.auth, o.headers);
  const declared = declaredLength(o);
  const md5Given = contentMd5(o.headers);
  const checksum = wantedChecksum(o.headers, chunked);
  const signedSha = o.auth?.payload.kind === 'sha256';
  // MD5, SHA-256 for a signed payload, the client's checksum (once each); large bodies hash on a worker thread, small ones are not worth the hand-over.
  const algorithms = [...new Set<BodyAlgorithm>(['md5', ...(signedSha ? (['sha256'] as const) : []), ...(checksum ? [checksum.algorithm] : [])])];
  // Made when the body is first read, and ended in run()'s finally: a worker is never held by a body nobody reads.
  let hashes: BodyHashes | undefined;
  const bodyHashes = (): BodyHashes => (hashes ??= declared !== undefined && declared >= OFFLOAD_HASH_BYTES ? offloadedHashes(algorithms) : inlineHashes(algorithms));
  let size = 0;
  let md5Hex = '';
  let failure: S3Error | undefined;
  const payload = o.auth?.payload;
  const decoder = chunked
    ? new AwsChunkedDecoder({ signer: payload?.kind === 'streaming' ? payload.signed : null, trailer: payload?.kind === 'streaming' ? payload.trailer : checksum?.trailer !== undefined })
    : undefined;

  /** Hashes a piece; resolves when the hashing worker has room again, if it had to wait. */
  function take(piece: Uint8Array): Promise<void> | undefined {
    size += piece.length;
    if (size > o.maxBytes) throw new S3Error('EntityTooLarge', `Your upload exceeds the maximum allowed size of ${o.maxBytes} bytes`, { MaxSizeAllowed: String(o.maxBytes) });
    return bodyHashes().update(piece);
  }

  async function finish(): Promise<void> {
    const trailers = decoder?.finish();
    if (declared !== undefined && size !== declared) {
      throw new S3Error('IncompleteBody', `You did not provide the number of bytes specified by the ${chunked ? 'x-amz-decoded-content-length' : 'Content-Length'} header: ${size} of ${declared}`);
    }
    const digests = await bodyHashes().digest();
    const digestOf = (a: BodyAlgorithm): Buffer => digests[algorithms.indexOf(a)]!;
    const digest = digestOf('md5');
    md5Hex = digest.toString('hex');
    if (payload?.kind === 'sha256' && digestOf('sha256').toString('hex') !== payload.hex) {
      throw new S3Error('XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.", { ClientComputedContentSHA256: payload.hex });
    }
    if (md5Given && !md5Given.equals(digest)) throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.');
    if (checksum) {
      const given = checksum.trailer !== undefined ? trailers?.get(checksum.trailer) : checksum.value;
      if (given === undefined) throw new S3Error('InvalidRequest', `The ${checksum.trailer} trailer named by x-amz-trailer was not sent`);
      if (given !== digestOf(checksum.algorithm).toString('base64')) throw new S3Error('BadDigest', `The ${checksum.algorithm.toUpperCase()} you specified did not match the calculated checksum.`);
    }
  }

  async function* run(): AsyncGenerator<Uint8Array> {
    try {
      let held: Uint8Array | undefined;
      // One piece is held back so that the end checks pass before the last byte goes on.
      for await (const buf of body) {
        const pieces = decoder ? decoder.push(buf) : [buf];
        for (const piece of pieces) {
          if (piece.length === 0) continue;
          const room = take(piece);
          if (room) await room;
          if (held) yield held;
          held = piece;
        }
      }
      await finish();
      if (held) yield held;
    } catch (e) {
      failure = e instanceof S3Error ? e : new S3Error('IncompleteBody', `The request body could not be read: ${toS3Error(e).message}`, {}, { cause: e });
      throw failure;
    } finally {
      // Ended, failed or abandoned by its reader: the hashing worker goes back (digest is idempotent).
      void hashes?.digest().catch(() => {});
    }
  }

  return { chunks: run(), declared, size: () => size, md5Hex: () => md5Hex, error: () => failure };
}
