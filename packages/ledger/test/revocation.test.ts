/** Token revocation on BucketRegistry against a real anvil: owner only, events, idempotence, and core's verifyTokenChain reading it. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { keccak256, parseEventLogs, toHex as viemHex } from 'viem';
import {
  fromHex, generateKeyPair, issueRootToken, signDelegation, verifyTokenChain, type TokenLedgerView,
} from '@ddc/core';
import * as L from './imports.js';
import { expectRevert, startTestChain, type TestChain } from './helpers.js';

const layout = { k: 4, m: 2, replicationThreshold: 65536 };
const CERE = (n: number | string) => L.parseCere(String(n));
const terms: L.ClusterTerms = {
  pricePerGbMonth: CERE('0.01'), pricePerGbTransferred: CERE('0.005'), pricePerMillionRequests: CERE('0.2'),
  treasuryBps: 500, validatorBps: 1000, reserveBps: 500, nodeBond: CERE(100), unbondingDelay: 3600, depositUnlockDelay: 600,
};
const id = (b: number) => b.toString(16).padStart(2, '0').repeat(32);

let t: TestChain;
let bucketId: bigint;
const addr = (i: number) => t.chain.accounts[i]!.address;

before(async () => {
  t = await startTestChain();
  const { clusterId } = await L.createCluster(t.as(1), { layout, terms });
  bucketId = (await L.createBucket(t.as(2), { clusterId, isPublic: false })).bucketId;
});
after(async () => t?.close());

describe('token revocation', () => {
  it('lets the owner revoke, emits TokenRevoked once, and answers isTokenRevoked per bucket', async () => {
    assert.equal(await L.isTokenRevoked(t.as(0), bucketId, id(1)), false);
    const r = await L.revokeToken(t.as(2), bucketId, id(1));
    const evs = parseEventLogs({ abi: L.bucketRegistryAbi, logs: r.receipt.logs, eventName: 'TokenRevoked' });
    assert.equal(evs.length, 1);
    assert.deepEqual(evs[0]?.args, { bucketId, tokenId: `0x${id(1)}` });
    // The topic nodes filter their eth_getLogs on.
    assert.equal(r.receipt.logs[0]?.topics[0], keccak256(viemHex('TokenRevoked(uint64,bytes32)')));
    assert.equal(await L.isTokenRevoked(t.as(0), bucketId, id(1)), true);
    assert.equal(await L.isTokenRevoked(t.as(0), bucketId, `0x${id(1).toUpperCase()}`), true);
    assert.equal(await L.isTokenRevoked(t.as(0), bucketId, id(2)), false);
    assert.equal(await L.isTokenRevoked(t.as(0), bucketId + 1000n, id(1)), false);
    // Again: a no-op without a second event.
    const again = await L.revokeToken(t.as(2), bucketId, id(1));
    assert.equal(parseEventLogs({ abi: L.bucketRegistryAbi, logs: again.receipt.logs, eventName: 'TokenRevoked' }).length, 0);
    assert.equal(await L.isTokenRevoked(t.as(0), bucketId, id(1)), true);
  });

  it('refuses anyone but the owner, and missing buckets', async () => {
    assert.deepEqual(await expectRevert(L.revokeToken(t.as(3), bucketId, id(3)), 'NotBucketOwner'), { bucketId: String(bucketId), caller: addr(3) });
    assert.equal(await L.isTokenRevoked(t.as(0), bucketId, id(3)), false);
    await expectRevert(L.revokeToken(t.as(2), 99_999n, id(3)), 'BucketNotFound');
  });

  it('checks token ids before sending', async () => {
    for (const bad of ['', 'zz'.repeat(32), id(1).slice(2), `0x${id(1)}00`]) {
      await assert.rejects(L.revokeToken(t.as(2), bucketId, bad), { code: 'DDC_INVALID_ARGUMENT' });
      await assert.rejects(L.isTokenRevoked(t.as(2), bucketId, bad), { code: 'DDC_INVALID_ARGUMENT' });
    }
  });

  it('a revoked root makes core\'s verifyTokenChain refuse the token (DDC_TOKEN_REVOKED); the new owner after a transfer is the one who can revoke', async () => {
    const owner = t.chain.accounts[2]!;
    const key = generateKeyPair();
    const now = Math.floor(Date.now() / 1000);
    const delegation = signDelegation({ account: owner.address, signingKey: key.publicKey, notBefore: now - 60, expiry: now + 3600, chainId: t.deployment.chainId }, fromHex(owner.privateKey.slice(2)));
    const token = issueRootToken({ signing: key, delegation, audience: key.publicKey, bucket: Number(bucketId), ops: ['get', 'put'], expiry: now + 600 });
    const view: TokenLedgerView = {
      chainId: t.deployment.chainId,
      bucketOwner: async (b) => (await L.getBucket(t.as(0), b)).owner,
      isRevoked: (b, tokenIdHex) => L.isTokenRevoked(t.as(0), b, tokenIdHex),
    };
    const check = { bucket: Number(bucketId), op: 'get' as const, key: 'a', requester: key.publicKey };
    await verifyTokenChain(token, check, view);
    await L.revokeToken(t.as(2), bucketId, token.idHex);
    await assert.rejects(verifyTokenChain(token, check, view), { code: 'DDC_TOKEN_REVOKED' });
    // After a transfer the old owner cannot revoke, and its tokens no longer name the owner.
    await L.transferBucket(t.as(2), bucketId, addr(4));
    await expectRevert(L.revokeToken(t.as(2), bucketId, id(9)), 'NotBucketOwner');
    await L.revokeToken(t.as(4), bucketId, id(9));
    assert.equal(await L.isTokenRevoked(t.as(0), bucketId, id(9)), true);
    await assert.rejects(verifyTokenChain(token, check, { ...view, isRevoked: () => false }), { code: 'DDC_TOKEN_NOT_OWNER' });
  });
});
