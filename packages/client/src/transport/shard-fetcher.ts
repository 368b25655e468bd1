/**
 * Shard GETs and PUTs over plain HTTP/1.1 keep-alive sockets that read into one reused buffer
 * (net's `onread`) until an answer's head is in, then straight into the array its body is read for
 * (a pooled shard buffer for a GET): the kernel copies the body there, with no copy in JS. Copying
 * each read out of the shared buffer into shared memory was 16% of a large get's thread.
 *
 * Why not undici, as the rest of the transport: a socket read through a stream allocates a new
 * array per read, and V8 starts a full mark-compact for every few tens of MiB of such memory.
 * Measured here on 256 MiB of 256 KiB answers over loopback: undici 0.87–0.90 s of CPU and 9
 * mark-compacts; a reused read buffer 0.31–0.39 s and at most one.
 *
 * A PUT through undici cost 0.4 ms more client CPU than the same bytes written to a socket
 * (1,024 PUTs of 256 KiB to a local server: 0.96–0.98 s against 0.54–0.56 s, server included).
 *
 * Only what these paths need: GET and PUT, Content-Length bodies, http: URLs. Whatever else a
 * server answers with (a transfer coding, an interim answer) rejects with FetchFallback, and the
 * caller sends the request the general way (both requests are idempotent).
 */
import { connect, type Socket } from 'node:net';
import { Http1ResponseError, Http1ResponseReader, type ResponseHead } from './http1-response.js';

export interface ShardFetcherOptions {
  /** Sockets per origin. */
  connections: number;
  connectTimeoutMs: number;
  /** Longest wait for the first byte of an answer, and then between bytes. */
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
}

export interface NodeRequest {
  method: 'GET' | 'PUT' | 'POST';
  /** Path and query, starting with '/'. */
  path: string;
  headers?: Readonly<Record<string, string>>;
  /** Sent with Content-Length (parts one after another); the caller keeps it unchanged until the request settles. */
  body?: Uint8Array | readonly Uint8Array[];
}

export interface FetchedResponse {
  head: ResponseHead;
  body: Uint8Array;
}

/** What the fetcher cannot do itself; the caller retries the request another way. */
export class FetchFallback extends Error {
  /** Set when the node had answered (with a body this reader does not take): the request reached it. */
  readonly answeredStatus: number | undefined;

  constructor(message: string, answeredStatus?: number) {
    super(message);
    this.name = 'FetchFallback';
    this.answeredStatus = answeredStatus;
  }
}

interface Pending {
  reader: Http1ResponseReader;
  resolve(r: FetchedResponse): void;
  reject(e: unknown): void;
}

/** One socket: at most one request in flight (no pipelining). */
class Connection {
  pending: Pending | undefined;
  /** Answers completed on this socket: one closed before any byte of the next answer may be retried. */
  served = 0;
  closed = false;
  readonly socket: Socket;

  constructor(readonly origin: Origin, private readonly readBuffer: Buffer, private readonly options: ShardFetcherOptions, onClose: (c: Connection) => void) {
    this.socket = connect({
      host: origin.host,
      port: origin.port,
      noDelay: true,
      // Asked after every read for where the next one goes: the answer's body once its head is in.
      onread: { buffer: () => this.pending?.reader.bodyWindow() ?? this.readBuffer, callback: (n: number, buf: Uint8Array) => this.onRead(n, buf) },
    });
    this.socket.setTimeout(options.connectTimeoutMs);
    this.socket.once('connect', () => this.socket.setTimeout(this.pending ? options.headersTimeoutMs : 0));
    this.socket.on('timeout', () => this.fail(new Error(this.socket.connecting ? 'connect timeout' : 'the node stopped answering (timeout)')));
    this.socket.on('error', (e) => this.fail(e));
    this.socket.on('close', () => {
      this.fail(new Error('the node closed the connection'));
      onClose(this);
    });
  }

  send(head: string, body: Uint8Array | readonly Uint8Array[] | undefined, pending: Pending): void {
    this.pending = pending;
    this.socket.ref();
    if (!this.socket.connecting) this.socket.setTimeout(this.options.headersTimeoutMs);
    this.socket.cork();
    this.socket.write(head);
    if (body instanceof Uint8Array) {
      if (body.length > 0) this.socket.write(body);
    } else if (body) {
      for (const part of body) if (part.length > 0) this.socket.write(part);
    }
    this.socket.uncork();
  }

  private onRead(n: number, buf: Uint8Array): boolean {
    const p = this.pending;
    if (!p) {
      this.fail(new Error('the node sent bytes nobody asked for'));
      return false;
    }
    try {
      let used = n;
      if (buf === this.readBuffer) used = p.reader.feed(buf, 0, n);
      else p.reader.advance(n); // read straight into the body
      if (!p.reader.done) {
        this.socket.setTimeout(this.options.bodyTimeoutMs);
        return true;
      }
      if (used < n) throw new Error('the node sent bytes past the end of its answer');
      const r = p.reader.result();
      this.pending = undefined;
      this.served++;
      this.socket.setTimeout(0);
      this.socket.unref(); // an idle kept-alive socket does not keep the process alive
      // A 2xx means the node read the whole request; after an error it may not have (it can
      // answer before the body is in), so the socket is not trusted with another request.
      if (!r.head.keepAlive || r.head.status >= 300) this.close();
      p.resolve(r);
    } catch (e) {
      this.fail(e instanceof Http1ResponseError && e.kind === 'unsupported' ? new FetchFallback(e.message, e.status) : e);
    }
    return true;
  }

  /** Ends the socket and rejects what is in flight. */
  fail(e: unknown): void {
    const p = this.pending;
    this.pending = undefined;
    this.close();
    if (!p) return;
    // A kept-alive socket the node closed before answering: the request never reached it; say so.
    p.reject(this.served > 0 && !p.reader.started && !(e instanceof FetchFallback) ? new StaleConnection(e) : e);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
  }
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** The request line and headers; a name or value that could split the head goes the general way. */
function requestHead(origin: Origin, req: NodeRequest): string {
  if (!/^\/[\x21-\x7e]*$/.test(req.path)) throw new FetchFallback(`a path this writer does not send: ${JSON.stringify(req.path.slice(0, 80))}`);
  let head = `${req.method} ${req.path} HTTP/1.1\r\nhost: ${origin.hostHeader}\r\n`;
  for (const [name, value] of Object.entries(req.headers ?? {})) {
    if (!HEADER_NAME.test(name) || !HEADER_VALUE.test(value)) throw new FetchFallback(`a header this writer does not send: ${JSON.stringify(name.slice(0, 40))}`);
    const lower = name.toLowerCase();
    if (lower === 'host' || lower === 'content-length' || lower === 'transfer-encoding' || lower === 'connection') continue;
    head += `${name}: ${value}\r\n`;
  }
  if (req.body) head += `content-length: ${bodyLength(req.body)}\r\n`;
  return `${head}\r\n`;
}

function bodyLength(body: Uint8Array | readonly Uint8Array[]): number {
  if (body instanceof Uint8Array) return body.length;
  let n = 0;
  for (const part of body) n += part.length;
  return n;
}

class StaleConnection extends Error {
  constructor(readonly original: unknown) {
    super('a kept-alive connection closed before the answer');
  }
}

interface Origin {
  key: string;
  host: string;
  port: number;
  hostHeader: string;
}

interface OriginState {
  idle: Connection[];
  open: number;
  waiting: (() => void)[];
}

export class ShardFetcher {
  /**
   * One read buffer for every socket (onread hands its bytes over synchronously), for answers' heads
   * and what comes with them: the rest of a body is read into its own array. Small, so that a
   * 256 KiB body's first read copies little; a 4 KiB shard's whole answer still fits.
   */
  private readonly readBuffer = Buffer.allocUnsafe(16 * 1024);
  private readonly origins = new Map<string, OriginState>();
  private readonly parsed = new Map<string, Origin | null>();
  private closed = false;

  constructor(private readonly options: ShardFetcherOptions) {}

  /** The origin of an http: base URL without a path, or null (the fetcher does not take it). */
  originOf(baseUrl: string): Origin | null {
    let o = this.parsed.get(baseUrl);
    if (o === undefined) {
      const u = new URL(baseUrl);
      o = u.protocol === 'http:' && (u.pathname === '/' || u.pathname === '') && !u.username && !u.password
        ? { key: u.host, host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 80), hostHeader: u.host }
        : null;
      if (this.parsed.size >= 1024) this.parsed.clear();
      this.parsed.set(baseUrl, o);
    }
    return o;
  }

  /**
   * Sends `req` to `origin`; the answer's body goes into `bodyFor(head)`. Rejects with
   * FetchFallback for an answer this reader does not handle (or a header it will not write),
   * with the signal's reason when aborted.
   */
  async request(origin: Origin, req: NodeRequest, bodyFor: (head: ResponseHead) => Uint8Array, signal?: AbortSignal): Promise<FetchedResponse> {
    const head = requestHead(origin, req);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(origin, head, req.body, bodyFor, signal);
      } catch (e) {
        // Only a request that never reached the node is sent again (GET, PUT and the batch POST of content-addressed shards are idempotent, so safe either way).
        if (e instanceof StaleConnection && attempt < 2 && !signal?.aborted) continue;
        throw e instanceof StaleConnection ? e.original : e;
      }
    }
  }

  private async once(origin: Origin, head: string, body: NodeRequest['body'], bodyFor: (head: ResponseHead) => Uint8Array, signal?: AbortSignal): Promise<FetchedResponse> {
    signal?.throwIfAborted();
    const conn = await this.acquire(origin, signal);
    return new Promise<FetchedResponse>((resolve, reject) => {
      const onAbort = () => conn.fail(signal!.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      conn.send(head, body, {
        reader: new Http1ResponseReader(bodyFor),
        resolve: (r) => {
          done();
          this.release(conn);
          resolve(r);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
    });
  }

  private state(origin: Origin): OriginState {
    let s = this.origins.get(origin.key);
    if (!s) this.origins.set(origin.key, (s = { idle: [], open: 0, waiting: [] }));
    return s;
  }

  private async acquire(origin: Origin, signal?: AbortSignal): Promise<Connection> {
    if (this.closed) throw new Error('the transport is closed');
    const s = this.state(origin);
    for (;;) {
      const idle = s.idle.pop();
      if (idle) {
        if (!idle.closed) return idle;
        continue;
      }
      if (s.open < this.options.connections) {
        s.open++;
        return new Connection(origin, this.readBuffer, this.options, (c) => this.forget(c));
      }
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = () => {
          s.waiting.splice(s.waiting.indexOf(wake), 1);
          reject(signal!.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        s.waiting.push(wake);
      });
    }
  }

  private release(conn: Connection): void {
    const s = this.state(conn.origin);
    if (this.closed) conn.close();
    else if (!conn.closed) s.idle.push(conn);
    s.waiting.shift()?.();
  }

  private forget(conn: Connection): void {
    const s = this.state(conn.origin);
    s.open--;
    const at = s.idle.indexOf(conn);
    if (at >= 0) s.idle.splice(at, 1);
    s.waiting.shift()?.();
  }

  close(): void {
    this.closed = true;
    for (const s of this.origins.values()) {
      for (const c of s.idle) c.close();
      s.idle.length = 0;
    }
  }
}
