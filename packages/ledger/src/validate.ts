/** Argument checks done before a call, so mistakes fail with a hint instead of an ABI encoding error. */
import { isAddress, isHex, type Address, type Hex } from 'viem';
import { DdcError } from '@ddc/core';

function invalid(message: string, hint: string): DdcError {
  return new DdcError('DDC_INVALID_ARGUMENT', message, { hint });
}

export function uintN(name: string, v: number, bits: number): number {
  if (!Number.isSafeInteger(v) || v < 0 || v >= 2 ** bits) throw invalid(`${name} must be an integer in 0..${2 ** bits - 1}, got ${v}`, `Pass a whole number that fits in uint${bits}`);
  return v;
}

export function amount(name: string, v: bigint, bits = 128): bigint {
  if (typeof v !== 'bigint' || v < 0n || v >= 1n << BigInt(bits)) throw invalid(`${name} must be a non-negative bigint below 2^${bits}, got ${String(v)}`, 'Pass token base units as a bigint (see parseCere)');
  return v;
}

export function clusterId(v: number): number {
  if (!Number.isSafeInteger(v) || v < 1 || v >= 2 ** 32) throw invalid(`cluster id must be an integer >= 1, got ${v}`, 'Cluster ids start at 1');
  return v;
}

export function bucketId(v: bigint | number): bigint {
  const b = typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : v;
  if (typeof b !== 'bigint' || b < 1n || b >= 1n << 64n) throw invalid(`bucket id must be an integer >= 1, got ${String(v)}`, 'Bucket ids start at 1');
  return b;
}

export function address(name: string, v: string): Address {
  if (!isAddress(v, { strict: false })) throw invalid(`${name} "${v}" is not an address`, 'Use 0x followed by 40 hex digits');
  return v;
}

/** A 32-byte key (an Ed25519 public key) as hex or bytes. */
export function key32(name: string, v: Hex | Uint8Array): Hex {
  const hex = typeof v === 'string' ? v : (`0x${Array.from(v, (b) => b.toString(16).padStart(2, '0')).join('')}` as Hex);
  if (!isHex(hex, { strict: true }) || hex.length !== 66) throw invalid(`${name} must be 32 bytes, got ${typeof v === 'string' ? v : `${v.length} bytes`}`, 'Pass the Ed25519 public key as 0x + 64 hex digits or 32 bytes');
  if (/^0x0{64}$/.test(hex)) throw invalid(`${name} is all zeros`, 'Pass the real public key');
  return hex.toLowerCase() as Hex;
}
