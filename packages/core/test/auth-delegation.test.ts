// EIP-712 delegations: our digest, signature and recovery equal viem's for the same data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashTypedData, recoverTypedDataAddress } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import {
  DdcError, delegationDigest, delegationFromWalletSignature, delegationTypedData, recoverDelegationSigner, signDelegation, toHex,
  type Delegation, type DelegationTypedData,
} from '../src/index.js';
import { CHAIN_ID, OTHER_ADDRESS, OTHER_EVM_KEY, OWNER_ADDRESS, OWNER_EVM_KEY, T0, alice, ownerKey } from './auth-fixtures.js';

// viem types uint256 domain fields as bigint; at run time it takes numbers, as wallets do.
type ViemTypedData = Parameters<typeof hashTypedData>[0];
const viemTd = (td: DelegationTypedData) => td as unknown as ViemTypedData;

const owner = privateKeyToAccount(`0x${toHex(OWNER_EVM_KEY)}`);
const unsigned = { account: OWNER_ADDRESS, signingKey: ownerKey.publicKey, notBefore: T0, expiry: T0 + 86400, chainId: CHAIN_ID };

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof DdcError, `not a DdcError: ${String(e)}`);
    return e.code;
  }
  return undefined;
}

test('the fixture account is anvil account 0', () => {
  assert.equal(owner.address, OWNER_ADDRESS);
});

test('digest, signature and recovered signer equal viem\'s for several delegations', async () => {
  const cases = [
    unsigned,
    { ...unsigned, chainId: 1, notBefore: 0, expiry: 0 },
    { ...unsigned, account: OWNER_ADDRESS.toLowerCase() as `0x${string}`, signingKey: alice.publicKey, expiry: 2 ** 53 - 1 },
    { ...unsigned, chainId: 2 ** 40, notBefore: 1, expiry: 4_102_444_800 },
  ];
  for (const d of cases) {
    const td = delegationTypedData(d);
    // JSON-able, as eth_signTypedData_v4 needs.
    assert.deepEqual(JSON.parse(JSON.stringify(td)), td);
    assert.equal(`0x${toHex(delegationDigest(d))}`, hashTypedData(viemTd(td)));
    const ours = signDelegation(d, OWNER_EVM_KEY);
    const viemSig = await owner.signTypedData(viemTd(td));
    assert.equal(`0x${toHex(ours.signature)}`, viemSig);
    assert.equal(recoverDelegationSigner(ours), OWNER_ADDRESS);
    assert.equal(await recoverTypedDataAddress({ ...viemTd(td), signature: viemSig }), OWNER_ADDRESS);
    // A wallet's answer wraps into the same delegation.
    assert.deepEqual(delegationFromWalletSignature(d, viemSig), ours);
  }
});

test('typed data names the documented domain and type', () => {
  const td = delegationTypedData(unsigned);
  assert.deepEqual(td.domain, { name: 'DDC', version: '1', chainId: CHAIN_ID });
  assert.equal(td.primaryType, 'Delegation');
  assert.deepEqual(td.types.Delegation.map((f) => `${f.type} ${f.name}`), ['address account', 'bytes32 signingKey', 'uint64 notBefore', 'uint64 expiry']);
  assert.equal(td.message.account, OWNER_ADDRESS);
  assert.equal(td.message.signingKey, `0x${toHex(ownerKey.publicKey)}`);
});

test('every signed field matters: a changed field no longer recovers to the account', () => {
  const d = signDelegation(unsigned, OWNER_EVM_KEY);
  const changed: Delegation[] = [
    { ...d, signingKey: alice.publicKey },
    { ...d, notBefore: d.notBefore + 1 },
    { ...d, expiry: d.expiry + 1 },
    { ...d, chainId: 1 },
    { ...d, account: OTHER_ADDRESS },
  ];
  for (const c of changed) assert.equal(codeOf(() => recoverDelegationSigner(c)), 'DDC_SIGNATURE_INVALID');
});

test('wallet signatures with v = 0/1 are normalized; malformed, high-S and foreign signatures are refused', () => {
  const d = signDelegation(unsigned, OWNER_EVM_KEY);
  const raw = Uint8Array.from(d.signature);
  raw[64] = raw[64]! - 27;
  assert.deepEqual(delegationFromWalletSignature(unsigned, `0x${toHex(raw)}`).signature, d.signature);
  assert.equal(codeOf(() => delegationFromWalletSignature(unsigned, '0x1234')), 'DDC_SIGNATURE_INVALID');
  // The malleable twin (n - s, flipped v) recovers the same key but is refused (EIP-2).
  const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
  const s = BigInt(`0x${toHex(d.signature.subarray(32, 64))}`);
  const twin = Uint8Array.from(d.signature);
  twin.set(Uint8Array.from((n - s).toString(16).padStart(64, '0').match(/../g)!.map((b) => parseInt(b, 16))), 32);
  twin[64] = twin[64] === 27 ? 28 : 27;
  assert.equal(codeOf(() => recoverDelegationSigner({ ...d, signature: twin })), 'DDC_SIGNATURE_INVALID');
  const badV = Uint8Array.from(d.signature);
  badV[64] = 29;
  assert.equal(codeOf(() => recoverDelegationSigner({ ...d, signature: badV })), 'DDC_SIGNATURE_INVALID');
  assert.equal(codeOf(() => recoverDelegationSigner({ ...d, signature: new Uint8Array(65) })), 'DDC_SIGNATURE_INVALID');
  assert.equal(codeOf(() => recoverDelegationSigner({ ...d, signature: d.signature.subarray(0, 64) })), 'DDC_SIGNATURE_INVALID');
  // Signed by another account's key while naming the owner: refused at signing and at recovery.
  assert.equal(codeOf(() => signDelegation(unsigned, OTHER_EVM_KEY)), 'DDC_KEY_INVALID');
  const foreign = signDelegation({ ...unsigned, account: OTHER_ADDRESS }, OTHER_EVM_KEY);
  assert.equal(codeOf(() => recoverDelegationSigner({ ...foreign, account: OWNER_ADDRESS })), 'DDC_SIGNATURE_INVALID');
});

test('out-of-range fields are refused with DDC_INVALID_ARGUMENT', () => {
  const bad = [
    { ...unsigned, account: '0x1234' as `0x${string}` },
    { ...unsigned, signingKey: new Uint8Array(31) },
    { ...unsigned, notBefore: -1 },
    { ...unsigned, expiry: 1.5 },
    { ...unsigned, notBefore: 10, expiry: 9 },
    { ...unsigned, chainId: 0 },
  ];
  for (const d of bad) assert.equal(codeOf(() => delegationDigest(d)), 'DDC_INVALID_ARGUMENT');
});
