/** BucketDirectory against a scripted chain: revocations read in block ranges from the deployment block, then by polling. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Ledger } from '@ddc/ledger';
import { BucketDirectory, TOKEN_REVOKED_TOPIC } from '../src/auth/index.js';

const BUCKETS = '0x00000000000000000000000000000000000000b1';

function topicOf(n: number): string {
  return `0x${n.toString(16).padStart(64, '0')}`;
}

/** A ledger whose chain is at `head` and has TokenRevoked logs at the given blocks. */
function fakeLedger(state: { head: bigint; logs: { block: bigint; bucket: number; id: string }[]; calls: [bigint, bigint][] }): Ledger {
  const publicClient = {
    getBlockNumber: async () => state.head,
    request: async ({ method, params }: { method: string; params: [{ address: string; fromBlock: string; toBlock: string; topics: string[] }] }) => {
      assert.equal(method, 'eth_getLogs');
      const [q] = params;
      assert.equal(q.address, BUCKETS);
      assert.deepEqual(q.topics, [TOKEN_REVOKED_TOPIC]);
      const from = BigInt(q.fromBlock);
      const to = BigInt(q.toBlock);
      state.calls.push([from, to]);
      return state.logs.filter((l) => l.block >= from && l.block <= to).map((l) => ({ topics: [TOKEN_REVOKED_TOPIC, topicOf(l.bucket), `0x${l.id}`] }));
    },
  };
  return { deployment: { chainId: 31337, deployBlock: 5, contracts: { buckets: BUCKETS } }, publicClient } as unknown as Ledger;
}

test('revocations: read from the deployment block in ranges, then polled; keyed by bucket', async () => {
  const a = 'aa'.repeat(32);
  const b = 'BB'.repeat(32);
  const state = { head: 25_000n, logs: [{ block: 7n, bucket: 1, id: a }, { block: 24_000n, bucket: 2, id: b }], calls: [] as [bigint, bigint][] };
  const d = await BucketDirectory.open({ ledger: fakeLedger(state), pollMs: 20 });
  try {
    assert.equal(d.chainId, 31337);
    assert.deepEqual(state.calls, [[5n, 10_004n], [10_005n, 20_004n], [20_005n, 25_000n]]);
    assert.equal(d.isRevoked(1, a), true);
    assert.equal(d.isRevoked(2, a), false, 'a revocation holds for its bucket only');
    assert.equal(d.isRevoked(2, b.toLowerCase()), true);
    state.logs.push({ block: 25_001n, bucket: 1, id: 'cc'.repeat(32) });
    state.head = 25_001n;
    for (const deadline = Date.now() + 10_000; !d.isRevoked(1, 'cc'.repeat(32)) && Date.now() < deadline;) await sleep(20);
    assert.equal(d.isRevoked(1, 'cc'.repeat(32)), true, 'a later revocation is seen by polling');
    assert.deepEqual(state.calls.at(-1), [25_001n, 25_001n]);
  } finally {
    await d.close();
  }
});

test('bucket ids that cannot exist are DDC_NO_SUCH_BUCKET without asking the chain', async () => {
  const d = await BucketDirectory.open({ ledger: fakeLedger({ head: 5n, logs: [], calls: [] }), pollMs: 1000 });
  try {
    for (const id of [0, -1, 1.5]) await assert.rejects(d.bucket(id), (e: unknown) => (e as { code?: string }).code === 'DDC_NO_SUCH_BUCKET');
  } finally {
    await d.close();
  }
});
