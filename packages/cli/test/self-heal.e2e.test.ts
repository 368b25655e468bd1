/**
 * In a dev cluster a corrupted shard and a wiped node heal with no command: the nodes'
 * own scrub and repair timers bring `verify` back to healthy within two minutes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createClient } from '@ddc/client';
import { startCluster, randomBytes } from './helpers.js';
import { damageShard } from '../chaos/damage.js';

test('a corrupted shard and a wiped node are repaired within two minutes, no command given', async () => {
  const env = await startCluster({ nodes: 6, zones: 3, k: 4, m: 2 });
  const client = createClient({ cluster: env.cluster.descriptor() });
  try {
    const { cid } = await client.put(randomBytes(3 * 1024 * 1024));
    const stat = await client.stat(cid);
    const rotten = stat.pieces.find((p) => !p.replicated)!.shards[0]!;
    const rottenNode = env.cluster.nodes.get(rotten.nodeId)!;
    await damageShard(join(env.cluster.dir, 'nodes', rotten.nodeId, 'data'), rottenNode.url, rotten.shardId, (n) => [n - 7]);
    const wiped = stat.pieces.flatMap((p) => p.shards).find((s) => s.nodeId !== rotten.nodeId)!.nodeId;
    await env.cluster.stopNode(wiped);
    await rm(join(env.cluster.dir, 'nodes', wiped, 'data'), { recursive: true, force: true });
    await env.cluster.startNode(wiped);
    assert.equal((await client.verify(cid)).healthy, false, 'the damage is visible at first');
    const started = Date.now();
    let healthy = false;
    while (!healthy && Date.now() - started < 120_000) {
      await new Promise((r) => setTimeout(r, 2000));
      healthy = (await client.verify(cid)).healthy;
    }
    assert.ok(healthy, 'verify turned healthy by itself within two minutes');
    console.log(`# self-heal: healthy again after ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await client.close();
    await env.close();
  }
});
