/**
 * The worker side of SharedPieceHasher: SHA-256 of byte ranges of shared memory the main thread
 * has filled, one job per message, answered in order.
 */
import { parentPort } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import type { HashJob, HashAnswer } from './piece-hasher.js';

const port = parentPort;
if (!port) throw new Error('piece-hash-worker runs as a worker thread');
port.on('message', (job: HashJob) => {
  const h = createHash('sha256');
  for (const p of job.parts) h.update(new Uint8Array(p.memory, p.offset, p.length));
  const digest = h.digest();
  const answer: HashAnswer = { id: job.id, digest: new Uint8Array(digest.buffer, digest.byteOffset, digest.length) };
  port.postMessage(answer);
});
