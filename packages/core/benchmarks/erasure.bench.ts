// RS(4, 2) throughput on 1 MiB pieces, MB/s of piece bytes (1 MB = 1e6 B), single thread.
import { pathToFileURL } from 'node:url';
import { createErasureCoder, splitData, type ErasureBackend } from '../src/erasure/index.js';

const PIECE = 1 << 20;
const K = 4;
const M = 2;

function measure(run: () => void, seconds: number): number {
  for (let i = 0; i < 5; i++) run(); // warm up the JIT and caches
  let iterations = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < seconds * 1000) {
    for (let i = 0; i < 10; i++) run();
    iterations += 10;
    elapsed = performance.now() - start;
  }
  return (iterations * PIECE) / 1e6 / (elapsed / 1000);
}

function benchBackend(backend: ErasureBackend, seconds: number): { encode: number; decode: number } {
  const coder = createErasureCoder(K, M, { backend });
  const piece = new Uint8Array(PIECE);
  for (let i = 0; i < PIECE; i++) piece[i] = (i * 2654435761) >>> 24;
  const data = splitData(piece, K);
  const all = [...data, ...coder.encode(data)];
  const damaged = all.map((s, i) => (i === 0 || i === 2 ? undefined : s)); // 2 data shards lost
  return {
    encode: measure(() => coder.encode(data), seconds),
    decode: measure(() => coder.reconstructData(damaged), seconds),
  };
}

const round = (n: number): number => Math.round(n);

export async function benchErasure(seconds = 1): Promise<{
  rs_encode_MBps: number;
  rs_decode_MBps: number;
  rs_backend: string;
  rs_js_encode_MBps: number;
  rs_js_decode_MBps: number;
}> {
  const best = benchBackend('auto', seconds);
  const js = benchBackend('js', seconds);
  return {
    rs_encode_MBps: round(best.encode),
    rs_decode_MBps: round(best.decode),
    rs_backend: createErasureCoder(K, M).backend,
    rs_js_encode_MBps: round(js.encode),
    rs_js_decode_MBps: round(js.decode),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(JSON.stringify(await benchErasure()));
}
