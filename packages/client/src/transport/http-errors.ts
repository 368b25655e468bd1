import { DdcError, errorFromJSON, statusOf, type PutBatchEntry } from '@ddc/core';

/** Turns a non-2xx answer into the node's typed error, or a generic one if the body is not ours. */
export function errorFromResponse(status: number, bodyText: string, url: string): DdcError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    parsed = undefined;
  }
  const fallback = status === 404 ? 'DDC_SHARD_NOT_FOUND' : status >= 500 ? 'DDC_NODE_UNAVAILABLE' : 'DDC_NODE_BAD_RESPONSE';
  const e = errorFromJSON(parsed, fallback);
  if (e.code === fallback && statusOf(fallback) !== status && !parsed) {
    return new DdcError(fallback, `${url} answered HTTP ${status}`, { hint: 'Check that the URL points at a DDC node' });
  }
  return e;
}

/** Network failures (refused, reset, DNS) become DDC_NODE_UNAVAILABLE; aborts stay aborts. */
export function networkError(cause: unknown, url: string, signal?: AbortSignal): DdcError {
  if (cause instanceof DdcError) return cause;
  if (signal?.aborted) return new DdcError('DDC_ABORTED', 'the operation was aborted', { cause: signal.reason });
  const msg = cause instanceof Error ? cause.message : String(cause);
  return new DdcError('DDC_NODE_UNAVAILABLE', `cannot reach ${url}: ${msg}`, { cause, hint: 'Check that the node is running and reachable' });
}

/** A batch PUT's answer, checked against what was sent: one outcome per shard, ids in order. */
export function batchOutcomes(text: string, shards: readonly PutBatchEntry[], url: string): { created: boolean }[] {
  let list: unknown;
  try {
    list = (JSON.parse(text) as { shards?: unknown }).shards;
  } catch (cause) {
    throw new DdcError('DDC_NODE_BAD_RESPONSE', `${url} answered with a body that is not JSON`, { cause });
  }
  const ok = Array.isArray(list) && list.length === shards.length && list.every((e, i) => typeof e === 'object' && e !== null && (e as { id?: unknown }).id === shards[i]!.id);
  if (!ok) throw new DdcError('DDC_NODE_BAD_RESPONSE', `${url} answered a batch of ${shards.length} shards with a list that does not match it`, { hint: 'Check that the URL points at a DDC node of this version' });
  return (list as { created?: unknown }[]).map((e) => ({ created: e.created === true }));
}
