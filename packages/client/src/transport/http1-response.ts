/**
 * An incremental reader of one HTTP/1.1 response with a Content-Length, for the shard fetcher:
 * it takes bytes as the socket delivers them and copies the body straight into the array its
 * `bodyFor` callback chooses (a pooled shard buffer). Anything it does not handle (no
 * Content-Length, a transfer coding, 1xx, an oversized head) is refused with
 * Http1ResponseError so that the caller can send the request the general way instead.
 */

import { charCodesToString } from '@ddc/core';

/** Longest response head accepted; a node's answers carry a few hundred bytes of headers. */
export const MAX_RESPONSE_HEAD = 16 * 1024;

export interface ResponseHead {
  status: number;
  contentLength: number;
  /** False when the server said it closes the connection (or spoke HTTP/1.0 without keep-alive). */
  keepAlive: boolean;
  /** Header names in lower case; a repeated header keeps its first value. */
  headers: ReadonlyMap<string, string>;
}

export type Http1ResponseErrorKind = 'malformed' | 'unsupported' | 'too-large';

export class Http1ResponseError extends Error {
  constructor(readonly kind: Http1ResponseErrorKind, message: string, /** The answer's status, when its status line was read. */ readonly status?: number) {
    super(message);
    this.name = 'Http1ResponseError';
  }
}

const HEAD_END = '\r\n\r\n';
const HEAD_END_BYTES = [13, 10, 13, 10];
const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [^\r\n]*)?$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const DIGITS = /^\d{1,15}$/;

/** Parses a response head (the text before the blank line, without it). */
export function parseResponseHead(text: string): ResponseHead {
  const lines = text.split('\r\n');
  const m = STATUS_LINE.exec(lines[0] ?? '');
  if (!m) throw new Http1ResponseError('malformed', `not an HTTP/1.x status line: ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
  const minor = m[1]!;
  const status = Number(m[2]);
  const headers = new Map<string, string>();
  let contentLength: number | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!TOKEN.test(name)) throw new Http1ResponseError('malformed', `a header line is not "name: value": ${JSON.stringify(line.slice(0, 80))}`);
    const key = name.toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'content-length') {
      if (!DIGITS.test(value)) throw new Http1ResponseError('malformed', `Content-Length is not a number: ${JSON.stringify(value.slice(0, 40))}`);
      const n = Number(value);
      if (contentLength !== undefined && contentLength !== n) throw new Http1ResponseError('malformed', 'two different Content-Length headers');
      contentLength = n;
    }
    if (!headers.has(key)) headers.set(key, value);
  }
  if (status < 200) throw new Http1ResponseError('unsupported', `an interim ${status} answer`, status);
  if (headers.has('transfer-encoding')) throw new Http1ResponseError('unsupported', `a body in Transfer-Encoding ${headers.get('transfer-encoding')}`, status);
  if (contentLength === undefined) {
    if (status === 204 || status === 304) contentLength = 0;
    else throw new Http1ResponseError('unsupported', 'an answer without Content-Length', status);
  }
  const connection = (headers.get('connection') ?? '').toLowerCase().split(',').map((s) => s.trim());
  const keepAlive = minor === '1' ? !connection.includes('close') : connection.includes('keep-alive');
  return { status, contentLength, keepAlive, headers };
}

export class Http1ResponseReader {
  private headText = '';
  private headLength = 0;
  /** How much of CR LF CR LF the last bytes matched. */
  private matched = 0;
  private head: ResponseHead | undefined;
  private body: Uint8Array | undefined;
  private filled = 0;

  constructor(private readonly bodyFor: (head: ResponseHead) => Uint8Array) {}

  /** Whether any byte of the response has arrived (a reused connection closed before that may be retried). */
  get started(): boolean {
    return this.headLength > 0;
  }

  get done(): boolean {
    return this.body !== undefined && this.filled === this.body.length;
  }

  /** The parsed head and the whole body, once done. */
  result(): { head: ResponseHead; body: Uint8Array } {
    if (!this.done) throw new Error('the response is not complete');
    return { head: this.head!, body: this.body! };
  }

  /**
   * Where the body's next bytes go, while the head is in and the body is not complete: a socket
   * may read straight into it, then call `advance`. Undefined otherwise (bytes go through `feed`).
   */
  bodyWindow(): Uint8Array | undefined {
    const body = this.body;
    return body && this.filled < body.length ? body.subarray(this.filled) : undefined;
  }

  /** `n` bytes were read straight into `bodyWindow()`. */
  advance(n: number): void {
    if (!this.body || n < 0 || n > this.body.length - this.filled) throw new Error(`advance(${n}) past the body's end`);
    this.filled += n;
  }

  /**
   * Consumes bytes from chunk[start, end) and returns where it stopped: at `end`, or right after
   * the response's last byte (the caller decides what bytes beyond it mean).
   */
  feed(chunk: Uint8Array, start: number, end: number): number {
    let at = start;
    if (!this.head) {
      // Scan for the blank line byte by byte (a head is a few hundred bytes), carrying the match across chunks.
      const limit = Math.min(end, at + MAX_RESPONSE_HEAD + HEAD_END.length - this.headLength);
      let i = at;
      while (i < limit && this.matched < 4) {
        const b = chunk[i++]!;
        this.matched = b === HEAD_END_BYTES[this.matched] ? this.matched + 1 : b === 13 ? 1 : 0;
      }
      this.headText += charCodesToString(chunk.subarray(at, i));
      this.headLength += i - at;
      at = i;
      if (this.matched < 4) {
        if (this.headLength >= MAX_RESPONSE_HEAD + HEAD_END.length) throw new Http1ResponseError('too-large', `the response head exceeds ${MAX_RESPONSE_HEAD} bytes`);
        return at;
      }
      this.head = parseResponseHead(this.headText.slice(0, -HEAD_END.length));
      this.headText = '';
      const body = this.bodyFor(this.head);
      if (body.length !== this.head.contentLength) throw new Error(`bodyFor gave ${body.length} bytes for a Content-Length of ${this.head.contentLength}`);
      this.body = body;
    }
    const body = this.body!;
    const n = Math.min(end - at, body.length - this.filled);
    if (n > 0) {
      body.set(chunk.subarray(at, at + n), this.filled);
      this.filled += n;
      at += n;
    }
    return at;
  }
}
