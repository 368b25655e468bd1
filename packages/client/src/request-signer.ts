/**
 * Signs the client's requests to nodes (docs/ACCESS.md "Signed requests v1") with its
 * identity key: one Ed25519 signature per request, a fresh nonce each time (so a retry
 * is a new request, never a replay). The audience is the target node's id.
 */
import { generateKeyPair, signRequest, UNSIGNED_PAYLOAD, type CapabilityToken, type Ed25519KeyPair } from '@ddc/core';

/** SHA-256 of the empty string: what a request without a body signs. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export interface SignOptions {
  method: string;
  /** The request's full URL: the path and query are signed exactly as they will be sent. */
  url: string;
  /** The target node's id. */
  audience: string;
  /** Hex SHA-256 of the body. Default: UNSIGNED-PAYLOAD for PUT (a shard: its id binds the bytes), else the empty body's. */
  contentSha256?: string;
  token?: CapabilityToken;
}

export interface RequestSigner {
  readonly identity: Ed25519KeyPair;
  /** The signed-request headers for one request. */
  headers(o: SignOptions): Record<string, string>;
}

/** Path and query of a URL as a client sends them. */
export function pathAndQuery(url: string): string {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
}

/** A signer for `identity`, or for a fresh key (anonymous use: the node sees a new key each run). */
export function requestSigner(identity: Ed25519KeyPair = generateKeyPair()): RequestSigner {
  return {
    identity,
    headers: (o) =>
      signRequest({
        method: o.method,
        path: pathAndQuery(o.url),
        contentSha256: o.contentSha256 ?? (o.method.toUpperCase() === 'PUT' ? UNSIGNED_PAYLOAD : EMPTY_SHA256),
        audience: o.audience,
        signing: identity,
        ...(o.token ? { token: o.token } : {}),
      }),
  };
}
