/**
 * EIP-712 delegations: a wallet signs once (eth_signTypedData_v4) that an Ed25519 data-plane
 * key may act for its account between notBefore and expiry (unix seconds) on one chain.
 * The digest is computed here (keccak-256 from @noble/hashes) so that core needs no viem;
 * tests check it byte for byte against viem's hashTypedData and signTypedData.
 *
 * Signatures are 65 bytes r || s || v with v = 27 or 28 (what wallets return); low-S only
 * (EIP-2), so one delegation has one signature.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { DdcError } from '../errors.js';
import { concatBytes, fromHex, textEncoder, toHex } from '../bytes.js';
import { addressBytes, addressOfPublicKey, checksumAddress, keccak256, type EvmAddress } from './evm.js';

export interface Delegation {
  /** The ledger account (EIP-55 or lowercase hex) that lends its authority. */
  account: `0x${string}`;
  /** The Ed25519 public key (32 bytes) allowed to act for the account. */
  signingKey: Uint8Array;
  notBefore: number;
  expiry: number;
  chainId: number;
  /** 65 bytes: r || s || v (v = 27 or 28). */
  signature: Uint8Array;
}

export type UnsignedDelegation = Omit<Delegation, 'signature'>;

export const DELEGATION_DOMAIN_NAME = 'DDC';
export const DELEGATION_DOMAIN_VERSION = '1';
export const DELEGATION_SIGNATURE_SIZE = 65;

const DOMAIN_TYPE = 'EIP712Domain(string name,string version,uint256 chainId)';
const DELEGATION_TYPE = 'Delegation(address account,bytes32 signingKey,uint64 notBefore,uint64 expiry)';
const DOMAIN_TYPEHASH = keccak256(textEncoder.encode(DOMAIN_TYPE));
const DELEGATION_TYPEHASH = keccak256(textEncoder.encode(DELEGATION_TYPE));
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

export interface DelegationTypedData {
  domain: { name: string; version: string; chainId: number };
  types: {
    EIP712Domain: [{ name: 'name'; type: 'string' }, { name: 'version'; type: 'string' }, { name: 'chainId'; type: 'uint256' }];
    Delegation: [{ name: 'account'; type: 'address' }, { name: 'signingKey'; type: 'bytes32' }, { name: 'notBefore'; type: 'uint64' }, { name: 'expiry'; type: 'uint64' }];
  };
  primaryType: 'Delegation';
  message: { account: `0x${string}`; signingKey: `0x${string}`; notBefore: number; expiry: number };
}

function invalidArgument(what: string): DdcError {
  return new DdcError('DDC_INVALID_ARGUMENT', `invalid delegation: ${what}`, { hint: 'A delegation names a 0x account, a 32-byte Ed25519 key, integer unix-second times (notBefore <= expiry) and a positive chain id' });
}

function badSignature(what: string): DdcError {
  return new DdcError('DDC_SIGNATURE_INVALID', `the delegation's signature is invalid: ${what}`, { hint: 'Sign the delegation again with the account\'s wallet (eth_signTypedData_v4 over delegationTypedData)' });
}

/** Throws DDC_INVALID_ARGUMENT unless every field is in range; returns the account's 20 bytes. */
export function checkDelegationFields(d: UnsignedDelegation): Uint8Array {
  const account = typeof d.account === 'string' ? addressBytes(d.account) : undefined;
  if (!account) throw invalidArgument(`account ${JSON.stringify(d.account)?.slice(0, 60)} is not 0x and 40 hex digits`);
  if (!(d.signingKey instanceof Uint8Array) || d.signingKey.length !== 32) throw invalidArgument('the signing key is not 32 bytes');
  for (const [name, v] of [['notBefore', d.notBefore], ['expiry', d.expiry]] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw invalidArgument(`${name} ${String(v)} is not a non-negative integer (unix seconds)`);
  }
  if (d.notBefore > d.expiry) throw invalidArgument(`notBefore ${d.notBefore} is after expiry ${d.expiry}`);
  if (!Number.isSafeInteger(d.chainId) || d.chainId <= 0) throw invalidArgument(`chain id ${String(d.chainId)}`);
  return account;
}

/** The JSON-able typed data a browser wallet signs with eth_signTypedData_v4. */
export function delegationTypedData(d: UnsignedDelegation): DelegationTypedData {
  const account = checkDelegationFields(d);
  return {
    domain: { name: DELEGATION_DOMAIN_NAME, version: DELEGATION_DOMAIN_VERSION, chainId: d.chainId },
    types: {
      EIP712Domain: [
        { name: 'name', type: 'string' },
        { name: 'version', type: 'string' },
        { name: 'chainId', type: 'uint256' },
      ],
      Delegation: [
        { name: 'account', type: 'address' },
        { name: 'signingKey', type: 'bytes32' },
        { name: 'notBefore', type: 'uint64' },
        { name: 'expiry', type: 'uint64' },
      ],
    },
    primaryType: 'Delegation',
    message: { account: checksumAddress(account), signingKey: `0x${toHex(d.signingKey)}`, notBefore: d.notBefore, expiry: d.expiry },
  };
}

function word(n: number | Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  if (typeof n === 'number') new DataView(out.buffer).setBigUint64(24, BigInt(n));
  else out.set(n, 32 - n.length);
  return out;
}

/** The 32-byte EIP-712 hash: keccak256(0x1901 || domainSeparator || hashStruct(message)). */
export function delegationDigest(d: UnsignedDelegation): Uint8Array {
  const account = checkDelegationFields(d);
  const domain = keccak256(concatBytes([
    DOMAIN_TYPEHASH,
    keccak256(textEncoder.encode(DELEGATION_DOMAIN_NAME)),
    keccak256(textEncoder.encode(DELEGATION_DOMAIN_VERSION)),
    word(d.chainId),
  ]));
  const struct = keccak256(concatBytes([DELEGATION_TYPEHASH, word(account), d.signingKey, word(d.notBefore), word(d.expiry)]));
  return keccak256(concatBytes([Uint8Array.of(0x19, 0x01), domain, struct]));
}

function unsigned(d: UnsignedDelegation): UnsignedDelegation {
  return { account: d.account, signingKey: Uint8Array.from(d.signingKey), notBefore: d.notBefore, expiry: d.expiry, chainId: d.chainId };
}

/** Signs with the account's secp256k1 private key (32 bytes); RFC 6979, so deterministic. */
export function signDelegation(d: UnsignedDelegation, evmPrivateKey: Uint8Array): Delegation {
  const digest = delegationDigest(d);
  let rec: Uint8Array;
  try {
    rec = secp256k1.sign(digest, evmPrivateKey, { prehash: false, format: 'recovered' });
  } catch (cause) {
    throw new DdcError('DDC_KEY_INVALID', 'the EVM private key is not a valid secp256k1 secret key', { hint: 'Pass the 32-byte private key of the ledger account', cause });
  }
  const signature = concatBytes([rec.subarray(1), Uint8Array.of(27 + rec[0]!)]);
  const out: Delegation = { ...unsigned(d), signature };
  let signer: string;
  try {
    signer = recoverDelegationSigner(out);
  } catch {
    signer = '';
  }
  if (signer.toLowerCase() !== d.account.toLowerCase()) {
    throw new DdcError('DDC_KEY_INVALID', `the private key is not the key of account ${d.account}`, { hint: 'Sign with the private key of the account named in the delegation' });
  }
  return out;
}

/** Wraps a wallet's eth_signTypedData_v4 answer (0x + 130 hex; v = 27/28, or 0/1 from some wallets). */
export function delegationFromWalletSignature(d: UnsignedDelegation, sigHex: `0x${string}`): Delegation {
  checkDelegationFields(d);
  if (typeof sigHex !== 'string' || !/^0x[0-9a-fA-F]{130}$/.test(sigHex)) throw badSignature('not 0x and 130 hex digits');
  const signature = fromHex(sigHex.slice(2));
  if (signature[64] === 0 || signature[64] === 1) signature[64] += 27;
  return { ...unsigned(d), signature };
}

/**
 * Recovers the EIP-55 address that signed the delegation. Throws DDC_SIGNATURE_INVALID when
 * the signature is malformed, high-S, or was not made by `d.account`, so a returned address
 * is always the delegation's account.
 */
export function recoverDelegationSigner(d: Delegation): EvmAddress {
  const digest = delegationDigest(d);
  const sig = d.signature;
  if (!(sig instanceof Uint8Array) || sig.length !== DELEGATION_SIGNATURE_SIZE) throw badSignature('not 65 bytes');
  const v = sig[64]!;
  if (v !== 27 && v !== 28) throw badSignature(`v = ${v} (27 or 28 expected)`);
  const s = BigInt(`0x${toHex(sig.subarray(32, 64))}`);
  if (s > SECP256K1_N / 2n) throw badSignature('high-S signature (EIP-2)');
  let address: EvmAddress;
  try {
    const pub = secp256k1.recoverPublicKey(concatBytes([Uint8Array.of(v - 27), sig.subarray(0, 64)]), digest, { prehash: false });
    address = checksumAddress(addressOfPublicKey(pub));
  } catch (cause) {
    throw new DdcError('DDC_SIGNATURE_INVALID', 'the delegation\'s signature does not recover to a key', { hint: 'Sign the delegation again with the account\'s wallet', cause });
  }
  if (address.toLowerCase() !== d.account.toLowerCase()) throw badSignature(`it was signed by ${address}, not by ${d.account}`);
  return address;
}
