// UnixFS import and verified export throughput, MB/s of file bytes (1 MB = 1e6 B), single thread.
// Import speed is SHA-256 speed: measured with the default (noble) hash and, under Node,
// with node:crypto installed the way the Node entry points do.
import { exportFile, importFileTo, sha256Impl, useSha256, type Sha256Impl } from '../src/index.js';

const FILE = 64 << 20;
const PIECE = 256 << 10;

function source(): Iterable<Uint8Array> {
  const piece = new Uint8Array(PIECE);
  for (let i = 0; i < PIECE; i++) piece[i] = (i * 2654435761) >>> 24;
  return (function* () {
    for (let sent = 0; sent < FILE; sent += PIECE) yield piece.slice(); // fresh buffers, as a stream gives
  })();
}

async function timeImport(): Promise<number> {
  const start = performance.now();
  await importFileTo(source(), () => {});
  return FILE / 1e6 / ((performance.now() - start) / 1000);
}

async function timeExport(): Promise<number> {
  const store = new Map<string, Uint8Array>();
  const r = await importFileTo(source(), (b) => void store.set(b.cid.toString(), b.bytes));
  const start = performance.now();
  let n = 0;
  for await (const part of exportFile(r.cid, async (cid) => store.get(cid.toString())!)) n += part.length;
  if (n !== FILE) throw new Error('export returned the wrong size');
  return FILE / 1e6 / ((performance.now() - start) / 1000);
}

async function nodeSha256(): Promise<Sha256Impl | undefined> {
  try {
    const { createHash } = await import('node:crypto');
    return {
      name: 'node:crypto',
      digest: (...parts) => {
        const h = createHash('sha256');
        for (const p of parts) h.update(p);
        return h.digest();
      },
      create() {
        const h = createHash('sha256');
        const w = { update: (d: Uint8Array) => (h.update(d), w), digest: () => new Uint8Array(h.digest()) };
        return w;
      },
    };
  } catch {
    return undefined;
  }
}

const round = (n: number): number => Math.round(n);

export async function benchUnixfs(): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = { unixfs_hash: sha256Impl().name, unixfs_import_MBps: round(await timeImport()) };
  const fast = await nodeSha256();
  if (fast) {
    const before = sha256Impl();
    useSha256(fast);
    try {
      out.unixfs_import_node_sha_MBps = round(await timeImport());
      out.unixfs_export_node_sha_MBps = round(await timeExport());
    } finally {
      useSha256(before);
    }
  }
  return out;
}

if (import.meta.url === `file://${globalThis.process?.argv[1] ?? ''}`) {
  console.log(JSON.stringify(await benchUnixfs()));
}
