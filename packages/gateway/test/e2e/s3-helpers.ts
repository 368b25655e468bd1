/**
 * Helpers of the S3 end-to-end tests: SDK clients for a gateway, and raw requests signed by
 * the AWS SDK's own signer (@smithy/signature-v4) for what the SDK would never send
 * (malformed XML, a wrong chunk signature, a part that claims 5 GiB).
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { request as httpRequest, Agent } from 'node:http';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SignatureV4 } from '@smithy/signature-v4';

export interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Every host name resolves to loopback: virtual-host-style requests (bucket.localhost) reach the gateway. */
export const loopbackAgent = new Agent({
  keepAlive: true,
  lookup: ((_host: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) => (opts?.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4))) as never,
});

export function s3Client(endpoint: string, creds: Creds, o: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: creds, maxAttempts: 1, requestHandler: { httpAgent: loopbackAgent } as never, ...o });
}

/** SHA-256 (or HMAC with a secret) in the shape the SDK's signer takes. */
export class Sha256 {
  private readonly h: Hash | Hmac;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    const key = secret === undefined || typeof secret === 'string' ? secret : ArrayBuffer.isView(secret) ? new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength) : new Uint8Array(secret);
    this.h = key === undefined ? createHash('sha256') : createHmac('sha256', key);
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(typeof data === 'string' ? data : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset(): void {}
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The S3 error code of an error document. */
  code: string | undefined;
}

export interface RawRequest {
  method: string;
  /** Path as sent (already percent-encoded). */
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** The body; or `declaredLength` with no body sent (the server must answer from the headers). */
  body?: Uint8Array | string;
  declaredLength?: number;
  /** x-amz-content-sha256 to sign; default the body's SHA-256 hex. */
  contentSha256?: string;
  signingDate?: Date;
  /** Builds the body from the request's signature and x-amz-date (aws-chunked bodies chain from it). */
  bodyFromSeed?: (seed: string, amzDate: string) => Uint8Array;
}

/** Signs with the SDK's SigV4 signer and sends with node:http. */
export async function signedRequest(endpoint: string, creds: Creds, r: RawRequest): Promise<RawResponse> {
  const url = new URL(endpoint);
  const body = typeof r.body === 'string' ? Buffer.from(r.body) : r.body ? Buffer.from(r.body) : Buffer.alloc(0);
  const sha = r.contentSha256 ?? createHash('sha256').update(body).digest('hex');
  const signer = new SignatureV4({ credentials: creds, region: 'us-east-1', service: 's3', sha256: Sha256, uriEscapePath: false, applyChecksum: false });
  const headers: Record<string, string> = { host: url.host, 'x-amz-content-sha256': sha, ...r.headers };
  if (!r.bodyFromSeed) headers['content-length'] = String(r.declaredLength ?? body.length);
  const signed = await signer.sign({ method: r.method, protocol: url.protocol, hostname: url.hostname, port: Number(url.port), path: r.path, query: r.query ?? {}, headers }, r.signingDate ? { signingDate: r.signingDate } : {});
  let sent = body;
  if (r.bodyFromSeed) {
    const seed = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization))![1]!;
    sent = Buffer.from(r.bodyFromSeed(seed, String(signed.headers['x-amz-date'])));
    signed.headers['content-length'] = String(sent.length);
  }
  const qs = new URLSearchParams(r.query ?? {}).toString().replace(/\+/g, '%20');
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method: r.method, path: qs ? `${r.path}?${qs}` : r.path, headers: signed.headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1] });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (r.declaredLength !== undefined && r.body === undefined) req.flushHeaders();
    else req.end(sent);
  });
}

/** The signing key and scope a streaming body chains from (for hand-built aws-chunked bodies). */
export function chunkSigner(secret: string, date: string) {
  const h = (k: Uint8Array | string, d: string) => createHmac('sha256', k).update(d).digest();
  const key = h(h(h(h(`AWS4${secret}`, date.slice(0, 8)), 'us-east-1'), 's3'), 'aws4_request');
  const scope = `${date.slice(0, 8)}/us-east-1/s3/aws4_request`;
  const empty = createHash('sha256').update('').digest('hex');
  return {
    chunk: (prev: string, data: Uint8Array) =>
      h(key, ['AWS4-HMAC-SHA256-PAYLOAD', date, scope, prev, empty, createHash('sha256').update(data).digest('hex')].join('\n')).toString('hex'),
    trailer: (prev: string, lines: string) => h(key, ['AWS4-HMAC-SHA256-TRAILER', date, scope, prev, createHash('sha256').update(lines).digest('hex')].join('\n')).toString('hex'),
  };
}

export function md5Hex(data: Uint8Array | string): string {
  return createHash('md5').update(data).digest('hex');
}
