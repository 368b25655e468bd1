import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FileMembership, clusterViewHash, type MembershipChange } from '../src/index.node.js';

function descriptor(nodes: number) {
  return {
    version: 1, clusterId: 't', k: 2, m: 1,
    nodes: Array.from({ length: nodes }, (_, i) => ({ id: `node-${i + 1}`, url: `http://127.0.0.1:${7001 + i}`, zone: `zone-${i % 2}` })),
  };
}

async function writeAtomically(path: string, value: unknown): Promise<void> {
  await writeFile(`${path}.tmp`, typeof value === 'string' ? value : JSON.stringify(value));
  await rename(`${path}.tmp`, path);
}

async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test('FileMembership loads, follows changes, and keeps the last good view on a bad file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ddc-membership-'));
  const file = join(dir, 'cluster.json');
  const events: Record<string, unknown>[] = [];
  await writeAtomically(file, descriptor(3));
  const m = await FileMembership.open(file, { pollMs: 100, log: (e) => events.push(e) });
  try {
    const first = await m.current();
    assert.equal(first.nodes.length, 3);
    assert.equal(m.snapshot!.version, 1);
    assert.equal(m.snapshot!.hash, clusterViewHash(first));
    const changes: MembershipChange[] = [];
    m.onChange((c) => changes.push(c));

    await writeAtomically(file, descriptor(4));
    await until('the new view', () => changes.length === 1);
    assert.equal((await m.current()).nodes.length, 4);
    assert.equal(changes[0]!.version, 2);

    // Not JSON, then not a valid descriptor: the 4-node view stays, the problem is logged once each.
    await writeAtomically(file, '{"version": 1, "nodes": [');
    await until('the parse error', () => m.lastError !== undefined);
    assert.equal((await m.current()).nodes.length, 4);
    await writeAtomically(file, { ...descriptor(4), k: 0 });
    await until('the validation error', () => /k=0/.test(m.lastError?.message ?? ''));
    assert.equal((await m.current()).nodes.length, 4);
    assert.equal(events.filter((e) => e.event === 'membership-error').length, 2);

    // Rewriting the same view is no change.
    await writeAtomically(file, descriptor(4));
    await until('the error to clear', () => m.lastError === undefined);
    await sleep(250);
    assert.equal(changes.length, 1);
  } finally {
    await m.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('FileMembership without a file: current() rejects until one appears', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ddc-membership-'));
  const file = join(dir, 'later.json');
  const m = await FileMembership.open(file, { pollMs: 100 });
  try {
    await assert.rejects(m.current(), (e: unknown) => (e as { code?: string }).code === 'DDC_INVALID_CLUSTER');
    await writeAtomically(file, descriptor(3));
    await until('the file to be read', () => m.snapshot !== undefined);
    assert.equal((await m.current()).nodes.length, 3);
  } finally {
    await m.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('clusterViewHash ignores node order and sees any change', () => {
  const a = descriptor(3) as never;
  const b = { ...descriptor(3), nodes: [...descriptor(3).nodes].reverse() } as never;
  assert.equal(clusterViewHash(a), clusterViewHash(b));
  assert.notEqual(clusterViewHash(a), clusterViewHash({ ...descriptor(3), m: 0 } as never));
});
