/**
 * Property-style checks against a real anvil: random sequences of actions, each compared
 * with a tiny model, with the contracts' invariants checked after every step. Every run
 * starts from the same chain snapshot.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Hex } from 'viem';
import * as L from './imports.js';
import { expectRevert, key, startTestChain, type TestChain } from './helpers.js';

let t: TestChain;
let cluster: number;
const DELAY = 600;
const UNBOND = 3600;
const addr = (i: number) => t.chain.accounts[i]!.address;

before(async () => {
  t = await startTestChain();
  const terms: L.ClusterTerms = { pricePerGbMonth: 1n, pricePerGbTransferred: 1n, pricePerMillionRequests: 1n, treasuryBps: 0, validatorBps: 0, reserveBps: 0, nodeBond: 1000n, unbondingDelay: UNBOND, depositUnlockDelay: DELAY };
  cluster = (await L.createCluster(t.as(0), { layout: { k: 2, m: 1, replicationThreshold: 0 }, terms })).clusterId;
});
after(async () => t?.close());

async function chainTime(): Promise<bigint> {
  return (await t.as(0).publicClient.getBlock()).timestamp;
}

/** Runs `check` with `property`'s runs each starting from the same chain state. */
async function isolated<T>(arb: fc.Arbitrary<T>, runs: number, body: (value: T) => Promise<void>): Promise<void> {
  await fc.assert(
    fc.asyncProperty(arb, async (value) => {
      const snap = await t.snapshot();
      try {
        await body(value);
      } finally {
        await t.revert(snap);
      }
    }),
    { numRuns: runs, seed: 4242, endOnFailure: true },
  );
}

type DepositOp = { kind: 'deposit' | 'unlock'; who: number; amount: number } | { kind: 'withdraw'; who: number } | { kind: 'advance'; seconds: number };
const depositOp: fc.Arbitrary<DepositOp> = fc.oneof(
  fc.record({ kind: fc.constant('deposit' as const), who: fc.integer({ min: 1, max: 3 }), amount: fc.integer({ min: 1, max: 1000 }) }),
  fc.record({ kind: fc.constant('unlock' as const), who: fc.integer({ min: 1, max: 3 }), amount: fc.integer({ min: 1, max: 1200 }) }),
  fc.record({ kind: fc.constant('withdraw' as const), who: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('advance' as const), seconds: fc.constantFrom(100, 400, 700) }),
);

it('deposits: every balance matches the model and their sum equals the tokens the vault holds', async () => {
  await isolated(fc.array(depositOp, { minLength: 10, maxLength: 30 }), 4, async (ops) => {
    const model = new Map<number, { available: bigint; unlocking: bigint; unlockAt: bigint }>();
    const get = (w: number) => model.get(w) ?? { available: 0n, unlocking: 0n, unlockAt: 0n };
    for (const op of ops) {
      if (op.kind === 'advance') {
        await t.advance(op.seconds);
        continue;
      }
      const me = t.as(op.who);
      const m = get(op.who);
      if (op.kind === 'deposit') {
        await L.deposit(me, cluster, BigInt(op.amount));
        m.available += BigInt(op.amount);
      } else if (op.kind === 'unlock') {
        const amount = BigInt(op.amount);
        if (amount > m.available) {
          await expectRevert(L.unlock(me, cluster, amount), 'InsufficientDeposit');
        } else {
          const r = await L.unlock(me, cluster, amount);
          m.available -= amount;
          m.unlocking += amount;
          m.unlockAt = (await me.publicClient.getBlock({ blockNumber: r.blockNumber })).timestamp + BigInt(DELAY);
        }
      } else {
        const now = await chainTime();
        if (m.unlocking === 0n) await expectRevert(L.withdraw(me, cluster), 'NothingToWithdraw');
        else if (now + 5n < m.unlockAt) await expectRevert(L.withdraw(me, cluster), 'DepositLocked');
        else if (now >= m.unlockAt) {
          await L.withdraw(me, cluster);
          m.unlocking = 0n;
          m.unlockAt = 0n;
        } // within a few seconds of unlocking: the next block's time decides; skip.
      }
      model.set(op.who, m);
      let sum = 0n;
      for (const w of [1, 2, 3]) {
        const b = await L.depositBalance(t.as(0), addr(w), cluster);
        const e = get(w);
        assert.deepEqual([b.available, b.unlocking], [e.available, e.unlocking], `account ${w} after ${JSON.stringify(op)}`);
        sum += b.available + b.unlocking;
      }
      assert.equal(await L.totalDeposits(t.as(0)), sum);
      assert.equal(await L.tokenBalance(t.as(0), t.deployment.contracts.deposits), sum);
    }
  });
});

type BucketOp = { kind: 'create'; who: number } | { kind: 'transfer'; who: number; pick: number; to: number } | { kind: 'remove'; who: number; pick: number };
const bucketOp: fc.Arbitrary<BucketOp> = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), who: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('transfer' as const), who: fc.integer({ min: 1, max: 3 }), pick: fc.nat(), to: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('remove' as const), who: fc.integer({ min: 1, max: 3 }), pick: fc.nat() }),
);

it('buckets: only owners change them; ownership and listings match the model', async () => {
  await isolated(fc.array(bucketOp, { minLength: 10, maxLength: 30 }), 4, async (ops) => {
    const owners = new Map<bigint, number | undefined>(); // undefined: removed
    for (const op of ops) {
      if (op.kind === 'create') {
        const { bucketId } = await L.createBucket(t.as(op.who), { clusterId: cluster, isPublic: op.who % 2 === 0 });
        assert.ok(!owners.has(bucketId), 'ids are never reused');
        owners.set(bucketId, op.who);
        continue;
      }
      const ids = [...owners.keys()];
      if (ids.length === 0) continue;
      const id = ids[op.pick % ids.length]!;
      const owner = owners.get(id);
      const call = op.kind === 'transfer' ? L.transferBucket(t.as(op.who), id, addr(op.to)) : L.removeBucket(t.as(op.who), id);
      if (owner === undefined) await expectRevert(call, 'BucketNotFound');
      else if (owner !== op.who) await expectRevert(call, 'NotBucketOwner');
      else {
        await call;
        owners.set(id, op.kind === 'transfer' ? op.to : undefined);
      }
    }
    for (const [id, owner] of owners) {
      if (owner === undefined) await expectRevert(L.getBucket(t.as(0), id), 'BucketNotFound');
      else assert.equal((await L.getBucket(t.as(0), id)).owner, addr(owner));
    }
    for (const w of [1, 2, 3]) {
      const listed = (await L.listBuckets(t.as(0), addr(w))).map((b) => b.bucketId).sort();
      const expected = [...owners].filter(([, o]) => o === w).map(([id]) => id).sort();
      assert.deepEqual(listed, expected);
    }
  });
});

type NodeOp = { kind: 'bond' | 'join' | 'chill' | 'activate' | 'unbond' | 'leave'; node: number } | { kind: 'advance'; seconds: number };
const nodeOp: fc.Arbitrary<NodeOp> = fc.oneof(
  fc.record({ kind: fc.constantFrom('bond', 'join', 'chill', 'activate', 'unbond', 'leave') as fc.Arbitrary<'bond'>, node: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ kind: fc.constant('advance' as const), seconds: fc.constantFrom(1000, 4000) }),
);

it('nodes: a node never leaves while its stake is locked; bonds add up to the tokens held', async () => {
  await isolated(fc.array(nodeOp, { minLength: 15, maxLength: 40 }), 4, async (ops) => {
    const keys: Hex[] = [key(0xa1), key(0xa2), key(0xa3)];
    const provider = (n: number) => t.as(4 + n);
    for (const [n, k] of keys.entries()) await L.registerNode(provider(n), { nodeKey: k, url: `http://127.0.0.1:${7000 + n}`, zone: `z${n}`, capacity: 1n });
    for (const op of ops) {
      if (op.kind === 'advance') {
        await t.advance(op.seconds);
        continue;
      }
      const k = keys[op.node]!;
      const me = provider(op.node);
      const before = await L.getNode(t.as(0), k);
      const attempt = (() => {
        switch (op.kind) {
          case 'bond': return L.bond(me, k, 600n);
          case 'join': return L.joinCluster(me, k, cluster);
          case 'chill': return L.chill(me, k);
          case 'activate': return L.activate(me, k);
          case 'unbond': return L.unbond(me, k);
          case 'leave': return L.leave(me, k);
        }
      })();
      const outcome = await attempt.then(() => 'ok', (e: unknown) => (e instanceof L.DdcError && e.code === 'DDC_LEDGER_REVERT' ? String((e.details as { errorName: string }).errorName) : Promise.reject(e)));
      if (op.kind === 'leave') {
        const now = await chainTime();
        if (outcome === 'ok') {
          assert.equal(before.status, 'unbonding', 'left without unbonding');
          assert.ok(now >= before.unlockAt, `left at ${now} before its stake unlocked at ${before.unlockAt}`);
        } else if (before.status === 'unbonding') assert.equal(outcome, 'StakeLocked');
      }
      const members = await L.getClusterNodes(t.as(0), cluster);
      let sum = 0n;
      for (const kk of keys) sum += (await L.getNode(t.as(0), kk)).bond;
      assert.equal(await L.totalBonded(t.as(0)), sum);
      assert.equal(await L.tokenBalance(t.as(0), t.deployment.contracts.nodes), sum);
      for (const mbr of members) assert.ok(['active', 'chilled', 'unbonding'].includes(mbr.status));
      for (const kk of keys) {
        const n = await L.getNode(t.as(0), kk);
        assert.equal(members.some((x) => x.nodeKey === kk), n.clusterId !== 0, 'membership list and node record agree');
        if (n.status === 'active') assert.ok(n.bond >= 1000n, 'an active node holds the cluster bond');
      }
    }
  });
});

