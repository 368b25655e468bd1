/**
 * An in-process stand-in for a cluster, for the SDK's objects tests: shards in memory behind
 * the Transport interface, and the record routes behind a fetch function. It checks what a
 * node checks that matters to the SDK: signed requests, token chains (against a fake ledger
 * view: one owner, a revocation set), record signatures and rights, purges.
 */
import {
  DdcError, decodeRecord, decodeShardHeader, decodeToken, listPage, newestRecord, parseSignedRequest, verifyTokenChain,
  type ObjectRecord, type TokenLedgerView, type TokenOp,
} from '@ddc/core';
import type { PieceShardInfo, Transport } from '../src/transport/types.js';

export const CHAIN_ID = 31337;

export interface FakeNode {
  id: string;
  url: string;
  zone: string;
  down: boolean;
  shards: Map<string, Uint8Array>;
  /** key -> version -> record */
  records: Map<string, Map<string, ObjectRecord>>;
  purged: Set<string>;
  posts: number;
}

export class FakeCluster {
  readonly nodes: FakeNode[];
  readonly revoked = new Set<string>();
  readonly ledger: TokenLedgerView;

  constructor(count: number, readonly owner: `0x${string}`, readonly publicBuckets = new Set<number>()) {
    this.nodes = Array.from({ length: count }, (_, i) => ({
      id: `node-${i + 1}`, url: `http://fake-${i + 1}`, zone: `zone-${i % 3}`, down: false, shards: new Map(), records: new Map(), purged: new Set(), posts: 0,
    }));
    this.ledger = { chainId: CHAIN_ID, bucketOwner: async () => this.owner, isRevoked: (_b, id) => this.revoked.has(id) };
  }

  descriptor(k = 2, m = 2) {
    return { version: 1, clusterId: 'fake', k, m, replicationThreshold: 1024, nodes: this.nodes.map((n) => ({ id: n.id, url: n.url, zone: n.zone })) };
  }

  node(url: string): FakeNode {
    const n = this.nodes.find((x) => url.startsWith(x.url));
    if (!n) throw new Error(`no fake node at ${url}`);
    if (n.down) throw new DdcError('DDC_NODE_UNAVAILABLE', `${n.id} is down`);
    return n;
  }

  transport(): Transport {
    return {
      putShard: async (baseUrl, id, bytes) => {
        const n = this.node(baseUrl);
        const created = !n.shards.has(id);
        n.shards.set(id, Uint8Array.from(bytes));
        return { created };
      },
      deleteShard: async (baseUrl, id) => {
        if (!this.node(baseUrl).shards.delete(id)) throw new DdcError('DDC_SHARD_NOT_FOUND', `no shard ${id}`);
      },
      getPieceShard: async (baseUrl, pieceCid, index) => {
        for (const bytes of this.node(baseUrl).shards.values()) {
          const { header } = decodeShardHeader(bytes);
          if (header.pieceCid.toString() === pieceCid && header.index === index) return bytes;
        }
        throw new DdcError('DDC_SHARD_NOT_FOUND', `no shard ${index} of ${pieceCid}`);
      },
      listPiece: async (baseUrl, pieceCid) => {
        const out: PieceShardInfo[] = [];
        for (const [id, bytes] of this.node(baseUrl).shards) {
          const { header } = decodeShardHeader(bytes);
          if (header.pieceCid.toString() === pieceCid) out.push({ id, index: header.index, k: header.k, m: header.m, length: bytes.length });
        }
        return out.sort((a, b) => a.index - b.index);
      },
    };
  }

  private async authorize(headers: Record<string, string>, method: string, path: string, bucket: number, op: TokenOp, key: string, write: boolean): Promise<void> {
    const signed = parseSignedRequest(headers, method, path);
    if (!write && this.publicBuckets.has(bucket)) return;
    if (!signed) throw new DdcError('DDC_UNAUTHENTICATED', `${method} ${path} must be signed`);
    if (write) return; // a record's own token decides
    if (!signed.token) throw new DdcError('DDC_TOKEN_REQUIRED', 'a token is needed');
    await verifyTokenChain(signed.token, { bucket, op, key, requester: signed.key }, this.ledger);
  }

  private store(n: FakeNode, r: ObjectRecord): void {
    const id = `${r.key}\0${r.version}`;
    if (n.purged.has(id)) return;
    let versions = n.records.get(r.key);
    if (!versions) n.records.set(r.key, (versions = new Map()));
    if (r.purges !== null) {
      versions.delete(r.purges);
      n.purged.add(`${r.key}\0${r.purges}`);
    }
    if (!versions.has(r.version)) versions.set(r.version, r);
  }

  /** The record routes of one node, as fetch. */
  fetch = async (url: string, init: RequestInit): Promise<Response> => {
    let n: FakeNode;
    try {
      n = this.node(url);
    } catch (e) {
      throw new TypeError(`fetch failed: ${(e as Error).message}`);
    }
    const u = new URL(url);
    const path = `${u.pathname}${u.search}`;
    const method = init.method ?? 'GET';
    const headers = (init.headers ?? {}) as Record<string, string>;
    const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    try {
      const shard = /^\/v1\/shards\/([0-9a-f]{64})$/.exec(u.pathname);
      if (shard && method === 'DELETE') {
        const signed = parseSignedRequest(headers, method, path);
        if (!signed?.token) throw new DdcError('DDC_TOKEN_REQUIRED', 'deleting a shard needs a token');
        await verifyTokenChain(signed.token, { bucket: signed.token.bucket, op: 'delete', key: signed.token.prefix, requester: signed.key }, this.ledger);
        if (!n.shards.delete(shard[1]!)) throw new DdcError('DDC_SHARD_NOT_FOUND', 'no such shard');
        return new Response(null, { status: 204 });
      }
      const m = /^\/v1\/buckets\/(\d+)\/records(?:\/([^/?]+))?$/.exec(u.pathname);
      if (!m) throw new DdcError('DDC_NOT_FOUND', `no route ${u.pathname}`);
      const bucket = Number(m[1]);
      if (method === 'POST') {
        await this.authorize(headers, method, path, bucket, 'put', '', true);
        const r = decodeRecord(new Uint8Array(init.body as Uint8Array));
        await verifyTokenChain(decodeToken(r.token), { bucket, op: r.cid === null ? 'delete' : 'put', key: r.key, requester: r.writer }, this.ledger, r.time / 1000);
        n.posts++;
        this.store(n, r);
        return json(201, { created: true });
      }
      if (m[2] === undefined) {
        const prefix = u.searchParams.get('prefix') ?? '';
        await this.authorize(headers, method, path, bucket, 'list', prefix, false);
        const latest = [...n.records.values()].map((v) => newestRecord(v.values())).filter((r): r is ObjectRecord => r !== null);
        latest.sort((a, b) => (Buffer.compare(Buffer.from(a.key), Buffer.from(b.key))));
        const page = listPage(latest, { prefix, delimiter: u.searchParams.get('delimiter') ?? '', after: u.searchParams.get('after') || null, maxKeys: Number(u.searchParams.get('limit') ?? 1000), includeDeleted: true });
        return json(200, { records: page.entries.map((r) => Buffer.from(r.bytes).toString('base64')), commonPrefixes: page.commonPrefixes, next: page.nextToken });
      }
      const key = decodeURIComponent(m[2]);
      await this.authorize(headers, method, path, bucket, 'get', key, false);
      const versions = [...(n.records.get(key)?.values() ?? [])];
      const noKey = () => json(404, { code: 'DDC_NO_SUCH_KEY', message: `no ${key}` });
      if (u.searchParams.get('versions') === '1') return versions.length ? json(200, { records: versions.map((r) => Buffer.from(r.bytes).toString('base64')) }) : noKey();
      const v = u.searchParams.get('version');
      const r = v ? versions.find((x) => x.version === v && x.purges === null) : newestRecord(versions);
      return r ? new Response(r.bytes as BodyInit, { status: 200, headers: { 'content-type': 'application/vnd.ddc.record' } }) : noKey();
    } catch (e) {
      if (e instanceof DdcError) return json(e.status, e.toJSON());
      throw e;
    }
  };
}
