/**
 * Who a bucket handle acts as: the owner's self-issued root token (and the put-only token for
 * the client's shard uploads), a holder's token, and a wallet's delegation through EIP-1193.
 * Every token is checked with core's verifyTokenChain against a fake ledger view.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEV_MNEMONIC, deriveUserKeys, generateKeyPair, generateMnemonic, isDdcError, signDelegation, toHex, verifyTokenChain,
  type TokenLedgerView,
} from '@ddc/core';
import { BucketCredentials } from '../src/objects/credentials.js';
import { requestDelegation, type Eip1193Provider } from '../src/objects/wallet-delegation.js';

const owner = deriveUserKeys(DEV_MNEMONIC);
const other = deriveUserKeys(generateMnemonic());
const CHAIN = 31337;
const ledger: TokenLedgerView = { chainId: CHAIN, bucketOwner: async () => owner.evm.address, isRevoked: () => false };
const now = () => Math.floor(Date.now() / 1000);

async function refusal(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (isDdcError(e)) return e.code;
    throw e;
  }
  return 'accepted';
}

test('the owner mints a cached self-issued root token with every operation', async () => {
  const c = new BucketCredentials({ bucket: 3, clientIdentity: owner.signing, keys: owner, chainId: CHAIN });
  const t = c.token()!;
  assert.equal(c.token(), t, 'cached');
  assert.equal(toHex(t.issuer), toHex(owner.signing.publicKey));
  assert.equal(toHex(t.audience), toHex(owner.signing.publicKey));
  assert.deepEqual(t.ops, ['admin', 'delete', 'get', 'list', 'put']);
  assert.equal(t.prefix, '');
  assert.equal(t.mayDelegate, true);
  assert.equal(t.delegation!.account.toLowerCase(), owner.evm.address.toLowerCase());
  assert.ok(t.expiry > now() + 3000 && t.notBefore <= now());
  await verifyTokenChain(t, { bucket: 3, op: 'put', key: 'any/key', requester: owner.signing.publicKey }, ledger);
  assert.equal(c.shardToken(), t, 'the client signs with the owner key: the same token');
  assert.equal(await refusal(verifyTokenChain(t, { bucket: 4, op: 'get', key: 'k', requester: owner.signing.publicKey }, ledger)), 'DDC_TOKEN_WRONG_BUCKET');
});

test('a client with another identity gets a put-only token for its shard uploads', async () => {
  const clientKey = generateKeyPair();
  const c = new BucketCredentials({ bucket: 3, clientIdentity: clientKey, keys: owner, chainId: CHAIN });
  const s = c.shardToken();
  assert.equal(toHex(s.audience), toHex(clientKey.publicKey));
  assert.deepEqual(s.ops, ['put']);
  assert.equal(s.mayDelegate, false);
  await verifyTokenChain(s, { bucket: 3, op: 'put', key: 'x', requester: clientKey.publicKey }, ledger);
  assert.equal(await refusal(verifyTokenChain(s, { bucket: 3, op: 'delete', key: 'x', requester: clientKey.publicKey }, ledger)), 'DDC_TOKEN_OP_DENIED');
});

test('a token holder: audience checked, delegation to the client key only when the token allows it', async () => {
  const ownerCreds = new BucketCredentials({ bucket: 3, clientIdentity: owner.signing, keys: owner, chainId: CHAIN });
  const plain = ownerCreds.issue(other.signing.publicKey, { ops: ['get', 'put'], prefix: 'docs/', expiry: now() + 600 });
  const holder = new BucketCredentials({ bucket: 3, clientIdentity: other.signing, keys: other, token: plain });
  assert.equal(holder.require('put', 'docs/a').token, plain);
  assert.equal(await refusal(() => holder.require('delete', 'docs/a')), 'DDC_TOKEN_OP_DENIED');
  assert.equal(await refusal(() => holder.require('put', 'other/a')), 'DDC_TOKEN_PREFIX_DENIED');
  assert.equal(await refusal(() => new BucketCredentials({ bucket: 3, clientIdentity: owner.signing, keys: owner, token: plain })), 'DDC_TOKEN_AUDIENCE');
  assert.equal(await refusal(() => new BucketCredentials({ bucket: 4, clientIdentity: other.signing, keys: other, token: plain })), 'DDC_TOKEN_WRONG_BUCKET');
  const elsewhere = new BucketCredentials({ bucket: 3, clientIdentity: generateKeyPair(), keys: other, token: plain });
  assert.equal(await refusal(() => elsewhere.shardToken()), 'DDC_TOKEN_AUDIENCE', 'the token may not be delegated to the client key');
  assert.equal(await refusal(() => holder.issue(owner.signing.publicKey, { ops: ['get'], prefix: 'docs/', expiry: now() + 60 })), 'DDC_TOKEN_WIDENED');
  assert.equal(await refusal(() => new BucketCredentials({ bucket: 3, clientIdentity: owner.signing, keys: owner }).token()), 'DDC_INVALID_ARGUMENT', 'no chain id: the owner cannot sign a delegation');
});

/** A wallet: answers eth_signTypedData_v4 by signing the typed data it was sent (as a real wallet parses it). */
function fakeWallet(keys: typeof owner, calls: unknown[][]): Eip1193Provider {
  return {
    async request({ method, params }) {
      calls.push([method, ...(params ?? [])]);
      if (method !== 'eth_signTypedData_v4') throw new Error(`unsupported ${method}`);
      const [account, json] = params as [string, string];
      const typed = JSON.parse(json) as { domain: { chainId: number }; primaryType: string; message: { account: `0x${string}`; signingKey: string; notBefore: number; expiry: number } };
      assert.equal(typed.primaryType, 'Delegation');
      assert.equal(account, typed.message.account);
      const d = signDelegation({
        account: typed.message.account, signingKey: Uint8Array.from(Buffer.from(typed.message.signingKey.slice(2), 'hex')),
        notBefore: typed.message.notBefore, expiry: typed.message.expiry, chainId: typed.domain.chainId,
      }, keys.evm.privateKey);
      return `0x${toHex(d.signature)}`;
    },
  };
}

test('a wallet delegation (EIP-1193 eth_signTypedData_v4) backs the owner\'s tokens', async () => {
  const calls: unknown[][] = [];
  const expiry = now() + 7200;
  const delegation = await requestDelegation(fakeWallet(owner, calls), { account: owner.evm.address, signingKey: owner.signing.publicKey, expiry, chainId: CHAIN });
  assert.equal(calls.length, 1);
  assert.equal(calls[0]![0], 'eth_signTypedData_v4');
  assert.equal(delegation.expiry, expiry);
  const c = new BucketCredentials({ bucket: 3, clientIdentity: owner.signing, keys: owner, delegation });
  const t = c.token()!;
  assert.equal(t.delegation, delegation);
  await verifyTokenChain(t, { bucket: 3, op: 'get', key: 'k', requester: owner.signing.publicKey }, ledger);
  assert.equal(await refusal(() => c.issue(other.signing.publicKey, { ops: ['get'], prefix: 'k', expiry: expiry + 10 })), 'DDC_TOKEN_EXPIRED', 'a share cannot outlive the wallet\'s delegation');
  // A wallet that signs with another account, or refuses.
  assert.equal(await refusal(requestDelegation(fakeWallet(other, []), { account: owner.evm.address, signingKey: owner.signing.publicKey, expiry, chainId: CHAIN })), 'DDC_SIGNATURE_INVALID');
  const refusing: Eip1193Provider = { request: async () => { throw new Error('User rejected the request'); } };
  assert.equal(await refusal(requestDelegation(refusing, { account: owner.evm.address, signingKey: owner.signing.publicKey, expiry, chainId: CHAIN })), 'DDC_SIGNATURE_INVALID');
});
