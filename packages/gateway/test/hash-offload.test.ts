/**
 * Body hashes on a worker thread through the shared ring: MD5 and SHA-256 equal node:crypto's for bodies
 * cut at any sizes (smaller and larger than the ring, so the writer waits and the ring wraps),
 * for streams running at once (more than the workers: the rest hash inline), and for a stream
 * started after one was abandoned (its worker came back and serves the next one right).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { busyHashWorkers, offloadedHashes } from '../src/auth/hash-offload.js';
import { verifiedPayload } from '../src/auth/payload.js';
import { createChecksum } from '../src/auth/checksums.js';

const MiB = 1024 * 1024;

/** MD5, SHA-256 and CRC-64/NVME of `data` fed in pieces of the given sizes, hex, joined by spaces. */
async function hashInPieces(data: Uint8Array, cuts: readonly number[]): Promise<string> {
  const h = offloadedHashes(['md5', 'sha256', 'crc64nvme']);
  let at = 0;
  for (const n of [...cuts, data.length]) {
    const piece = data.subarray(at, Math.min(data.length, at + n));
    at += piece.length;
    const room = h.update(piece);
    if (room) await room;
    if (at >= data.length) break;
  }
  return (await h.digest()).map((d) => d.toString('hex')).join(' ');
}

/** The same three on this thread: node:crypto, and the checksum module the S3 tests hold to its catalogue value. */
const md5 = (b: Uint8Array) => {
  const crc = createChecksum('crc64nvme');
  crc.update(b);
  return `${createHash('md5').update(b).digest('hex')} ${createHash('sha256').update(b).digest('hex')} ${Buffer.from(crc.digest(), 'base64').toString('hex')}`;
};

test('property: the offloaded MD5, SHA-256 and CRC-64/NVME equal this thread\'s for any cuts, across ring wraps', async () => {
  const data = randomBytes(12 * MiB + 17);
  const want = md5(data);
  await fc.assert(
    fc.asyncProperty(fc.array(fc.oneof(fc.nat(100), fc.nat(64 * 1024), fc.integer({ min: 1, max: 12 * MiB })), { maxLength: 40 }), async (cuts) => {
      assert.equal(await hashInPieces(data, cuts), want);
    }),
    { numRuns: 25 },
  );
});

test('streams at once (more than the workers) all get their own digest', async () => {
  const bodies = Array.from({ length: 5 }, (_, i) => randomBytes(3 * MiB + i));
  const got = await Promise.all(bodies.map((b, i) => hashInPieces(b, Array.from({ length: 40 }, () => 64 * 1024 + i))));
  assert.deepEqual(got, bodies.map(md5));
});

test('an abandoned stream frees its worker; the next stream on it is right', async () => {
  for (let round = 0; round < 4; round++) {
    const h = offloadedHashes(['md5']);
    await h.update(randomBytes(MiB));
    await h.digest(); // what a failed upload does
    const body = randomBytes(2 * MiB);
    assert.equal(await hashInPieces(body, [5, MiB]), md5(body));
  }
  const empty = offloadedHashes(['md5', 'sha256', 'crc64nvme']);
  const nothing = async () => (await empty.digest()).map((d) => d.toString('hex')).join(' ');
  assert.equal(await nothing(), md5(new Uint8Array(0)));
  assert.equal(await nothing(), md5(new Uint8Array(0)), 'asking again gives the same digests');
});

test('a large body read to its end, abandoned by its reader, failing, or never read leaves no hashing worker busy', async () => {
  const body = randomBytes(6 * MiB);
  async function* source(): AsyncGenerator<Uint8Array> {
    for (let at = 0; at < body.length; at += MiB) yield body.subarray(at, at + MiB);
  }
  const options = (length: number) => ({ auth: null, headers: new Map([['content-length', [String(length)]]]), maxBytes: 5 * 1024 ** 3 });

  const whole = verifiedPayload(source(), options(body.length));
  for await (const _ of whole.chunks) void _;
  assert.equal(whole.md5Hex(), createHash('md5').update(body).digest('hex'));

  const abandoned = verifiedPayload(source(), options(body.length));
  const it = abandoned.chunks[Symbol.asyncIterator]();
  await it.next();
  await it.next();
  await it.return!(undefined);

  const short = verifiedPayload(source(), options(body.length + 1));
  await assert.rejects(async () => {
    for await (const _ of short.chunks) void _;
  }, (e: unknown) => (e as { code?: string }).code === 'IncompleteBody');

  verifiedPayload(source(), options(body.length)); // never read
  await new Promise((r) => setTimeout(r, 50)); // the workers' digests come back as messages
  assert.equal(busyHashWorkers(), 0);
});
