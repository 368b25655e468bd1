/**
 * A node's id in a cluster view, derived from its on-chain Ed25519 key so every client
 * and node computes the same id (placement hashes it). 96 bits of the key: short enough
 * to read in logs, too long to grind a key that collides with another node's id.
 */
import type { Hex } from 'viem';

export function nodeIdFromKey(nodeKey: Hex): string {
  return `n${nodeKey.slice(2, 26).toLowerCase()}`;
}
