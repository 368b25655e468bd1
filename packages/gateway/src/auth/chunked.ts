/**
 * The aws-chunked body of a streaming upload (AWS "Signature calculations for the
 * Authorization header: transferring payload in multiple chunks"):
 *
 *   <hex size>;chunk-signature=<sig>\r\n<data>\r\n … 0;chunk-signature=<sig>\r\n[trailers]\r\n
 *
 * Each chunk's signature is HMAC(kSigning, "AWS4-HMAC-SHA256-PAYLOAD\n" time \n scope \n
 * previous signature \n SHA-256("") \n SHA-256(data)), chained from the request's own
 * signature (the seed). Trailers (x-amz-checksum-*) follow the zero-size chunk and, in the
 * signed mode, end with x-amz-trailer-signature over "AWS4-HMAC-SHA256-TRAILER\n" time \n
 * scope \n last chunk signature \n SHA-256 of the trailer lines as "name:value\n".
 *
 * The decoder is push-based and keeps only the line it is reading (at most MAX_LINE bytes)
 * and a running hash: data bytes are passed on as they arrive, and a chunk whose signature
 * is wrong fails the body at its end, so the upload is never committed. Signatures are
 * checked, never stored.
 */
import { createHash, type Hash } from 'node:crypto';
import { S3Error } from '../s3/errors.js';
import { EMPTY_SHA256, hmac, sameSignature, type StreamingSigner } from './sigv4.js';

/** Longest chunk header or trailer line accepted. */
export const MAX_LINE = 4096;
/** Largest single chunk accepted (a part is at most 5 GiB anyway). */
export const MAX_CHUNK = 2 ** 33;
const MAX_TRAILERS = 16;

export interface ChunkedOptions {
  /** Chunk signatures to check; null for STREAMING-UNSIGNED-PAYLOAD-TRAILER. */
  signer: StreamingSigner | null;
  /** Trailers follow the final chunk (x-amz-trailer). */
  trailer: boolean;
}

type State = 'size' | 'data' | 'data-cr' | 'data-lf' | 'trailer' | 'end' | 'done';

const malformed = (why: string) => new S3Error('InvalidRequest', `The aws-chunked body is malformed: ${why}`);
const badSignature = (why: string) => new S3Error('SignatureDoesNotMatch', `The request signature we calculated does not match the signature you provided: ${why}`);

export class AwsChunkedDecoder {
  private state: State = 'size';
  private line: number[] = [];
  private remaining = 0;
  private chunkSignature = '';
  private chunkHash: Hash | undefined;
  private previous: string;
  private chunks = 0;
  private readonly trailerLines: [string, string][] = [];
  private trailerSignature: string | undefined;
  /** Payload bytes passed on so far. */
  decoded = 0;

  constructor(private readonly o: ChunkedOptions) {
    this.previous = o.signer?.seedSignature ?? '';
  }

  get finished(): boolean {
    return this.state === 'done';
  }

  /** The trailers read (lower-case names), once finished. */
  get trailers(): Map<string, string> {
    return new Map(this.trailerLines);
  }

  /** Feeds wire bytes; returns the payload bytes among them (views into `buf`). */
  push(buf: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let i = 0;
    while (i < buf.length) {
      switch (this.state) {
        case 'data': {
          const n = Math.min(this.remaining, buf.length - i);
          const piece = buf.subarray(i, i + n);
          this.chunkHash?.update(piece);
          out.push(piece);
          this.decoded += n;
          this.remaining -= n;
          i += n;
          if (this.remaining === 0) this.state = 'data-cr';
          break;
        }
        case 'data-cr':
          if (buf[i++] !== 0x0d) throw malformed(`chunk ${this.chunks} is longer than its declared size`);
          this.state = 'data-lf';
          break;
        case 'data-lf':
          if (buf[i++] !== 0x0a) throw malformed(`chunk ${this.chunks} is not followed by CRLF`);
          this.endChunk();
          this.state = 'size';
          break;
        case 'done':
          throw malformed('bytes follow the final chunk');
        default: {
          const b = buf[i++]!;
          if (b !== 0x0a) {
            if (this.line.length >= MAX_LINE) throw malformed(`a chunk header or trailer line is longer than ${MAX_LINE} bytes`);
            this.line.push(b);
            break;
          }
          if (this.line.pop() !== 0x0d) throw malformed('lines must end with CRLF');
          const text = Buffer.from(this.line).toString('latin1');
          this.line = [];
          this.onLine(text);
        }
      }
    }
    return out;
  }

  /** The body ended: IncompleteBody unless the final chunk (and trailers) were read. */
  finish(): Map<string, string> {
    // Some writers end the body right after the zero-size chunk's line.
    if (this.state === 'end' && this.line.length === 0) this.state = 'done';
    if (this.state !== 'done') throw new S3Error('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header: the aws-chunked body ended before its final chunk');
    return this.trailers;
  }

  private onLine(text: string): void {
    if (this.state === 'size') return this.onSizeLine(text);
    if (this.state === 'end') {
      if (text !== '') throw malformed('the final chunk must be followed by an empty line');
      this.state = 'done';
      return;
    }
    // Trailer lines, then an empty line.
    if (text === '') return this.endTrailers();
    const colon = text.indexOf(':');
    if (colon <= 0) throw malformed(`trailer line ${JSON.stringify(text.slice(0, 80))} is not name:value`);
    const name = text.slice(0, colon).trim().toLowerCase();
    const value = text.slice(colon + 1).trim();
    if (name === 'x-amz-trailer-signature') {
      if (this.trailerSignature !== undefined) throw malformed('x-amz-trailer-signature appears twice');
      this.trailerSignature = value;
      return;
    }
    if (this.trailerSignature !== undefined) throw malformed('x-amz-trailer-signature must be the last trailer');
    if (this.trailerLines.length >= MAX_TRAILERS) throw malformed(`more than ${MAX_TRAILERS} trailers`);
    if (this.trailerLines.some(([n]) => n === name)) throw malformed(`trailer ${name} appears twice`);
    this.trailerLines.push([name, value]);
  }

  private onSizeLine(text: string): void {
    const parts = text.split(';');
    const sizeText = parts[0]!.trim();
    if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText)) throw malformed(`chunk size ${JSON.stringify(sizeText.slice(0, 40))} is not hex`);
    const size = parseInt(sizeText, 16);
    if (size > MAX_CHUNK) throw malformed(`chunk size ${size} is over ${MAX_CHUNK}`);
    this.chunks++;
    this.chunkSignature = '';
    for (const ext of parts.slice(1)) {
      const eq = ext.indexOf('=');
      if (eq > 0 && ext.slice(0, eq).trim() === 'chunk-signature') this.chunkSignature = ext.slice(eq + 1).trim();
    }
    if (this.o.signer && this.chunkSignature === '') throw badSignature(`chunk ${this.chunks} has no chunk-signature`);
    this.chunkHash = this.o.signer ? createHash('sha256') : undefined;
    this.remaining = size;
    if (size > 0) {
      this.state = 'data';
      return;
    }
    this.endChunk();
    this.state = this.o.trailer ? 'trailer' : 'end';
  }

  private endChunk(): void {
    const signer = this.o.signer;
    if (!signer) return;
    const dataHash = this.chunkHash!.digest('hex');
    const toSign = ['AWS4-HMAC-SHA256-PAYLOAD', signer.timestamp, signer.scope, this.previous, EMPTY_SHA256, dataHash].join('\n');
    const expected = hmac(signer.signingKey, toSign).toString('hex');
    if (!sameSignature(expected, this.chunkSignature)) throw badSignature(`chunk ${this.chunks}'s chunk-signature is wrong`);
    this.previous = this.chunkSignature;
  }

  private endTrailers(): void {
    const signer = this.o.signer;
    if (signer) {
      if (this.trailerSignature === undefined) throw badSignature('the trailers have no x-amz-trailer-signature');
      const canonical = this.trailerLines.map(([n, v]) => `${n}:${v}\n`).join('');
      const toSign = ['AWS4-HMAC-SHA256-TRAILER', signer.timestamp, signer.scope, this.previous, createHash('sha256').update(canonical).digest('hex')].join('\n');
      if (!sameSignature(hmac(signer.signingKey, toSign).toString('hex'), this.trailerSignature)) throw badSignature('x-amz-trailer-signature is wrong');
    }
    this.state = 'done';
  }
}

/** The payload of an aws-chunked body, checked as it streams; returns the trailers. */
export async function* decodeAwsChunked(body: AsyncIterable<Uint8Array>, o: ChunkedOptions): AsyncGenerator<Uint8Array, Map<string, string>> {
  const decoder = new AwsChunkedDecoder(o);
  for await (const buf of body) {
    for (const piece of decoder.push(buf)) yield piece;
  }
  return decoder.finish();
}
