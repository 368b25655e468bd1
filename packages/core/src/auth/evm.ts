/**
 * The few Ethereum primitives the auth formats need (addresses, EIP-55), kept here so that
 * core stays free of viem: keccak-256 from @noble/hashes, secp256k1 from @noble/curves.
 */
import { keccak_256 } from '@noble/hashes/sha3.js';
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { fromHex, textEncoder, toHex } from '../bytes.js';

export type EvmAddress = `0x${string}`;

const ADDRESS_HEX = /^0x[0-9a-fA-F]{40}$/;

export function keccak256(data: Uint8Array): Uint8Array {
  return keccak_256(data);
}

/** EIP-55 mixed-case checksum form of a 20-byte address. */
export function checksumAddress(address: Uint8Array): EvmAddress {
  const lower = toHex(address);
  const hash = toHex(keccak_256(textEncoder.encode(lower)));
  let out = '0x';
  for (let i = 0; i < lower.length; i++) out += parseInt(hash[i]!, 16) >= 8 ? lower[i]!.toUpperCase() : lower[i]!;
  return out as EvmAddress;
}

/** The 20 bytes of `0x…` hex (any case), or undefined when it is not 40 hex digits. */
export function addressBytes(address: string): Uint8Array | undefined {
  return ADDRESS_HEX.test(address) ? fromHex(address.slice(2)) : undefined;
}

/** Last 20 bytes of keccak-256 of the uncompressed public key (without its 0x04 prefix). */
export function addressOfPublicKey(publicKey: Uint8Array): Uint8Array {
  const point = secp256k1.Point.fromBytes(publicKey).toBytes(false);
  return keccak_256(point.subarray(1)).subarray(12);
}

/** The checksummed address of a secp256k1 private key (32 bytes). */
export function evmAddressOf(privateKey: Uint8Array): EvmAddress {
  return checksumAddress(addressOfPublicKey(secp256k1.getPublicKey(privateKey, false)));
}
