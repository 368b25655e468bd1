/** Every action of the typed client against a real anvil: results, events, and each custom error decoded. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { keccak256, parseEventLogs, toHex, zeroAddress, type Hex } from 'viem';
import * as L from './imports.js';
import { sendTx } from '../src/tx.js';
import { nodes as nodesContract, deposits as depositsContract, validators as validatorsContract } from '../src/contracts.js';
import { expectRevert, key, startTestChain, type TestChain } from './helpers.js';

const CERE = (n: number | string) => L.parseCere(String(n));
const layout = { k: 4, m: 2, replicationThreshold: 65536 };
const terms: L.ClusterTerms = {
  pricePerGbMonth: CERE('0.01'),
  pricePerGbTransferred: CERE('0.005'),
  pricePerMillionRequests: CERE('0.2'),
  treasuryBps: 500,
  validatorBps: 1000,
  reserveBps: 500,
  nodeBond: CERE(100),
  unbondingDelay: 3600,
  depositUnlockDelay: 600,
};

let t: TestChain;
let clusterId: number;
const addr = (i: number) => t.chain.accounts[i]!.address;

before(async () => {
  t = await startTestChain();
  clusterId = (await L.createCluster(t.as(1), { layout, terms })).clusterId;
});
after(async () => t?.close());

describe('clusters', () => {
  it('creates with sequential ids, emits ClusterCreated, reads back', async () => {
    const r = await L.createCluster(t.as(1), { layout: { k: 2, m: 1, replicationThreshold: 1024 }, terms });
    assert.equal(r.clusterId, clusterId + 1);
    const [ev] = parseEventLogs({ abi: L.clusterRegistryAbi, logs: r.receipt.logs, eventName: 'ClusterCreated' });
    assert.equal(ev?.args.manager, addr(1));
    assert.deepEqual(ev?.args.layout, { k: 2, m: 1, replicationThreshold: 1024 });
    const c = await L.getCluster(t.as(0), clusterId);
    assert.deepEqual(c.layout, layout);
    assert.deepEqual(c.terms, terms);
    assert.equal(c.manager, addr(1));
    assert.equal(await L.clusterCount(t.as(0)), clusterId + 1);
  });

  it('refuses bad erasure parameters and shares over 100%', async () => {
    assert.deepEqual(await expectRevert(L.createCluster(t.as(1), { layout: { ...layout, k: 0 }, terms }), 'InvalidErasureParams'), { k: 0, m: 2 });
    await expectRevert(L.createCluster(t.as(1), { layout: { k: 200, m: 57, replicationThreshold: 0 }, terms }), 'InvalidErasureParams');
    const args = await expectRevert(L.createCluster(t.as(1), { layout, terms: { ...terms, treasuryBps: 9000, reserveBps: 1001 } }), 'SharesTooHigh');
    assert.deepEqual(args, { total: '11001', max: '10000' });
  });

  it('lets only the manager update terms; emits ClusterUpdated', async () => {
    const updated = { ...terms, pricePerGbMonth: CERE('0.02') };
    const r = await L.updateCluster(t.as(1), clusterId, updated);
    const [ev] = parseEventLogs({ abi: L.clusterRegistryAbi, logs: r.receipt.logs, eventName: 'ClusterUpdated' });
    assert.equal(ev?.args.terms.pricePerGbMonth, CERE('0.02'));
    assert.equal((await L.getCluster(t.as(0), clusterId)).terms.pricePerGbMonth, CERE('0.02'));
    const a = await expectRevert(L.updateCluster(t.as(2), clusterId, terms), 'NotClusterManager');
    assert.equal(a.caller, addr(2));
    await expectRevert(L.updateCluster(t.as(1), 999, terms), 'ClusterNotFound');
    await L.updateCluster(t.as(1), clusterId, terms);
  });

  it('hands over management', async () => {
    const other = (await L.createCluster(t.as(1), { layout, terms })).clusterId;
    await expectRevert(L.setClusterManager(t.as(1), other, zeroAddress), 'ZeroAddress');
    await L.setClusterManager(t.as(1), other, addr(2));
    assert.equal((await L.getCluster(t.as(0), other)).manager, addr(2));
    await expectRevert(L.updateCluster(t.as(1), other, terms), 'NotClusterManager');
  });

  it('reports a missing cluster on read', async () => {
    assert.deepEqual(await expectRevert(L.getCluster(t.as(0), 4242), 'ClusterNotFound'), { clusterId: 4242 });
  });
});

describe('nodes', () => {
  const k1 = key(0x11);

  it('registers a node and emits NodeRegistered', async () => {
    const r = await L.registerNode(t.as(3), { nodeKey: k1, url: 'http://127.0.0.1:7001', zone: 'z1', capacity: 10n ** 12n });
    const [ev] = parseEventLogs({ abi: L.nodeRegistryAbi, logs: r.receipt.logs, eventName: 'NodeRegistered' });
    assert.equal(ev?.args.nodeKey, k1);
    assert.equal(ev?.args.provider, addr(3));
    const n = await L.getNode(t.as(0), k1);
    assert.equal(n.status, 'idle');
    assert.equal(n.url, 'http://127.0.0.1:7001');
    assert.equal(n.clusterId, 0);
  });

  it('refuses duplicates, zero keys, empty fields, strangers', async () => {
    await expectRevert(L.registerNode(t.as(4), { nodeKey: k1, url: 'http://x', zone: 'z', capacity: 1n }), 'NodeAlreadyRegistered');
    // The client refuses a zero key itself; send it raw to see the contract refuse it too.
    await expectRevert(sendTx(t.as(3), nodesContract(t.as(3)), 'registerNode', [`0x${'00'.repeat(32)}`, 'http://x', 'z', 1n]), 'InvalidNodeKey');
    await assert.rejects(L.registerNode(t.as(3), { nodeKey: `0x${'00'.repeat(32)}`, url: 'http://x', zone: 'z', capacity: 1n }), { code: 'DDC_INVALID_ARGUMENT' });
    assert.deepEqual(await expectRevert(L.registerNode(t.as(3), { nodeKey: key(0x12), url: '', zone: 'z', capacity: 1n }), 'InvalidNodeField'), { field: 'url' });
    assert.deepEqual(await expectRevert(L.registerNode(t.as(3), { nodeKey: key(0x12), url: 'http://x', zone: 'z'.repeat(65), capacity: 1n }), 'InvalidNodeField'), { field: 'zone' });
    await expectRevert(L.bond(t.as(4), k1, CERE(1)), 'NotNodeProvider');
    await expectRevert(L.getNode(t.as(0), key(0x99)), 'NodeNotFound');
    await expectRevert(L.joinCluster(t.as(3), key(0x99), clusterId), 'NodeNotFound');
  });

  it('updates url, zone and capacity', async () => {
    const r = await L.updateNode(t.as(3), { nodeKey: k1, url: 'http://127.0.0.1:7101', zone: 'z2', capacity: 5n });
    const [ev] = parseEventLogs({ abi: L.nodeRegistryAbi, logs: r.receipt.logs, eventName: 'NodeUpdated' });
    assert.equal(ev?.args.zone, 'z2');
    const n = await L.getNode(t.as(0), k1);
    assert.deepEqual([n.url, n.zone, n.capacity], ['http://127.0.0.1:7101', 'z2', 5n]);
  });

  it('joins only with the cluster bond: BondTooSmall says by how much', async () => {
    await expectRevert(L.joinCluster(t.as(3), k1, clusterId), 'BondTooSmall');
    await expectRevert(L.bond(t.as(3), k1, 0n), 'ZeroAmount');
    const r = await L.bond(t.as(3), k1, CERE(40));
    const [ev] = parseEventLogs({ abi: L.nodeRegistryAbi, logs: r.receipt.logs, eventName: 'NodeBonded' });
    assert.equal(ev?.args.total, CERE(40));
    try {
      await L.joinCluster(t.as(3), k1, clusterId);
      assert.fail('joined without the bond');
    } catch (e) {
      assert.ok(e instanceof L.DdcError);
      assert.equal(e.code, 'DDC_LEDGER_REVERT');
      assert.deepEqual(e.details, { contract: 'NodeRegistry', functionName: 'joinCluster', errorName: 'BondTooSmall', args: { required: String(CERE(100)), given: String(CERE(40)) } });
      assert.match(e.message, /bond is 40 CERE but the cluster requires 100 CERE/);
      assert.match(e.hint ?? '', /Bond at least 60 CERE more/);
    }
    await L.bond(t.as(3), k1, CERE(60));
    // ClusterNotFound comes from ClusterRegistry, called by NodeRegistry: still decoded.
    await expectRevert(L.joinCluster(t.as(3), k1, 777), 'ClusterNotFound');
    const j = await L.joinCluster(t.as(3), k1, clusterId);
    const [joined] = parseEventLogs({ abi: L.nodeRegistryAbi, logs: j.receipt.logs, eventName: 'NodeJoined' });
    assert.deepEqual(joined?.args, { clusterId, nodeKey: k1 });
    const members = await L.getClusterNodes(t.as(0), clusterId);
    assert.deepEqual(members.map((m) => [m.nodeKey, m.status, m.bond]), [[k1, 'active', CERE(100)]]);
    await expectRevert(L.joinCluster(t.as(3), k1, clusterId), 'NodeAlreadyInCluster');
  });

  it('chills and activates', async () => {
    await expectRevert(L.activate(t.as(3), k1), 'NodeNotChilled');
    await L.chill(t.as(3), k1);
    assert.equal((await L.getNode(t.as(0), k1)).status, 'chilled');
    assert.deepEqual(await expectRevert(L.chill(t.as(3), k1), 'NodeNotActive'), { nodeKey: k1, status: 3 });
    // A raised bond applies to a chilled node coming back.
    await L.updateCluster(t.as(1), clusterId, { ...terms, nodeBond: CERE(150) });
    await expectRevert(L.activate(t.as(3), k1), 'BondTooSmall');
    await L.updateCluster(t.as(1), clusterId, terms);
    await L.activate(t.as(3), k1);
    assert.equal((await L.getNode(t.as(0), k1)).status, 'active');
  });

  it('never leaves with its stake locked: unbond, wait the delay, leave', async () => {
    await expectRevert(L.leave(t.as(3), k1), 'NodeNotUnbonding');
    const before = await L.tokenBalance(t.as(0), addr(3));
    const u = await L.unbond(t.as(3), k1);
    const [ev] = parseEventLogs({ abi: L.nodeRegistryAbi, logs: u.receipt.logs, eventName: 'NodeUnbonding' });
    const n = await L.getNode(t.as(0), k1);
    assert.equal(n.status, 'unbonding');
    assert.equal(ev?.args.unlockAt, n.unlockAt);
    await expectRevert(L.unbond(t.as(3), k1), 'NodeIsUnbonding');
    await expectRevert(L.bond(t.as(3), k1, CERE(1)), 'NodeIsUnbonding');
    await expectRevert(L.joinCluster(t.as(3), k1, clusterId), 'NodeIsUnbonding');
    const locked = await expectRevert(L.leave(t.as(3), k1), 'StakeLocked');
    assert.equal(locked.unlockAt, n.unlockAt.toString());
    await t.advance(1800);
    await expectRevert(L.withdrawBond(t.as(3), k1), 'StakeLocked');
    await t.advance(1800);
    const l = await L.leave(t.as(3), k1);
    const [left] = parseEventLogs({ abi: L.nodeRegistryAbi, logs: l.receipt.logs, eventName: 'NodeLeft' });
    assert.equal(left?.args.amount, CERE(100));
    assert.equal(await L.tokenBalance(t.as(0), addr(3)), before + CERE(100));
    assert.deepEqual(await L.getClusterNodes(t.as(0), clusterId), []);
    const after = await L.getNode(t.as(0), k1);
    assert.deepEqual([after.status, after.bond, after.clusterId], ['idle', 0n, 0]);
    assert.equal(await L.totalBonded(t.as(0)), 0n);
    await expectRevert(L.unbond(t.as(3), k1), 'ZeroAmount');
  });

  it('a node in no cluster unbonds without delay', async () => {
    const k = key(0x13);
    await L.registerNode(t.as(3), { nodeKey: k, url: 'http://x', zone: 'z', capacity: 1n });
    await L.bond(t.as(3), k, CERE(5));
    await L.unbond(t.as(3), k);
    await L.leave(t.as(3), k);
  });

  it('token errors from bonding are decoded too', async () => {
    const k = key(0x14);
    await L.registerNode(t.as(3), { nodeKey: k, url: 'http://x', zone: 'z', capacity: 1n });
    await expectRevert(L.bond(t.as(3), k, CERE(1), { approve: false }), 'ERC20InsufficientAllowance');
    const balance = await L.tokenBalance(t.as(0), addr(3));
    const a = await expectRevert(L.bond(t.as(3), k, balance + 1n), 'ERC20InsufficientBalance');
    assert.equal(a.needed, String(balance + 1n));
  });

  it('slashing needs SLASHER_ROLE and never takes more than the bond', async () => {
    const k = key(0x15);
    await L.registerNode(t.as(4), { nodeKey: k, url: 'http://x', zone: 'z', capacity: 1n });
    await L.bond(t.as(4), k, CERE(100));
    await L.joinCluster(t.as(4), k, clusterId);
    const role = keccak256(toHex('SLASHER_ROLE'));
    await expectRevert(sendTx(t.as(5), nodesContract(t.as(5)), 'slash', [k, 1n, addr(6), role]), 'AccessControlUnauthorizedAccount');
    await sendTx(t.as(0), nodesContract(t.as(0)), 'grantRole', [role, addr(5)]);
    await expectRevert(sendTx(t.as(5), nodesContract(t.as(5)), 'slash', [k, CERE(101), addr(6), role]), 'SlashTooLarge');
    const before = await L.tokenBalance(t.as(0), addr(6));
    await sendTx(t.as(5), nodesContract(t.as(5)), 'slash', [k, CERE(30), addr(6), role]);
    assert.equal((await L.getNode(t.as(0), k)).bond, CERE(70));
    assert.equal(await L.tokenBalance(t.as(0), addr(6)), before + CERE(30));
    assert.equal(await L.totalBonded(t.as(0)), CERE(70));
  });
});

describe('buckets', () => {
  it('creates sequential ids, lists, reads, emits BucketCreated', async () => {
    const a = await L.createBucket(t.as(2), { clusterId, isPublic: true });
    const b = await L.createBucket(t.as(2), { clusterId, isPublic: false });
    assert.equal(b.bucketId, a.bucketId + 1n);
    const [ev] = parseEventLogs({ abi: L.bucketRegistryAbi, logs: b.receipt.logs, eventName: 'BucketCreated' });
    assert.deepEqual(ev?.args, { bucketId: b.bucketId, owner: addr(2), clusterId, isPublic: false });
    const got = await L.getBucket(t.as(0), b.bucketId);
    assert.deepEqual([got.owner, got.clusterId, got.isPublic], [addr(2), clusterId, false]);
    const mine = (await L.listBuckets(t.as(0), addr(2))).map((x) => x.bucketId).sort();
    assert.deepEqual(mine, [a.bucketId, b.bucketId]);
    await expectRevert(L.createBucket(t.as(2), { clusterId: 555, isPublic: true }), 'ClusterNotFound');
  });

  it('only the owner transfers or removes; removed ids stay dead', async () => {
    const { bucketId } = await L.createBucket(t.as(2), { clusterId, isPublic: true });
    assert.deepEqual(await expectRevert(L.transferBucket(t.as(3), bucketId, addr(3)), 'NotBucketOwner'), { bucketId: String(bucketId), caller: addr(3) });
    await expectRevert(L.transferBucket(t.as(2), bucketId, zeroAddress), 'ZeroAddress');
    const tr = await L.transferBucket(t.as(2), bucketId, addr(3));
    const [ev] = parseEventLogs({ abi: L.bucketRegistryAbi, logs: tr.receipt.logs, eventName: 'BucketTransferred' });
    assert.deepEqual(ev?.args, { bucketId, from: addr(2), to: addr(3) });
    assert.ok(!(await L.listBuckets(t.as(0), addr(2))).some((x) => x.bucketId === bucketId));
    assert.ok((await L.listBuckets(t.as(0), addr(3))).some((x) => x.bucketId === bucketId));
    await expectRevert(L.removeBucket(t.as(2), bucketId), 'NotBucketOwner');
    const rm = await L.removeBucket(t.as(3), bucketId);
    assert.equal(parseEventLogs({ abi: L.bucketRegistryAbi, logs: rm.receipt.logs, eventName: 'BucketRemoved' }).length, 1);
    await expectRevert(L.getBucket(t.as(0), bucketId), 'BucketNotFound');
    await expectRevert(L.removeBucket(t.as(3), bucketId), 'BucketNotFound');
    const next = await L.createBucket(t.as(2), { clusterId, isPublic: true });
    assert.equal(next.bucketId, bucketId + 1n);
  });
});

describe('deposits', () => {
  it('deposit, unlock, wait, withdraw: exact balances and events', async () => {
    const start = await L.tokenBalance(t.as(0), addr(7));
    await expectRevert(L.deposit(t.as(7), clusterId, 0n), 'ZeroAmount');
    await expectRevert(L.deposit(t.as(7), 999, CERE(1)), 'ClusterNotFound');
    const d = await L.deposit(t.as(7), clusterId, CERE(50));
    const [ev] = parseEventLogs({ abi: L.depositVaultAbi, logs: d.receipt.logs, eventName: 'Deposited' });
    assert.deepEqual(ev?.args, { account: addr(7), clusterId, from: addr(7), amount: CERE(50) });
    assert.deepEqual(await L.depositBalance(t.as(0), addr(7), clusterId), { available: CERE(50), unlocking: 0n, unlockAt: 0n });
    await expectRevert(L.withdraw(t.as(7), clusterId), 'NothingToWithdraw');
    assert.deepEqual(await expectRevert(L.unlock(t.as(7), clusterId, CERE(51)), 'InsufficientDeposit'), { available: String(CERE(50)), requested: String(CERE(51)) });
    await L.unlock(t.as(7), clusterId, CERE(20));
    const b = await L.depositBalance(t.as(0), addr(7), clusterId);
    assert.equal(b.available, CERE(30));
    assert.equal(b.unlocking, CERE(20));
    await expectRevert(L.withdraw(t.as(7), clusterId), 'DepositLocked');
    await t.advance(600);
    const w = await L.withdraw(t.as(7), clusterId);
    const [wev] = parseEventLogs({ abi: L.depositVaultAbi, logs: w.receipt.logs, eventName: 'Withdrawn' });
    assert.equal(wev?.args.amount, CERE(20));
    assert.equal(await L.tokenBalance(t.as(0), addr(7)), start - CERE(30));
    assert.deepEqual(await L.depositBalance(t.as(0), addr(7), clusterId), { available: CERE(30), unlocking: 0n, unlockAt: 0n });
  });

  it('deposits for another account; settlement charges only available funds', async () => {
    await L.deposit(t.as(7), clusterId, CERE(10), { for: addr(8) });
    assert.equal((await L.depositBalance(t.as(0), addr(8), clusterId)).available, CERE(10));
    const role = keccak256(toHex('SETTLER_ROLE'));
    const vault = (i: number) => depositsContract(t.as(i));
    await expectRevert(sendTx(t.as(5), vault(5), 'charge', [addr(8), clusterId, 1n, addr(6), role]), 'AccessControlUnauthorizedAccount');
    await sendTx(t.as(0), vault(0), 'grantRole', [role, addr(5)]);
    await L.unlock(t.as(8), clusterId, CERE(4));
    await expectRevert(sendTx(t.as(5), vault(5), 'charge', [addr(8), clusterId, CERE(7), addr(6), role]), 'InsufficientDeposit');
    await sendTx(t.as(5), vault(5), 'charge', [addr(8), clusterId, CERE(6), addr(6), role]);
    assert.deepEqual(await L.depositBalance(t.as(0), addr(8), clusterId), { available: 0n, unlocking: CERE(4), unlockAt: (await L.depositBalance(t.as(0), addr(8), clusterId)).unlockAt });
    assert.equal(await L.totalDeposits(t.as(0)), await L.tokenBalance(t.as(0), t.deployment.contracts.deposits));
  });
});

describe('validators', () => {
  const vk: Hex = key(0x77);
  it('register with stake, add, unbond, withdraw after the delay', async () => {
    assert.deepEqual(await expectRevert(L.registerValidator(t.as(9), vk, 0n), 'StakeTooSmall'), { required: '1', given: '0' });
    await L.registerValidator(t.as(9), vk, CERE(1000));
    await expectRevert(L.registerValidator(t.as(9), vk, CERE(1)), 'ValidatorAlreadyRegistered');
    await L.addValidatorStake(t.as(9), CERE(500));
    const v = await L.getValidator(t.as(0), addr(9));
    assert.deepEqual([v.status, v.stake, v.signingKey], ['active', CERE(1500), vk]);
    assert.equal((await L.validatorTotals(t.as(0))).totalActiveStake, CERE(1500));
    await expectRevert(L.addValidatorStake(t.as(8), CERE(1)), 'ValidatorNotActive');
    await expectRevert(L.getValidator(t.as(0), addr(8)), 'ValidatorNotFound');
    await expectRevert(L.withdrawValidatorStake(t.as(9)), 'ValidatorNotUnbonding');
    await L.unbondValidator(t.as(9));
    const totals = await L.validatorTotals(t.as(0));
    assert.deepEqual([totals.totalActiveStake, totals.totalStaked], [0n, CERE(1500)]);
    await expectRevert(L.withdrawValidatorStake(t.as(9)), 'StakeLocked');
    // Unbonding stake is still slashable: that is what the delay is for.
    const role = keccak256(toHex('SLASHER_ROLE'));
    await sendTx(t.as(0), validatorsContract(t.as(0)), 'grantRole', [role, addr(5)]);
    await sendTx(t.as(5), validatorsContract(t.as(5)), 'slashValidator', [addr(9), CERE(100), addr(6), role]);
    await t.advance(totals.unbondingDelay);
    const before = await L.tokenBalance(t.as(0), addr(9));
    await L.withdrawValidatorStake(t.as(9));
    assert.equal(await L.tokenBalance(t.as(0), addr(9)), before + CERE(1400));
    assert.equal((await L.validatorTotals(t.as(0))).totalStaked, 0n);
  });
});

describe('token', () => {
  it('only the deployer mints dev CERE', async () => {
    await expectRevert(L.mint(t.as(2), addr(2), 1n), 'OwnableUnauthorizedAccount');
    const before = await L.tokenBalance(t.as(0), addr(2));
    await L.mint(t.as(0), addr(2), 5n);
    assert.equal(await L.tokenBalance(t.as(0), addr(2)), before + 5n);
  });
});

describe('errors outside the contracts', () => {
  it('a write without a key is DDC_LEDGER_ACCOUNT; a dead RPC is DDC_LEDGER_UNAVAILABLE', async () => {
    const reader = L.connectLedger({ deployment: t.deployment, rpcUrl: t.chain.rpcUrl });
    await assert.rejects(L.createBucket(reader, { clusterId, isPublic: true }), { code: 'DDC_LEDGER_ACCOUNT' });
    const dead = L.connectLedger({ deployment: t.deployment, rpcUrl: 'http://127.0.0.1:9' });
    await assert.rejects(L.getCluster(dead, clusterId), { code: 'DDC_LEDGER_UNAVAILABLE' });
    assert.throws(() => L.connectLedger({ deployment: t.deployment, rpcUrl: t.chain.rpcUrl, extra: 1 } as never), { code: 'DDC_INVALID_CONFIG' });
  });

  it('a deployment for another chain, or with no contract at an address, is DDC_LEDGER_DEPLOYMENT', async () => {
    const other = L.connectLedger({ deployment: { ...t.deployment, chainId: 1 }, rpcUrl: t.chain.rpcUrl });
    await assert.rejects(L.assertChain(other), { code: 'DDC_LEDGER_DEPLOYMENT' });
    const empty = L.connectLedger({ deployment: { ...t.deployment, contracts: { ...t.deployment.contracts, clusters: '0x000000000000000000000000000000000000dEaD' } }, rpcUrl: t.chain.rpcUrl });
    await assert.rejects(L.getCluster(empty, clusterId), { code: 'DDC_LEDGER_DEPLOYMENT' });
  });
});
