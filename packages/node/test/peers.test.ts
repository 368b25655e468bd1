/**
 * The workers' shard writes to other nodes: queued behind the exchange running with a node and
 * then sent together, with a peer's references in the signed query of every request (each
 * request's signature is checked as a node checks it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestSigner, type Transport } from '@ddc/client';
import { parseSignedRequest, type ClusterNode } from '@ddc/core';
import { Peers } from '../src/workers/peers.js';
import { TokenBucket } from '../src/workers/token-bucket.js';
import { randomBytes } from './helpers.js';

interface Sent {
  kind: 'put' | 'batch';
  ids: string[];
  query: string | undefined;
}

/** Throws unless `headers` sign exactly this method, path and query (what the node checks). */
function checkSigned(headers: Record<string, string> | undefined, method: string, path: string, query: string | undefined): void {
  assert.ok(parseSignedRequest(headers ?? {}, method, `${path}${query ? `?${query}` : ''}`), `${method} ${path} is signed`);
}

/** Records every write (checking its signature covers its query); each answers after `delayMs`, so later writes queue behind it. */
function recordingTransport(delayMs: number) {
  const sent: Sent[] = [];
  const later = <T>(v: T) => new Promise<T>((r) => setTimeout(() => r(v), delayMs));
  const transport: Transport = {
    async putShard(_url, id, _bytes, _signal, headers, query) {
      checkSigned(headers, 'PUT', `/v1/shards/${id}`, query);
      sent.push({ kind: 'put', ids: [id], query });
      return later({ created: true });
    },
    async putShards(_url, shards, _signal, headers, query) {
      checkSigned(headers, 'POST', '/v1/shards/batch', query);
      sent.push({ kind: 'batch', ids: shards.map((s) => s.id), query });
      return later(shards.map(() => ({ created: true })));
    },
    deleteShard: () => Promise.reject(new Error('not used')),
    getPieceShard: () => Promise.reject(new Error('not used')),
    listPiece: () => Promise.reject(new Error('not used')),
  };
  return { transport, sent };
}

const node: ClusterNode = { id: 'n1', url: 'http://n1.test', zone: 'z' };
const id = (i: number) => i.toString(16).padStart(64, '0');

test('writes to one node queue behind the running one and go as one batch per set of references', async () => {
  const { transport, sent } = recordingTransport(20);
  const peers = new Peers(transport, new TokenBucket(0), requestSigner());
  const traffic = { bytesFetched: 0, bytesSent: 0 };
  const shard = randomBytes(1000);
  const results = await Promise.all([
    peers.putShard(node, id(1), shard, traffic),
    peers.putShard(node, id(2), shard, traffic),
    peers.putShard(node, id(3), shard, traffic),
    peers.putShard(node, id(4), shard, traffic, undefined, [7, 9]),
    peers.putShard(node, id(5), shard, traffic, undefined, [7, 9]),
    peers.putShard(node, id(6), shard, traffic, undefined, [7, 9]),
  ]);
  assert.deepEqual(results, Array.from({ length: 6 }, () => ({ created: true })));
  assert.equal(traffic.bytesSent, 6000);
  assert.deepEqual(
    sent.map((s) => [s.kind, s.ids, s.query]),
    [
      ['put', [id(1)], undefined],
      ['put', [id(4)], 'refs=7,9'],
      ['batch', [id(2), id(3)], undefined],
      ['batch', [id(5), id(6)], 'refs=7,9'],
    ],
  );
});
