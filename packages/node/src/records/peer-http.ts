/**
 * Signed GETs from one node to another for record sync. Plain node:http(s) with the path
 * sent as written: WHATWG URL parsing (fetch) would drop an object key "." or ".." as a dot
 * segment, and the signature covers the path exactly as sent.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { DdcError, errorFromJSON, signRequest, type Ed25519KeyPair } from '@ddc/core';

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface PeerGet {
  status: number;
  body: Buffer;
}

/** GET `path` (already percent-encoded) from `baseUrl`, signed by `signing` for `audience`; bodies over `maxBytes` fail. */
export function signedGet(baseUrl: string, path: string, audience: string, signing: Ed25519KeyPair, maxBytes: number, timeoutMs: number, signal?: AbortSignal): Promise<PeerGet> {
  const base = new URL(baseUrl);
  const fullPath = `${base.pathname.replace(/\/$/, '')}${path}`;
  const headers = signRequest({ method: 'GET', path: fullPath, contentSha256: EMPTY_SHA256, audience, signing });
  const request = base.protocol === 'https:' ? httpsRequest : httpRequest;
  const where = `${base.origin}${fullPath.slice(0, 200)}`;
  return new Promise<PeerGet>((resolve, reject) => {
    const signals = signal ? [signal, AbortSignal.timeout(timeoutMs)] : [AbortSignal.timeout(timeoutMs)];
    const req = request({ protocol: base.protocol, hostname: base.hostname, port: base.port, path: fullPath, method: 'GET', headers, signal: AbortSignal.any(signals) });
    req.on('error', (cause) => {
      if (signal?.aborted) reject(new DdcError('DDC_ABORTED', 'the operation was aborted', { cause: signal.reason }));
      else reject(new DdcError('DDC_NODE_UNAVAILABLE', `cannot reach ${where}: ${cause.message}`, { cause }));
    });
    req.on('response', (res: IncomingMessage) => {
      const parts: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          res.destroy();
          reject(new DdcError('DDC_NODE_BAD_RESPONSE', `${where} answered more than ${maxBytes} bytes`));
          return;
        }
        parts.push(chunk);
      });
      res.on('error', (cause) => reject(new DdcError('DDC_NODE_UNAVAILABLE', `${where} broke off its answer`, { cause })));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts, size) }));
    });
    req.end();
  });
}

/** The peer's error answer as a DdcError (its code when it sent one). */
export function peerError(where: string, got: PeerGet): DdcError {
  let json: unknown;
  try {
    json = JSON.parse(got.body.toString('utf8'));
  } catch {
    json = undefined;
  }
  const e = errorFromJSON(json);
  return new DdcError(e.code, `${where} answered HTTP ${got.status}: ${e.message}`, { details: { status: got.status } });
}
