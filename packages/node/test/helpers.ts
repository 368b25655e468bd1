/** Test helpers: real nodes on port 0 in temp folders, shards from core's buildStripe, raw HTTP. */
import '@ddc/client/platform/node-crypto';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { request, type IncomingHttpHeaders } from 'node:http';
import { randomFillSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildStripe, cidOf, decodeKeyFile, generateKeyPair, sha256, signRequest, toHex, UNSIGNED_PAYLOAD, type CapabilityToken, type Ed25519KeyPair, type EncodedShard } from '@ddc/core';
import { IDENTITY_KEY_FILE, NODE_CONFIG_DEFAULTS, startNode, type NodeConfigInput, type RunningNode } from '../src/index.js';
import { flipStoredBytes } from './damage.js';

export async function tempDir(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'ddc-node-test-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export interface TestNode {
  node: RunningNode;
  dir: string;
  dataDir: string;
  /** Stops the node (if running) and removes its folder. */
  cleanup(): Promise<void>;
}

export type Overrides = Partial<Omit<NodeConfigInput, 'version' | 'dataDir'>>;

export function nodeConfig(dataDir: string, overrides: Overrides = {}): NodeConfigInput {
  return { version: 1, id: 'node-1', zone: 'zone-a', dataDir, ...overrides };
}

const silent = () => undefined;

export async function startTestNode(overrides: Overrides = {}): Promise<TestNode> {
  const dir = await tempDir();
  const dataDir = join(dir.path, 'data');
  const node = await startNode(nodeConfig(dataDir, overrides), { log: silent });
  await trustNode(node);
  return {
    node,
    dir: dir.path,
    dataDir,
    cleanup: async () => {
      await node.close();
      await dir.remove();
    },
  };
}

export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += 65536) randomFillSync(out.subarray(off, Math.min(n, off + 65536)));
  return out;
}

/** A stripe of k + m shards for a random piece of `pieceLength` bytes (payload bytes are random: the node does not check parity). */
export function makeStripe(pieceLength: number, k = 1, m = 0): EncodedShard[] {
  const piece = randomBytes(pieceLength);
  const shardLength = Math.ceil(pieceLength / k);
  const payloads = Array.from({ length: k + m }, () => randomBytes(shardLength));
  return buildStripe(cidOf(0x55, piece), pieceLength, k, m, payloads);
}

export function makeShard(pieceLength: number): EncodedShard {
  return makeStripe(pieceLength, 1, 0)[0]!;
}

/** A piece length whose k = 1 shard is above the default inlineThreshold: the node keeps it as a file. */
export const FILE_PIECE = NODE_CONFIG_DEFAULTS.inlineThreshold + 64 * 1024;

/** Flips the last byte of a stored shard where the store keeps it (file or LMDB); says which. */
export function damageStoredShard(dataDir: string, shard: EncodedShard): Promise<'file' | 'inline'> {
  return flipStoredBytes(dataDir, shard.id, shard.bytes, [shard.bytes.length - 1]);
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

// ---- signed writes (docs/ACCESS.md): every PUT, POST and DELETE a test sends is signed unless it says not to ----

interface Signer {
  audience: string;
  identity: Ed25519KeyPair;
}

const signers = new Map<string, Signer>();
/** Signs writes to nodes the tests did not register: any signer may PUT and POST (not DELETE). */
export const TEST_KEY = generateKeyPair();

/** Writes to `node` are signed with its own identity key from now on: the node takes them as a peer's. */
export async function trustNode(node: Pick<RunningNode, 'url' | 'id' | 'dataDir'>): Promise<void> {
  const identity = decodeKeyFile(await readFile(join(node.dataDir, IDENTITY_KEY_FILE)));
  signers.set(new URL(node.url).origin, { audience: node.id, identity });
}

async function signerFor(origin: string): Promise<Signer> {
  let s = signers.get(origin);
  if (!s) {
    const info = await rawRequest(`${origin}/info`, { sign: false });
    s = { audience: (JSON.parse(info.body.toString('utf8')) as { nodeId: string }).nodeId, identity: TEST_KEY };
    signers.set(origin, s);
  }
  return s;
}

export interface SignOptions {
  method: string;
  url: string;
  /** The body (its SHA-256 is signed), or undefined for a shard PUT (UNSIGNED-PAYLOAD) or no body. */
  body?: Uint8Array;
  /** Overrides the digest derived from `body`. */
  contentSha256?: string;
  identity?: Ed25519KeyPair;
  audience?: string;
  token?: CapabilityToken;
  time?: number;
  nonce?: string;
}

/** The x-ddc-* headers for one request (by default as the node's peer, or TEST_KEY for unregistered nodes). */
export async function signedHeaders(o: SignOptions): Promise<Record<string, string>> {
  const u = new URL(o.url);
  const s = o.identity && o.audience ? undefined : await signerFor(u.origin);
  const method = o.method.toUpperCase();
  const contentSha256 = o.contentSha256 !== undefined ? o.contentSha256 : o.body !== undefined ? toHex(sha256(o.body)) : method === 'PUT' ? UNSIGNED_PAYLOAD : toHex(sha256(new Uint8Array(0)));
  return signRequest({
    method,
    path: `${u.pathname}${u.search}`,
    contentSha256,
    audience: o.audience ?? s!.audience,
    signing: o.identity ?? s!.identity,
    ...(o.token ? { token: o.token } : {}),
    ...(o.time !== undefined ? { time: o.time } : {}),
    ...(o.nonce !== undefined ? { nonce: o.nonce } : {}),
  });
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export interface RawRequestOptions {
  /** Sign a PUT, POST or DELETE (default true; false sends it unsigned). */
  sign?: boolean;
  method?: string;
  headers?: Record<string, string | number>;
  /** Parts written one after another; `pauseMs` between them. */
  body?: Uint8Array | Uint8Array[];
  pauseMs?: number;
  /** Destroy the request after writing the body instead of ending it. */
  abortAfterBody?: boolean;
  agent?: import('node:http').Agent | false;
}

/** A plain node:http request, with control over Content-Length and chunking; writes are signed (see `sign`). */
export async function rawRequest(url: string, options: RawRequestOptions = {}): Promise<RawResponse> {
  const method = (options.method ?? 'GET').toUpperCase();
  let headers = options.headers ?? {};
  if (options.sign !== false && (method === 'PUT' || method === 'POST' || method === 'DELETE') && !('x-ddc-signature' in headers)) {
    const parts = options.body === undefined ? [] : Array.isArray(options.body) ? options.body : [options.body];
    // A shard PUT signs UNSIGNED-PAYLOAD; other bodies sign their digest.
    const body = method === 'PUT' ? undefined : method === 'POST' || parts.length > 0 ? concat(parts) : undefined;
    headers = { ...headers, ...(await signedHeaders({ method, url, ...(body ? { body } : {}) })) };
  }
  return send(url, options.method ?? 'GET', headers, options);
}

function send(url: string, method: string, headers: Record<string, string | number>, options: RawRequestOptions): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(url, { method, headers, agent: options.agent ?? false }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    // Once the answer has started, a failed upload of the rest (EPIPE after a refusal) is expected.
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    const parts = options.body === undefined ? [] : Array.isArray(options.body) ? options.body : [options.body];
    void (async () => {
      for (const [i, p] of parts.entries()) {
        if (i > 0 && options.pauseMs) await new Promise((r) => setTimeout(r, options.pauseMs).unref());
        if (req.destroyed || answered) break;
        req.write(p);
      }
      if (answered && !req.writableEnded) {
        req.end();
      } else if (options.abortAfterBody) {
        await new Promise((r) => setTimeout(r, 50));
        req.destroy();
      } else {
        req.end();
      }
    })();
  });
}

export function json(r: RawResponse): Record<string, unknown> {
  return JSON.parse(r.body.toString('utf8')) as Record<string, unknown>;
}

export async function putShard(url: string, shard: EncodedShard): Promise<RawResponse> {
  return rawRequest(`${url}/v1/shards/${shard.id}`, { method: 'PUT', headers: { 'content-length': shard.bytes.length }, body: shard.bytes });
}

/** Every file under the store's shards/ and tmp/ folders (relative paths). */
export async function storedFiles(dataDir: string): Promise<{ shards: string[]; tmp: string[] }> {
  const shards: string[] = [];
  const root = join(dataDir, 'shards');
  for (const d of await readdir(root)) for (const f of await readdir(join(root, d))) shards.push(`${d}/${f}`);
  return { shards, tmp: await readdir(join(dataDir, 'tmp')) };
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out waiting for a condition');
    await new Promise((r) => setTimeout(r, 10));
  }
}
