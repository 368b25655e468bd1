/** A node that answers with wrong bytes is detected and skipped; reads stay correct. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from '@ddc/client';
import { startCluster, randomBytes } from './helpers.js';

test('reads skip a node that serves corrupted shards, and verify names it', async () => {
  const liar = 'node-2';
  const env = await startCluster({ nodes: 6, zones: 3, k: 4, m: 2, nodeConfig: (id) => (id === liar ? { faults: { corruptReads: true } } : {}) });
  const client = createClient({ cluster: env.cluster.descriptor() });
  try {
    const objects = [randomBytes(100), randomBytes(5 * 1024 * 1024 + 3)];
    for (const bytes of objects) {
      const { cid } = await client.put(bytes);
      assert.deepEqual(await client.getBytes(cid), bytes);
      const report = await client.verify(cid);
      const bad = report.pieces.flatMap((p) => p.shards).filter((s) => s.status !== 'ok');
      assert.ok(bad.every((s) => s.nodeId === liar && s.status === 'corrupt'), JSON.stringify(bad));
      const held = report.pieces.flatMap((p) => p.shards).filter((s) => s.nodeId === liar);
      assert.equal(bad.length, held.length, 'every shard on the lying node is reported corrupt');
    }
  } finally {
    await client.close();
    await env.close();
  }
});
