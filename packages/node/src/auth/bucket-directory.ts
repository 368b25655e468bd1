/**
 * What the node knows of buckets, read from the ledger (nodes with `chain` only): a
 * bucket's owner, cluster and visibility (cached BUCKET_TTL_MS), and the set of revoked
 * token ids, filled by polling BucketRegistry's TokenRevoked events from the deployment
 * block every `pollMs`. Implements core's TokenLedgerView for verifyTokenChain.
 *
 * If polling has failed for longer than STALE_AFTER_POLLS polls (at least STALE_MIN_MS),
 * isRevoked throws DDC_LEDGER_UNAVAILABLE: a node that cannot see revocations refuses
 * tokens rather than honour one that may have been revoked.
 */
import { DdcError, type TokenLedgerView } from '@ddc/core';
import type { Ledger } from '@ddc/ledger';
import type { Logger } from '../http/respond.js';

export interface BucketInfo {
  owner: `0x${string}`;
  isPublic: boolean;
  clusterId: number;
}

/** keccak256("TokenRevoked(uint64,bytes32)"): topic 0 of BucketRegistry's revocation event. */
export const TOKEN_REVOKED_TOPIC = '0x5cbee84540060992c2fd2052c7a8f61da875d0bcb4ff5a116af2d924e19a0894';
export const BUCKET_TTL_MS = 5000;
/** A bucket that does not exist yet may be created any moment: remember its absence briefly. */
const MISSING_TTL_MS = 1000;
/** Blocks per eth_getLogs call, under common RPC limits. */
const LOG_RANGE = 10_000n;
const STALE_AFTER_POLLS = 10;
const STALE_MIN_MS = 30_000;

export interface BucketDirectoryOptions {
  ledger: Ledger;
  /** How often new blocks are scanned for revocations, in ms. Default 1000. */
  pollMs?: number;
  log?: Logger;
}

type Cached = { at: number; value: Promise<BucketInfo> };

interface RawLog {
  topics: string[];
}

const ledgerModule = () => import('@ddc/ledger');

export class BucketDirectory implements TokenLedgerView {
  readonly chainId: number;
  private readonly ledger: Ledger;
  private readonly pollMs: number;
  private readonly log: Logger;
  private readonly cache = new Map<number, Cached>();
  private readonly revoked = new Set<string>();
  /** The next block to scan for revocations. */
  private nextBlock: bigint;
  private lastSync = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private polling: Promise<void> | undefined;
  private problem: string | undefined;
  private closed = false;

  private constructor(options: BucketDirectoryOptions) {
    this.ledger = options.ledger;
    this.chainId = options.ledger.deployment.chainId;
    this.pollMs = options.pollMs ?? 1000;
    this.log = options.log ?? (() => undefined);
    this.nextBlock = BigInt(options.ledger.deployment.deployBlock);
  }

  /** Scans the revocations so far (rejects if the chain cannot be read), then keeps polling. */
  static async open(options: BucketDirectoryOptions): Promise<BucketDirectory> {
    const d = new BucketDirectory(options);
    await d.sync();
    d.timer = setInterval(() => void d.poll(), d.pollMs);
    d.timer.unref();
    return d;
  }

  /** The bucket as the ledger has it; DDC_NO_SUCH_BUCKET if it does not exist (or was removed). */
  bucket(id: number): Promise<BucketInfo> {
    if (!Number.isSafeInteger(id) || id < 1) return Promise.reject(noSuchBucket(id));
    const now = Date.now();
    const hit = this.cache.get(id);
    if (hit && now - hit.at < BUCKET_TTL_MS) return hit.value;
    const value = this.read(id);
    this.cache.set(id, { at: now, value });
    value.catch((e: unknown) => {
      const entry = this.cache.get(id);
      if (entry?.value !== value) return;
      // Keep a "no such bucket" for a moment; forget any other failure at once.
      if (e instanceof DdcError && e.code === 'DDC_NO_SUCH_BUCKET') entry.at = now - BUCKET_TTL_MS + MISSING_TTL_MS;
      else this.cache.delete(id);
    });
    return value;
  }

  async bucketOwner(bucket: number): Promise<`0x${string}`> {
    return (await this.bucket(bucket)).owner;
  }

  isRevoked(bucket: number, tokenIdHex: string): boolean {
    const staleMs = Math.max(STALE_AFTER_POLLS * this.pollMs, STALE_MIN_MS);
    if (Date.now() - this.lastSync > staleMs) {
      throw new DdcError('DDC_LEDGER_UNAVAILABLE', `this node has not read the chain's token revocations for ${Math.round((Date.now() - this.lastSync) / 1000)} s${this.problem ? ` (${this.problem})` : ''}`, {
        hint: 'Retry later; the node refuses tokens while it cannot see revocations',
      });
    }
    return this.revoked.has(`${bucket}:${tokenIdHex.toLowerCase()}`);
  }

  private async read(id: number): Promise<BucketInfo> {
    const { getBucket } = await ledgerModule();
    try {
      const b = await getBucket(this.ledger, id);
      return { owner: b.owner, isPublic: b.isPublic, clusterId: Number(b.clusterId) };
    } catch (e) {
      if (e instanceof DdcError && e.code === 'DDC_LEDGER_REVERT' && (e.details as { errorName?: unknown } | undefined)?.errorName === 'BucketNotFound') throw noSuchBucket(id);
      throw e;
    }
  }

  private poll(): Promise<void> {
    if (this.polling || this.closed) return this.polling ?? Promise.resolve();
    this.polling = this.sync()
      .then(() => {
        if (this.problem) this.log({ event: 'revocations-resumed' });
        this.problem = undefined;
      })
      .catch((e: unknown) => {
        const message = e instanceof Error ? e.message : String(e);
        if (this.problem !== message) this.log({ event: 'revocations-error', message });
        this.problem = message;
      })
      .finally(() => (this.polling = undefined));
    return this.polling;
  }

  /** Reads TokenRevoked events from nextBlock up to the latest block. */
  private async sync(): Promise<void> {
    const client = this.ledger.publicClient;
    const latest = await client.getBlockNumber({ cacheTime: 0 });
    while (this.nextBlock <= latest) {
      const to = this.nextBlock + LOG_RANGE - 1n < latest ? this.nextBlock + LOG_RANGE - 1n : latest;
      const logs = (await client.request({
        method: 'eth_getLogs',
        params: [{ address: this.ledger.deployment.contracts.buckets, fromBlock: `0x${this.nextBlock.toString(16)}`, toBlock: `0x${to.toString(16)}`, topics: [TOKEN_REVOKED_TOPIC] }],
      } as never)) as RawLog[];
      for (const l of logs) {
        const [, bucketTopic, idTopic] = l.topics;
        if (!bucketTopic || !idTopic) continue;
        const key = `${BigInt(bucketTopic).toString()}:${idTopic.slice(2).toLowerCase()}`;
        if (this.lastSync > 0 && !this.revoked.has(key)) this.log({ event: 'token-revoked', bucket: BigInt(bucketTopic).toString(), tokenId: idTopic.slice(2).toLowerCase() });
        this.revoked.add(key);
      }
      this.nextBlock = to + 1n;
    }
    this.lastSync = Date.now();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.polling;
  }
}

function noSuchBucket(id: number): DdcError {
  return new DdcError('DDC_NO_SUCH_BUCKET', `bucket ${id} does not exist on the ledger (or was removed)`, { hint: 'Check the bucket id with `ddc bucket ls`' });
}
