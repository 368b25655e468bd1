/**
 * Node transport on undici: a keep-alive pool per node, by the storage-core issue's measurement about twice the throughput of
 * fetch for 1 MiB bodies. Node only (imported by the Node entry).
 */
import { Agent } from 'undici';
import type { PieceShardInfo, Transport } from './types.js';
import { errorFromResponse, networkError } from './http-errors.js';

export interface UndiciTransportOptions {
  /** Sockets per node. */
  connections?: number;
  /** Give up on a response that has not started within this many ms. */
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
}

export class UndiciTransport implements Transport {
  private readonly agent: Agent;

  constructor(options: UndiciTransportOptions = {}) {
    this.agent = new Agent({
      connections: options.connections ?? 16,
      keepAliveTimeout: 30_000,
      headersTimeout: options.headersTimeoutMs ?? 30_000,
      bodyTimeout: options.bodyTimeoutMs ?? 30_000,
      connect: { timeout: 5_000 },
    });
  }

  /** A node URL split once into undici's origin and path prefix (undici's own request() parses a URL per call). */
  private readonly bases = new Map<string, { origin: string; prefix: string }>();

  private base(baseUrl: string): { origin: string; prefix: string } {
    let b = this.bases.get(baseUrl);
    if (!b) {
      const u = new URL(baseUrl);
      b = { origin: u.origin, prefix: u.pathname.replace(/\/+$/, '') };
      if (this.bases.size >= 1024) this.bases.clear();
      this.bases.set(baseUrl, b);
    }
    return b;
  }

  /** `path` starts with /v1/; `url` (baseUrl + path) names the request in errors. */
  private async call(baseUrl: string, path: string, method: 'GET' | 'PUT' | 'DELETE', signal: AbortSignal | undefined, body?: Uint8Array, extra?: Record<string, string>) {
    const url = baseUrl + path;
    let res;
    const headers = body ? { ...extra, 'content-type': 'application/octet-stream' } : extra;
    try {
      const { origin, prefix } = this.base(baseUrl);
      res = await this.agent.request({
        origin,
        path: prefix + path,
        method,
        ...(body ? { body } : {}),
        ...(headers ? { headers } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (cause) {
      throw networkError(cause, url, signal);
    }
    if (res.statusCode >= 300) {
      let text = '';
      try {
        text = await res.body.text();
      } catch {
        // A body cut short still leaves the status to report.
      }
      throw errorFromResponse(res.statusCode, text, url);
    }
    return res;
  }

  async putShard(baseUrl: string, id: string, bytes: Uint8Array, signal?: AbortSignal, headers?: Record<string, string>): Promise<{ created: boolean }> {
    const path = `/v1/shards/${id}`;
    const url = baseUrl + path;
    const res = await this.call(baseUrl, path, 'PUT', signal, bytes, headers);
    try {
      const body = (await res.body.json()) as { created?: boolean };
      return { created: body.created === true };
    } catch (cause) {
      throw networkError(cause, url, signal);
    }
  }

  async deleteShard(baseUrl: string, id: string, signal?: AbortSignal, headers?: Record<string, string>): Promise<void> {
    const res = await this.call(baseUrl, `/v1/shards/${id}`, 'DELETE', signal, undefined, headers);
    await res.body.dump().catch(() => undefined);
  }

  async getPieceShard(baseUrl: string, pieceCid: string, index: number, signal?: AbortSignal): Promise<Uint8Array> {
    const path = `/v1/pieces/${pieceCid}/${index}`;
    const url = baseUrl + path;
    const res = await this.call(baseUrl, path, 'GET', signal);
    try {
      return new Uint8Array(await res.body.arrayBuffer());
    } catch (cause) {
      throw networkError(cause, url, signal);
    }
  }

  async listPiece(baseUrl: string, pieceCid: string, signal?: AbortSignal): Promise<PieceShardInfo[]> {
    const path = `/v1/pieces/${pieceCid}`;
    const url = baseUrl + path;
    const res = await this.call(baseUrl, path, 'GET', signal);
    try {
      return ((await res.body.json()) as { shards: PieceShardInfo[] }).shards;
    } catch (cause) {
      throw networkError(cause, url, signal);
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

