/** The client's only view of the network: plain shard requests to one node. */
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
  /** Stores a shard; resolves once the node has it durably. */
  putShard(baseUrl: string, id: string, bytes: Uint8Array, signal?: AbortSignal): Promise<{ created: boolean }>;
  /** The shard the node holds for (piece, index); rejects with DDC_SHARD_NOT_FOUND if none. */
  getPieceShard(baseUrl: string, pieceCid: string, index: number, signal?: AbortSignal): Promise<Uint8Array>;
  /** What the node holds of a piece. */
  listPiece(baseUrl: string, pieceCid: string, signal?: AbortSignal): Promise<PieceShardInfo[]>;
  close?(): Promise<void>;
}
