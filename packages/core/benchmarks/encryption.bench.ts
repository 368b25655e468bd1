// Object cipher throughput (chunked AES-256-GCM through the encrypt and decrypt streams),
// MB/s of plaintext (1 MB = 1e6 B). Input arrives in 1 MiB pieces, as from a file or socket.
import { pathToFileURL } from 'node:url';
import { createDecryptStream, createEncryptStream, generateDek, generateObjectId } from '../src/index.js';

const PIECE = 1 << 20;

function piecesOf(total: number, piece: Uint8Array): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent >= total) return controller.close();
      const n = Math.min(piece.length, total - sent);
      sent += n;
      controller.enqueue(n === piece.length ? piece : piece.subarray(0, n));
    },
  });
}

function arrayStream(parts: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < parts.length) controller.enqueue(parts[i++]!);
      else controller.close();
    },
  });
}

async function drain(stream: ReadableStream<Uint8Array>, keep?: Uint8Array[]): Promise<number> {
  let n = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return n;
    n += value.length;
    keep?.push(value);
  }
}

export async function benchEncryption(bytes = 256 << 20): Promise<{ encrypt_MBps: number; decrypt_MBps: number }> {
  const dek = generateDek();
  const oid = generateObjectId();
  const piece = globalThis.crypto.getRandomValues(new Uint8Array(PIECE > 65536 ? 65536 : PIECE));
  const input = new Uint8Array(PIECE);
  for (let off = 0; off < PIECE; off += piece.length) input.set(piece.subarray(0, Math.min(piece.length, PIECE - off)), off);

  // Warm up the JIT and the thread pool.
  await drain(piecesOf(8 << 20, input).pipeThrough(createEncryptStream(dek, oid)));

  const cipher: Uint8Array[] = [];
  let start = performance.now();
  await drain(piecesOf(bytes, input).pipeThrough(createEncryptStream(dek, oid)), cipher);
  const encSeconds = (performance.now() - start) / 1000;

  start = performance.now();
  const plain = await drain(arrayStream(cipher).pipeThrough(createDecryptStream(dek, oid, { plainSize: bytes })));
  const decSeconds = (performance.now() - start) / 1000;
  if (plain !== bytes) throw new Error(`decrypt returned ${plain} bytes, expected ${bytes}`);

  return { encrypt_MBps: Math.round(bytes / 1e6 / encSeconds), decrypt_MBps: Math.round(bytes / 1e6 / decSeconds) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const mib = Number(process.argv[2]);
  console.log(JSON.stringify(await benchEncryption(mib > 0 ? mib << 20 : undefined)));
}
