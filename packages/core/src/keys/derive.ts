/**
 * A user's keys from one recovery phrase (docs/ACCESS.md "Keys"): the ledger account
 * (secp256k1, BIP32/BIP44, as every Ethereum wallet derives it), the data-plane signing key
 * (Ed25519) and the encryption key (X25519), both by SLIP-0010.
 */
import { mnemonicToSeedSync } from '@scure/bip39';
import { HDKey } from '@scure/bip32';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { DdcError } from '../errors.js';
import { textEncoder, toHex } from '../bytes.js';
import { keyPairFromSecret, type Ed25519KeyPair } from '../identity/keys.js';
import { assertMnemonic } from './mnemonic.js';
import { slip10DeriveEd25519 } from './slip10.js';

export const DERIVATION_PATHS = {
  evm: "m/44'/60'/0'/0/0",
  signing: "m/44'/60'/0'/1'/0'",
  encryption: "m/44'/60'/0'/2'/0'",
} as const;

export type EvmAddress = `0x${string}`;

export interface X25519KeyPair {
  /** The 32-byte X25519 secret (clamped when used). Keep it secret. */
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

export interface UserKeys {
  evm: { privateKey: Uint8Array; address: EvmAddress };
  signing: Ed25519KeyPair;
  encryption: X25519KeyPair;
}

/** EIP-55: a hex letter is upper case when the matching nibble of keccak(lower-case hex) is >= 8. */
export function toChecksumAddress(hex: string): EvmAddress {
  if (typeof hex !== 'string' || !/^(0x)?[0-9a-fA-F]{40}$/.test(hex)) {
    throw new DdcError('DDC_INVALID_ARGUMENT', `${JSON.stringify(hex)?.slice(0, 60)} is not a 20-byte address`, { hint: 'An address is 0x and 40 hex digits' });
  }
  const lower = hex.replace(/^0x/, '').toLowerCase();
  const hash = toHex(keccak_256(textEncoder.encode(lower)));
  let out = '0x';
  for (let i = 0; i < 40; i++) out += parseInt(hash[i]!, 16) >= 8 ? lower[i]!.toUpperCase() : lower[i]!;
  return out as EvmAddress;
}

export function evmAddressFromPublicKey(publicKey: Uint8Array): EvmAddress {
  const point = secp256k1.Point.fromBytes(publicKey); // compressed or not; throws off the curve
  const uncompressed = point.toBytes(false);
  return toChecksumAddress(toHex(keccak_256(uncompressed.subarray(1)).subarray(12)));
}

export function evmAddressFromPrivateKey(privateKey: Uint8Array): EvmAddress {
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== 32 || !secp256k1.utils.isValidSecretKey(privateKey)) {
    throw new DdcError('DDC_KEY_INVALID', 'a secp256k1 private key is 32 bytes in [1, n)', { hint: 'Pass the raw 32-byte key' });
  }
  return evmAddressFromPublicKey(secp256k1.getPublicKey(privateKey, false));
}

/** Derives all three keys. `bip39Passphrase` is BIP39's optional "25th word" (default none). */
export function deriveUserKeys(mnemonic: string, bip39Passphrase = ''): UserKeys {
  const seed = mnemonicToSeedSync(assertMnemonic(mnemonic), bip39Passphrase);
  try {
    const evmKey = HDKey.fromMasterSeed(seed).derive(DERIVATION_PATHS.evm).privateKey;
    if (!evmKey) throw new DdcError('DDC_INTERNAL', 'BIP32 derivation gave no private key');
    const privateKey = Uint8Array.from(evmKey);
    const signingNode = slip10DeriveEd25519(seed, DERIVATION_PATHS.signing);
    const encryptionNode = slip10DeriveEd25519(seed, DERIVATION_PATHS.encryption);
    const signing = keyPairFromSecret(signingNode.key);
    signingNode.key.fill(0);
    return {
      evm: { privateKey, address: evmAddressFromPrivateKey(privateKey) },
      signing,
      encryption: { secretKey: encryptionNode.key, publicKey: x25519.getPublicKey(encryptionNode.key) },
    };
  } finally {
    seed.fill(0);
  }
}
