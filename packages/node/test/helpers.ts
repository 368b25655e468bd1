/** Test helpers: real nodes on port 0 in temp folders, shards from core's buildStripe, raw HTTP. */
import '@ddc/client/platform/node-crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { request, type IncomingHttpHeaders } from 'node:http';
import { randomFillSync } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildStripe, cidOf, type EncodedShard } from '@ddc/core';
import { startNode, type NodeConfigInput, type RunningNode } from '../src/index.js';

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

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface RawRequestOptions {
  method?: string;
  headers?: Record<string, string | number>;
  /** Parts written one after another; `pauseMs` between them. */
  body?: Uint8Array | Uint8Array[];
  pauseMs?: number;
  /** Destroy the request after writing the body instead of ending it. */
  abortAfterBody?: boolean;
  agent?: import('node:http').Agent | false;
}

/** A plain node:http request, with control over Content-Length and chunking. */
export function rawRequest(url: string, options: RawRequestOptions = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers ?? {}, agent: options.agent ?? false }, (res) => {
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
