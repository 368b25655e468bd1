/** Transport over the Fetch API: browsers, Deno, and Node without undici. */
import { decodeBatchResponse, encodeBatchRequest, encodePutBatch, type BatchEntry, type BatchWant, type PutBatchEntry } from '@ddc/core';
import type { PieceShardInfo, Transport } from './types.js';
import { batchOutcomes, errorFromResponse, networkError } from './http-errors.js';
import { shardWritePath } from './paths.js';

export class FetchTransport implements Transport {
  constructor(private readonly fetchImpl: typeof fetch = globalThis.fetch.bind(globalThis)) {}

  private async call(url: string, init: RequestInit): Promise<Response> {
    let res: Response;
    try {
      res = await this.fetchImpl(url, init);
    } catch (cause) {
      throw networkError(cause, url, init.signal ?? undefined);
    }
    if (!res.ok) throw errorFromResponse(res.status, await res.text(), url);
    return res;
  }

  async putShard(baseUrl: string, id: string, bytes: Uint8Array, signal?: AbortSignal, headers?: Record<string, string>, query?: string): Promise<{ created: boolean }> {
    const init: RequestInit = { method: 'PUT', body: bytes as BodyInit, headers: { ...headers, 'content-type': 'application/octet-stream' } };
    if (signal) init.signal = signal;
    const res = await this.call(baseUrl + shardWritePath(id, query), init);
    const body = (await res.json()) as { created?: boolean };
    return { created: body.created === true };
  }

  async putShards(baseUrl: string, shards: readonly PutBatchEntry[], signal?: AbortSignal, headers?: Record<string, string>, query?: string): Promise<{ created: boolean }[]> {
    // A Blob sends the framing and the shards' own arrays as one body without joining them here.
    const init: RequestInit = { method: 'POST', body: new Blob(encodePutBatch(shards) as BlobPart[]), headers: { ...headers, 'content-type': 'application/octet-stream' } };
    if (signal) init.signal = signal;
    const url = baseUrl + shardWritePath('batch', query);
    const res = await this.call(url, init);
    let text: string;
    try {
      text = await res.text();
    } catch (cause) {
      throw networkError(cause, url, signal);
    }
    return batchOutcomes(text, shards, url);
  }

  async deleteShard(baseUrl: string, id: string, signal?: AbortSignal, headers?: Record<string, string>): Promise<void> {
    const init: RequestInit = { method: 'DELETE', ...(headers ? { headers } : {}) };
    if (signal) init.signal = signal;
    const res = await this.call(`${baseUrl}/v1/shards/${id}`, init);
    await res.arrayBuffer();
  }

  async getPieceShard(baseUrl: string, pieceCid: string, index: number, signal?: AbortSignal): Promise<Uint8Array> {
    const res = await this.call(`${baseUrl}/v1/pieces/${pieceCid}/${index}`, signal ? { signal } : {});
    return new Uint8Array(await res.arrayBuffer());
  }

  async getPieceShards(baseUrl: string, wants: readonly BatchWant[], signal?: AbortSignal): Promise<BatchEntry[]> {
    const init: RequestInit = { method: 'POST', body: encodeBatchRequest(wants) as BodyInit, headers: { 'content-type': 'application/octet-stream' } };
    if (signal) init.signal = signal;
    const url = `${baseUrl}/v1/pieces/batch`;
    const res = await this.call(url, init);
    let body: Uint8Array;
    try {
      body = new Uint8Array(await res.arrayBuffer());
    } catch (cause) {
      throw networkError(cause, url, signal);
    }
    return decodeBatchResponse(body, wants.length);
  }

  async listPiece(baseUrl: string, pieceCid: string, signal?: AbortSignal): Promise<PieceShardInfo[]> {
    const res = await this.call(`${baseUrl}/v1/pieces/${pieceCid}`, signal ? { signal } : {});
    return ((await res.json()) as { shards: PieceShardInfo[] }).shards;
  }
}
