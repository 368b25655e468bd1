/**
 * Who a bucket handle acts as, and with which token (docs/ACCESS.md "Capability tokens v1").
 *
 * - The owner (keys, no token) signs a delegation with its ledger key (or uses one a wallet
 *   signed) and mints a self-issued root token with every operation, cached until shortly
 *   before it expires.
 * - A holder of a token (keys or not) uses that token; its audience must be the key that
 *   signs the requests (keys.signing, or the client's identity without keys).
 *
 * Shard PUTs go through DdcClient.put, signed by the client's identity: when that is not
 * the handle's key, the handle issues (owner) or delegates (a token that allows it) a
 * put-only token to the client's identity.
 */
import {
  DdcError, delegateToken, equalBytes, issueRootToken, signDelegation, tokenFromText, toHex,
  type CapabilityToken, type Delegation, type Ed25519KeyPair, type TokenOp,
} from '@ddc/core';
import { requestSigner, type RequestSigner } from '../request-signer.js';
import type { BucketKeys } from './types.js';

export const ALL_OPS: TokenOp[] = ['admin', 'delete', 'get', 'list', 'put'];
/** Lifetime of the owner's self-issued tokens. */
export const OWNER_TOKEN_SECONDS = 3600;
/** A cached token is replaced this long before it expires. */
const RENEW_BEFORE_SECONDS = 300;
/** notBefore this far in the past, so nodes with a clock behind ours accept a fresh token. */
const CLOCK_SLACK_SECONDS = 300;

export interface CredentialsInput {
  bucket: number;
  /** The key DdcClient signs shard PUTs with. */
  clientIdentity: Ed25519KeyPair;
  keys?: BucketKeys | undefined;
  token?: CapabilityToken | string | undefined;
  /** The owner's delegation when a wallet signed it (requestDelegation); otherwise keys.evm signs one. */
  delegation?: Delegation | undefined;
  chainId?: number | undefined;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

export function parseToken(token: CapabilityToken | string): CapabilityToken {
  return typeof token === 'string' ? tokenFromText(token.trim()) : token;
}

export class BucketCredentials {
  /** The key that signs record requests and records; undefined for an anonymous reader. */
  readonly requester: Ed25519KeyPair | undefined;
  readonly signer: RequestSigner | undefined;
  readonly isOwner: boolean;
  private readonly given: CapabilityToken | undefined;
  private cached: CapabilityToken | undefined;
  private cachedShard: CapabilityToken | undefined;

  constructor(private readonly input: CredentialsInput) {
    this.given = input.token === undefined ? undefined : parseToken(input.token);
    this.isOwner = input.keys !== undefined && this.given === undefined;
    this.requester = input.keys?.signing ?? (this.given ? input.clientIdentity : undefined);
    this.signer = this.requester ? requestSigner(this.requester) : undefined;
    if (this.given) {
      if (this.given.bucket !== input.bucket) {
        throw new DdcError('DDC_TOKEN_WRONG_BUCKET', `the token is for bucket ${this.given.bucket}, not ${input.bucket}`, { hint: 'Open the bucket the token names, or ask for a token of this one' });
      }
      if (!equalBytes(this.given.audience, this.requester!.publicKey)) {
        throw new DdcError('DDC_TOKEN_AUDIENCE', `the token is for key ${toHex(this.given.audience).slice(0, 16)}…, not for the key that signs (${toHex(this.requester!.publicKey).slice(0, 16)}…)`, {
          hint: input.keys ? 'Pass the keys of the identity the token was shared with' : 'Pass keys (deriveUserKeys of your mnemonic), or create the client with identity: the token\'s audience key',
        });
      }
    }
  }

  get keys(): BucketKeys | undefined {
    return this.input.keys;
  }

  /** The chain id delegations are made for. */
  chainId(): number {
    const id = this.input.chainId ?? this.input.delegation?.chainId;
    if (id === undefined) {
      throw new DdcError('DDC_INVALID_ARGUMENT', 'the owner\'s token needs the ledger\'s chain id', { hint: 'Pass ledger (or chainId) to client.bucket(id, { keys, ledger })' });
    }
    return id;
  }

  /**
   * A delegation of the owner's signing key valid from now until at least `until` (unix
   * seconds): signed here with keys.evm, or the wallet's when it covers that time.
   */
  delegation(until: number): Delegation {
    const keys = this.requireOwner('issue tokens');
    const given = this.input.delegation;
    if (given) {
      if (!equalBytes(given.signingKey, keys.signing.publicKey)) throw new DdcError('DDC_INVALID_ARGUMENT', 'the delegation is for another signing key than keys.signing', { hint: 'Request the delegation for keys.signing.publicKey' });
      if (given.expiry < until) {
        throw new DdcError('DDC_TOKEN_EXPIRED', `the wallet's delegation expires at ${given.expiry}, before ${until}`, { hint: 'Request a new delegation (requestDelegation) with a later expiry' });
      }
      return given;
    }
    if (!keys.evm) {
      throw new DdcError('DDC_INVALID_ARGUMENT', 'the owner\'s token needs a delegation: keys without evm and no wallet delegation', { hint: 'Pass delegation: await requestDelegation(wallet, { account, signingKey: keys.signing.publicKey, expiry, chainId }), or keys with evm (deriveUserKeys)' });
    }
    const now = nowSeconds();
    return signDelegation({ account: keys.evm.address, signingKey: keys.signing.publicKey, notBefore: now - CLOCK_SLACK_SECONDS, expiry: until, chainId: this.chainId() }, keys.evm.privateKey);
  }

  private requireOwner(what: string): BucketKeys {
    if (!this.isOwner || !this.input.keys) {
      throw new DdcError('DDC_TOKEN_NOT_OWNER', `only the bucket owner can ${what}`, { hint: 'Open the bucket with the owner\'s keys and no token' });
    }
    return this.input.keys;
  }

  private ownerToken(audience: Uint8Array, ops: TokenOp[], prefix = '', expiry?: number, mayDelegate = true): CapabilityToken {
    const keys = this.requireOwner('issue tokens');
    const now = nowSeconds();
    const until = expiry ?? Math.min(now + OWNER_TOKEN_SECONDS, this.input.delegation?.expiry ?? Infinity);
    const delegation = this.delegation(until);
    return issueRootToken({ signing: keys.signing, delegation, audience, bucket: this.input.bucket, ops, prefix, notBefore: Math.max(delegation.notBefore, now - CLOCK_SLACK_SECONDS), expiry: until, mayDelegate });
  }

  private fresh(t: CapabilityToken | undefined): boolean {
    return t !== undefined && t.expiry - nowSeconds() > RENEW_BEFORE_SECONDS;
  }

  /** The token for the handle's own requests and records; undefined for an anonymous reader. */
  token(): CapabilityToken | undefined {
    if (this.given) return this.given;
    if (!this.isOwner) return undefined;
    if (!this.fresh(this.cached)) this.cached = this.ownerToken(this.input.keys!.signing.publicKey, ALL_OPS);
    return this.cached;
  }

  /** A token allowing `op`, or DDC_TOKEN_REQUIRED / DDC_TOKEN_OP_DENIED before asking any node. */
  require(op: TokenOp, key?: string): { signer: RequestSigner; token: CapabilityToken; requester: Ed25519KeyPair } {
    const token = this.token();
    if (!token || !this.signer || !this.requester) {
      throw new DdcError('DDC_TOKEN_REQUIRED', `${op} in bucket ${this.input.bucket} needs the owner's keys or a capability token`, { hint: 'Open the bucket with client.bucket(id, { keys }) as its owner, or with a token shared with you' });
    }
    if (!token.ops.includes(op)) throw new DdcError('DDC_TOKEN_OP_DENIED', `the token allows ${token.ops.join(', ')}, not ${op}`, { hint: 'Ask the bucket owner for a token with this operation' });
    if (key !== undefined && !key.startsWith(token.prefix)) {
      throw new DdcError('DDC_TOKEN_PREFIX_DENIED', `the token covers keys under ${JSON.stringify(token.prefix)}, not ${JSON.stringify(key)}`, { hint: 'Use a key under the token\'s prefix, or ask for a token that covers this one' });
    }
    return { signer: this.signer, token, requester: this.requester };
  }

  /** The token DdcClient.put sends with shards: audience = the client's identity. */
  shardToken(): CapabilityToken {
    const own = this.require('put');
    const client = this.input.clientIdentity;
    if (equalBytes(own.token.audience, client.publicKey)) return own.token;
    if (this.fresh(this.cachedShard)) return this.cachedShard!;
    if (this.isOwner) {
      this.cachedShard = this.ownerToken(client.publicKey, ['put'], '', undefined, false);
    } else if (own.token.mayDelegate) {
      this.cachedShard = delegateToken(own.token, { signing: own.requester, audience: client.publicKey, ops: ['put'] });
    } else {
      throw new DdcError('DDC_TOKEN_AUDIENCE', 'the client signs shard uploads with another key than the token\'s audience, and the token may not be delegated', {
        hint: 'Create the client with identity: keys.signing (createClient({ cluster, identity: keys.signing }))',
      });
    }
    return this.cachedShard;
  }

  /**
   * A token for `audience` (another identity): a root token from the owner, or a delegation
   * of the handle's token when that allows it.
   */
  issue(audience: Uint8Array, p: { ops: TokenOp[]; prefix: string; expiry: number }): CapabilityToken {
    if (this.isOwner) return this.ownerToken(audience, p.ops, p.prefix, p.expiry, false);
    const own = this.require(p.ops[0] ?? 'get');
    if (!own.token.mayDelegate) throw new DdcError('DDC_TOKEN_WIDENED', 'this token may not be delegated', { hint: 'Ask the bucket owner to share the object' });
    return delegateToken(own.token, { signing: own.requester, audience, ops: p.ops, prefix: p.prefix, expiry: p.expiry });
  }
}
