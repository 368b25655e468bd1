// Fixed keys and helpers shared by the auth tests (and the inputs of vectors/tokens.json).
import * as dagCbor from '@ipld/dag-cbor';
import {
  DdcError, concatBytes, fromHex, keyPairFromSecret, signBytes, signDelegation, textEncoder, toHex, type Delegation, type Ed25519KeyPair,
  type TokenLedgerView,
} from '../src/index.js';

export const CHAIN_ID = 31337;
/** anvil's account 0 (the dev mnemonic's ledger account): the bucket owner. */
export const OWNER_EVM_KEY = fromHex('ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80');
export const OWNER_ADDRESS = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266' as const;
/** anvil's account 1: someone who owns nothing here. */
export const OTHER_EVM_KEY = fromHex('59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
export const OTHER_ADDRESS = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' as const;

const seed = (b: number) => Uint8Array.from({ length: 32 }, (_, i) => (b + i) & 0xff);
export const ownerKey = keyPairFromSecret(seed(0x10));
export const alice = keyPairFromSecret(seed(0x40));
export const bob = keyPairFromSecret(seed(0x70));
export const carol = keyPairFromSecret(seed(0xa0));
export const mallory = keyPairFromSecret(seed(0xd0));

export const nonceOf = (b: number) => Uint8Array.from({ length: 16 }, (_, i) => (b * 16 + i) & 0xff);

export const T0 = 1_750_000_000; // the tests' "now", unix seconds
export const BUCKET = 42;

export function ownerDelegation(key = ownerKey.publicKey, evmKey = OWNER_EVM_KEY, account: `0x${string}` = OWNER_ADDRESS): Delegation {
  return signDelegation({ account, signingKey: key, notBefore: T0 - 3600, expiry: T0 + 365 * 86400, chainId: CHAIN_ID }, evmKey);
}

/** A ledger where OWNER_ADDRESS owns BUCKET and 43; `revoked` holds token ids. */
export function fakeLedger(revoked = new Set<string>()): TokenLedgerView & { revoked: Set<string>; calls: number } {
  const owners = new Map<number, `0x${string}`>([[BUCKET, OWNER_ADDRESS], [43, OWNER_ADDRESS], [44, OTHER_ADDRESS]]);
  const view = {
    chainId: CHAIN_ID,
    revoked,
    calls: 0,
    async bucketOwner(bucket: number) {
      view.calls++;
      const o = owners.get(bucket);
      if (!o) throw new DdcError('DDC_NO_SUCH_BUCKET', `no bucket ${bucket}`);
      return o;
    },
    isRevoked: (bucket: number, id: string) => revoked.has(`${bucket}:${id}`),
  };
  return view;
}

export const hex = toHex;

/** The DAG-CBOR map inside a token's bytes, to edit by hand. */
export function tokenMap(bytes: Uint8Array): Record<string, unknown> {
  return dagCbor.decode(bytes.subarray(5)) as Record<string, unknown>;
}

/** Token bytes from a hand-made map; re-signed by `signer` when given (bypasses every check of the builders). */
export function rawToken(map: Record<string, unknown>, signer?: Ed25519KeyPair): Uint8Array {
  const m = { ...map };
  if (signer) {
    delete m.sig;
    m.sig = signBytes(concatBytes([textEncoder.encode('ddc-token-v1\0'), dagCbor.encode(m)]), signer.secretKey);
  }
  return concatBytes([textEncoder.encode('DDCT'), Uint8Array.of(1), dagCbor.encode(m)]);
}
