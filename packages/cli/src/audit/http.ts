/** The auditor's view of the node API: JSON GETs and signed headers, with a timeout each. */
import { DdcError, HEADER_STATEMENT_HTTP, errorFromJSON, fromHex, type HeaderStatement } from '@ddc/core';

export const DEFAULT_TIMEOUT_MS = 10_000;

/** A node that could not be asked (down, draining, too slow): not the same as a wrong answer. */
export class Unreachable extends Error {
  override readonly name = 'Unreachable';
}

function withTimeout(signal: AbortSignal | undefined, ms: number): { signal: AbortSignal; done(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer within ${ms} ms`)), ms);
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

const UNAVAILABLE = new Set([502, 503, 504]);

async function get(url: string, signal: AbortSignal | undefined, timeoutMs: number): Promise<Response & { bodyBytes: Uint8Array }> {
  const t = withTimeout(signal, timeoutMs);
  try {
    let res: Response;
    try {
      res = await fetch(url, { signal: t.signal });
    } catch (e) {
      if (signal?.aborted) throw new DdcError('DDC_ABORTED', 'the audit was aborted', { cause: e });
      throw new Unreachable(`${url}: ${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}`);
    }
    let bodyBytes: Uint8Array;
    try {
      bodyBytes = new Uint8Array(await res.arrayBuffer());
    } catch (e) {
      throw new Unreachable(`${url}: the answer was cut off (${e instanceof Error ? e.message : String(e)})`);
    }
    if (UNAVAILABLE.has(res.status)) throw new Unreachable(`${url}: HTTP ${res.status}`);
    return Object.assign(res, { bodyBytes });
  } finally {
    t.done();
  }
}

function errorOf(url: string, status: number, body: Uint8Array): DdcError {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(body));
  } catch {
    json = undefined;
  }
  const e = errorFromJSON(json);
  return new DdcError(e.code, `${url}: HTTP ${status}: ${e.message}`, e.details ? { details: e.details } : {});
}

/** GET a JSON document; non-2xx answers become the node's DdcError, unavailability Unreachable. */
export async function getJson(url: string, signal?: AbortSignal, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<unknown> {
  const res = await get(url, signal, timeoutMs);
  if (!res.ok) throw errorOf(url, res.status, res.bodyBytes);
  try {
    return JSON.parse(new TextDecoder().decode(res.bodyBytes));
  } catch (cause) {
    throw new DdcError('DDC_NODE_BAD_RESPONSE', `${url}: the answer is not JSON`, { cause });
  }
}

/** GET /v1/shards/{id}/header: the raw header and the node's signed statement about it. */
export async function getHeaderStatement(baseUrl: string, id: string, signal?: AbortSignal, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<HeaderStatement> {
  const url = `${baseUrl}/v1/shards/${id}/header`;
  const res = await get(url, signal, timeoutMs);
  if (!res.ok) throw errorOf(url, res.status, res.bodyBytes);
  const h = (name: string) => res.headers.get(name) ?? '';
  const time = Number(h(HEADER_STATEMENT_HTTP.time));
  const publicKey = h(HEADER_STATEMENT_HTTP.publicKey);
  const signature = h(HEADER_STATEMENT_HTTP.signature);
  if (!/^[0-9a-f]{64}$/.test(publicKey) || !/^[0-9a-f]{128}$/.test(signature) || !Number.isSafeInteger(time)) {
    throw new DdcError('DDC_NODE_BAD_RESPONSE', `${url}: the header is not signed (an older node?)`, { hint: 'Upgrade the node to a release that signs headers' });
  }
  return {
    v: 1,
    nodeId: h(HEADER_STATEMENT_HTTP.nodeId),
    publicKey: fromHex(publicKey),
    shardId: fromHex(id),
    header: res.bodyBytes,
    time,
    signature: fromHex(signature),
  };
}
