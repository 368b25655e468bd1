/** The client's only view of the network: plain shard requests to one node. */
import type { BatchEntry, BatchWant, PutBatchEntry } from '@ddc/core';

export interface ShardResponse {
  bytes: Uint8Array;
}

export interface PieceShardInfo {
  id: string;
  index: number;
  k: number;
  m: number;
  length: number;
}

export interface Transport {
  /** Stores a shard; resolves once the node has it durably. `headers`: the signed-request headers (docs/ACCESS.md). */
  putShard(baseUrl: string, id: string, bytes: Uint8Array, signal?: AbortSignal, headers?: Record<string, string>, query?: string): Promise<{ created: boolean }>;
  /**
   * Stores several shards on one node in one exchange (POST /v1/shards/batch, signed as a PUT with
   * UNSIGNED-PAYLOAD); resolves once all are durable, with each one's outcome in order. Rejects
   * DDC_NOT_FOUND or DDC_METHOD_NOT_ALLOWED from a node without the route. Transports without it put one by one.
   * `query`: appended to the URL, as for putShard (a peer's `refs=`, applying to every shard).
   */
  putShards?(baseUrl: string, shards: readonly PutBatchEntry[], signal?: AbortSignal, headers?: Record<string, string>, query?: string): Promise<{ created: boolean }[]>;
  /** Deletes a shard (or the signer's bucket claim on it); rejects with DDC_SHARD_NOT_FOUND if the node holds none. */
  deleteShard(baseUrl: string, id: string, signal?: AbortSignal, headers?: Record<string, string>): Promise<void>;
  /** The shard the node holds for (piece, index); rejects with DDC_SHARD_NOT_FOUND if none. */
  getPieceShard(baseUrl: string, pieceCid: string, index: number, signal?: AbortSignal): Promise<Uint8Array>;
  /**
   * Several shards by (piece, index) in one exchange (POST /v1/pieces/batch); entries in
   * request order, their bytes views into one answer. Transports without it read one by one.
   */
  getPieceShards?(baseUrl: string, wants: readonly BatchWant[], signal?: AbortSignal): Promise<BatchEntry[]>;
  /** Gives back a getPieceShard answer the caller will never read again, so the transport may reuse its memory. */
  releaseShard?(bytes: Uint8Array): void;
  /** What the node holds of a piece. */
  listPiece(baseUrl: string, pieceCid: string, signal?: AbortSignal): Promise<PieceShardInfo[]>;
  close?(): Promise<void>;
}
