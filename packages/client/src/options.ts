/** Client options: typed, with documented defaults; unknown keys are refused. */
import { DdcError, SECRET_KEY_SIZE, PUBLIC_KEY_SIZE, equalBytes, keyPairFromSecret, type Ed25519KeyPair } from '@ddc/core';
import type { Membership } from './membership.js';
import type { Transport } from './transport/types.js';
import { DEFAULT_RETRY, type RetryOptions } from './retry.js';

export interface ClientOptions {
  /** A cluster descriptor (parsed JSON) or a Membership source. */
  cluster: unknown;
  /** Network layer; default fetch (browser) or undici (Node entry). */
  transport?: Transport;
  /**
   * Pieces uploaded at once during a put, and MiB of pieces in flight over all of this client's
   * puts together; bounds memory (about 2.5 MiB per full piece) however many puts run. Default 16:
   * with shard PUTs batched per node, 8 left the cores idle part of the time.
   */
  piecesInFlight?: number;
  /**
   * How long the shards of a put still reading its source may wait for more shards to the same
   * node, to go in one request (as Kafka's linger.ms). A source slower than the nodes otherwise
   * sends each shard alone. 0 turns it off. Default 20.
   */
  putLingerMs?: number;
  /** Blocks fetched ahead during get. Default 8. */
  readAhead?: number;
  /** Ask one more node when a piece has not arrived within this many ms. Default 300. */
  hedgeAfterMs?: number;
  /** How long a node that failed is avoided. Default 10 s. */
  nodeCooldownMs?: number;
  retry?: Partial<RetryOptions>;
  /**
   * Signs the client's requests to nodes (docs/ACCESS.md); its public key is who the nodes
   * see, and whom capability tokens must name. Default: a fresh key per client (anonymous).
   */
  identity?: Ed25519KeyPair;
  /** Verified blocks kept between reads (a gateway's edge cache); consulted before the nodes. */
  blockCache?: BlockCache;
}

/** A store of blocks by CID. Whatever `get` returns is checked against the CID before use. */
export interface BlockCache {
  get(cid: string): Promise<Uint8Array | undefined>;
  /** Called with bytes already verified against `cid`. */
  put(cid: string, bytes: Uint8Array): void;
}

export interface ResolvedOptions {
  membership: Membership;
  transport: Transport;
  piecesInFlight: number;
  putLingerMs: number;
  readAhead: number;
  hedgeAfterMs: number;
  nodeCooldownMs: number;
  retry: RetryOptions;
  identity: Ed25519KeyPair | undefined;
  blockCache: BlockCache | undefined;
}

const KEYS = ['cluster', 'transport', 'piecesInFlight', 'putLingerMs', 'readAhead', 'hedgeAfterMs', 'nodeCooldownMs', 'retry', 'identity', 'blockCache'];

function positiveInt(name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new DdcError('DDC_INVALID_CONFIG', `${name} must be a whole number >= 1, got ${String(v)}`, { hint: `Leave ${name} out to use ${fallback}` });
  }
  return v;
}

function nonNegativeInt(name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new DdcError('DDC_INVALID_CONFIG', `${name} must be a whole number >= 0, got ${String(v)}`, { hint: `Leave ${name} out to use ${fallback}` });
  }
  return v;
}

function identityOption(v: unknown): Ed25519KeyPair | undefined {
  if (v === undefined) return undefined;
  const k = v as Partial<Ed25519KeyPair> | null;
  if (!k || !(k.secretKey instanceof Uint8Array) || k.secretKey.length !== SECRET_KEY_SIZE || !(k.publicKey instanceof Uint8Array) || k.publicKey.length !== PUBLIC_KEY_SIZE) {
    throw new DdcError('DDC_INVALID_CONFIG', 'identity must be an Ed25519 key pair {secretKey, publicKey} of 32 bytes each', { hint: 'Pass keyPairFromSecret(seed) or a UserIdentity\'s signing key, or leave identity out' });
  }
  const pair = keyPairFromSecret(k.secretKey);
  if (!equalBytes(pair.publicKey, k.publicKey)) throw new DdcError('DDC_INVALID_CONFIG', 'identity.publicKey is not the public key of identity.secretKey', { hint: 'Pass keyPairFromSecret(seed)' });
  return pair;
}

export function resolveOptions(o: ClientOptions, membership: Membership, transport: Transport): ResolvedOptions {
  for (const key of Object.keys(o)) {
    if (!KEYS.includes(key)) throw new DdcError('DDC_INVALID_CONFIG', `unknown client option "${key}"`, { hint: `Allowed options: ${KEYS.join(', ')}` });
  }
  const retry = { ...DEFAULT_RETRY, ...(o.retry ?? {}) };
  positiveInt('retry.attempts', retry.attempts, DEFAULT_RETRY.attempts);
  return {
    membership,
    transport,
    piecesInFlight: positiveInt('piecesInFlight', o.piecesInFlight, 16),
    putLingerMs: nonNegativeInt('putLingerMs', o.putLingerMs, 20),
    readAhead: positiveInt('readAhead', o.readAhead, 8),
    hedgeAfterMs: positiveInt('hedgeAfterMs', o.hedgeAfterMs, 300),
    nodeCooldownMs: positiveInt('nodeCooldownMs', o.nodeCooldownMs, 10_000),
    retry,
    identity: identityOption(o.identity),
    blockCache: o.blockCache,
  };
}
