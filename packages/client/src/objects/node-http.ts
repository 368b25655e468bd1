/**
 * One request to one node for the objects layer (records, shard deletes): signed for that
 * node when a signer is given (docs/ACCESS.md "Signed requests v1"), a node's JSON error
 * answer turned into a DdcError with the node's code. Fetch API only, so it runs in browsers.
 */
import { DdcError, sha256, toHex, type CapabilityToken, type ClusterNode } from '@ddc/core';
import { EMPTY_SHA256, type RequestSigner } from '../request-signer.js';
import { errorFromResponse, networkError } from '../transport/http-errors.js';

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface NodeRequest {
  node: ClusterNode;
  method: 'GET' | 'POST' | 'DELETE';
  /** Path and query, already encoded: signed exactly as sent. */
  path: string;
  body?: Uint8Array;
  /** Absent: an unsigned request (reads of public buckets). */
  signer?: RequestSigner | undefined;
  token?: CapabilityToken | undefined;
  signal?: AbortSignal | undefined;
  /** Give up on a node that has not answered within this many ms. Default 15000. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 15_000;

function withTimeout(signal: AbortSignal | undefined, ms: number): AbortSignal {
  const timeout = AbortSignal.timeout(ms);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

/** Sends the request; resolves to a 2xx response, rejects with the node's typed error otherwise. */
export async function nodeRequest(fetchImpl: FetchLike, r: NodeRequest): Promise<Response> {
  const url = `${r.node.url}${r.path}`;
  const headers: Record<string, string> = {};
  if (r.signer) {
    const contentSha256 = r.body ? toHex(sha256(r.body)) : EMPTY_SHA256;
    Object.assign(headers, r.signer.headers({ method: r.method, url, audience: r.node.id, contentSha256, ...(r.token ? { token: r.token } : {}) }));
  }
  if (r.body) headers['content-type'] = 'application/octet-stream';
  const signal = withTimeout(r.signal, r.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  let res: Response;
  try {
    res = await fetchImpl(url, { method: r.method, headers, signal, ...(r.body ? { body: r.body as BodyInit } : {}) });
  } catch (cause) {
    if (r.signal?.aborted) throw networkError(cause, url, r.signal);
    if (signal.aborted) throw new DdcError('DDC_TIMEOUT', `${r.node.id} did not answer ${r.method} ${r.path.split('?')[0]} in time`, { cause, hint: 'Check that the node is running and reachable' });
    throw networkError(cause, url);
  }
  if (!res.ok) {
    let text = '';
    try {
      text = await res.text();
    } catch {
      // A body cut short still leaves the status to report.
    }
    throw errorFromResponse(res.status, text, url);
  }
  return res;
}

/** The body of a 2xx answer as JSON (DDC_NODE_BAD_RESPONSE when it is not). */
export async function jsonBody<T>(res: Response, what: string): Promise<T> {
  try {
    return (await res.json()) as T;
  } catch (cause) {
    throw new DdcError('DDC_NODE_BAD_RESPONSE', `the node's answer to ${what} is not JSON`, { cause, hint: 'Check that the node runs the same DDC version as this client' });
  }
}
