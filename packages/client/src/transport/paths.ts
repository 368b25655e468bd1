/**
 * The path of a shard write: a request is signed over its path and query, so the signer and the
 * transport that sends it must build the same string.
 */

/** `/v1/shards/ID` (or `/v1/shards/batch`), with `query` (a peer's `refs=`) if any. */
export function shardWritePath(target: string, query?: string): string {
  return `/v1/shards/${target}${query ? `?${query}` : ''}`;
}
