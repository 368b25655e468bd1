// Chunked AES-256-GCM object cipher: format (golden vectors and an independent Web Crypto
// computation of nonce and associated data), sizes, and every way to break a ciphertext.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import {
  CIPHER_CHUNK, ENC_ALG, PLAIN_CHUNK, cipherRangeFor, ciphertextSize, createDecryptStream, createEncryptStream, decryptChunk, encryptChunk,
  fromHex, generateDek, generateObjectId, importDek, toHex,
} from '../src/index.js';
import { collect, concat, decryptAll, encryptAll, encryptParts, hasCode, patternBytes, streamOf } from './crypto-helpers.js';

interface ChunkVector { index: number; final: boolean; plain: string; cipher: string }
const vectors = JSON.parse(readFileSync(new URL('../../test/vectors/object-cipher.json', import.meta.url), 'utf8')) as {
  dek: string;
  oid: string;
  chunks: ChunkVector[];
  object: { plainSize: number; seed: number; cipherSize: number; cipherSha256: string };
};
const sha256Hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The format written out by hand: nonce = 12-byte BE index, AAD = "ddc-enc-v1\0" || oid || u64 BE index || final. */
async function referenceChunk(dek: Uint8Array, oid: Uint8Array, index: number, final: boolean, plain: Uint8Array): Promise<Uint8Array> {
  const iv = Buffer.alloc(12);
  iv.writeBigUInt64BE(BigInt(index), 4);
  const idx = Buffer.alloc(8);
  idx.writeBigUInt64BE(BigInt(index));
  const aad = Buffer.concat([Buffer.from('ddc-enc-v1\0', 'utf8'), oid, idx, Buffer.from([final ? 1 : 0])]);
  const key = await crypto.subtle.importKey('raw', dek as Uint8Array<ArrayBuffer>, 'AES-GCM', false, ['encrypt']);
  return new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, key, plain as Uint8Array<ArrayBuffer>));
}

test('constants match docs/ACCESS.md', () => {
  assert.equal(CIPHER_CHUNK, 1048576);
  assert.equal(PLAIN_CHUNK, 1048576 - 16);
  assert.equal(ENC_ALG, 'aes-256-gcm-chunked-v1');
  assert.equal(generateDek().length, 32);
  assert.equal(generateObjectId().length, 16);
  assert.notDeepEqual(generateDek(), generateDek());
});

test('chunk vectors: golden bytes, and the same bytes from a hand-written nonce and AAD', async () => {
  const dek = fromHex(vectors.dek);
  const oid = fromHex(vectors.oid);
  const key = await importDek(dek);
  for (const v of vectors.chunks) {
    const plain = fromHex(v.plain);
    const ours = await encryptChunk(key, oid, v.index, v.final, plain);
    assert.equal(toHex(ours), v.cipher, `chunk ${v.index}`);
    assert.equal(toHex(await referenceChunk(dek, oid, v.index, v.final, plain)), v.cipher, `reference for chunk ${v.index}`);
    assert.deepEqual(await decryptChunk(key, oid, v.index, v.final, fromHex(v.cipher)), plain);
    // The final flag and the index are bound: the same bytes do not open as another chunk.
    await assert.rejects(decryptChunk(key, oid, v.index, !v.final, fromHex(v.cipher)), hasCode('DDC_DECRYPT_FAILED'));
    await assert.rejects(decryptChunk(key, oid, v.index + 1, v.final, fromHex(v.cipher)), hasCode('DDC_DECRYPT_FAILED'));
  }
});

test('object vector: a two-chunk object encrypts to the checked-in ciphertext', async () => {
  const { plainSize, seed, cipherSize, cipherSha256 } = vectors.object;
  const plain = patternBytes(plainSize, seed);
  const dek = fromHex(vectors.dek);
  const oid = fromHex(vectors.oid);
  const cipher = await encryptAll(dek, oid, plain, [7, 1000, PLAIN_CHUNK + 3]);
  assert.equal(cipher.length, cipherSize);
  assert.equal(sha256Hex(cipher), cipherSha256);
  // Byte for byte what the chunk-wise reference gives.
  const ref = concat([
    await referenceChunk(dek, oid, 0, false, plain.subarray(0, PLAIN_CHUNK)),
    await referenceChunk(dek, oid, 1, true, plain.subarray(PLAIN_CHUNK)),
  ]);
  assert.equal(sha256Hex(ref), cipherSha256);
});

test('ciphertextSize: 16 bytes of tag per chunk, an empty object is one empty chunk', () => {
  assert.equal(ciphertextSize(0), 16);
  assert.equal(ciphertextSize(1), 17);
  assert.equal(ciphertextSize(PLAIN_CHUNK - 1), CIPHER_CHUNK - 1);
  assert.equal(ciphertextSize(PLAIN_CHUNK), CIPHER_CHUNK);
  assert.equal(ciphertextSize(PLAIN_CHUNK + 1), CIPHER_CHUNK + 17);
  assert.equal(ciphertextSize(3 * PLAIN_CHUNK), 3 * CIPHER_CHUNK);
  assert.equal(ciphertextSize(3 << 20), (3 << 20) + 4 * 16);
  assert.throws(() => ciphertextSize(-1), hasCode('DDC_INVALID_ARGUMENT'));
  assert.throws(() => ciphertextSize(1.5), hasCode('DDC_INVALID_ARGUMENT'));
});

test('empty object: one 16-byte final chunk that decrypts to nothing', async () => {
  const dek = generateDek();
  const oid = generateObjectId();
  const parts = await encryptParts(dek, oid, new Uint8Array(0));
  assert.equal(parts.length, 1);
  assert.equal(parts[0]!.length, 16);
  assert.equal((await decryptAll(dek, oid, parts[0]!, 0)).length, 0);
  await assert.rejects(decryptAll(dek, oid, new Uint8Array(0), 0), hasCode('DDC_CIPHERTEXT_TRUNCATED'));
});

const dek = generateDek();
const oid = generateObjectId();
const SIZE = 2 * PLAIN_CHUNK + 12345; // three chunks, the last partial
const plain = patternBytes(SIZE, 9);
const cipherP = encryptAll(dek, oid, plain, [1, 65536, 3 * 65536 + 5]);

test('chunk sizes: every ciphertext chunk is CIPHER_CHUNK bytes but the last', async () => {
  for (const size of [PLAIN_CHUNK - 1, PLAIN_CHUNK, PLAIN_CHUNK + 1, SIZE, 3 * PLAIN_CHUNK]) {
    const parts = await encryptParts(dek, oid, patternBytes(size, 3), [100, 200000]);
    const expectedChunks = Math.max(1, Math.ceil(size / PLAIN_CHUNK));
    assert.equal(parts.length, expectedChunks, `size ${size}`);
    parts.slice(0, -1).forEach((p) => assert.equal(p.length, CIPHER_CHUNK));
    assert.equal(parts.at(-1)!.length, size - (expectedChunks - 1) * PLAIN_CHUNK + 16);
  }
});

test('a flipped byte anywhere (body or tag, any chunk) is DDC_DECRYPT_FAILED', async () => {
  const cipher = await cipherP;
  for (const pos of [0, 17, CIPHER_CHUNK - 1, CIPHER_CHUNK, CIPHER_CHUNK + 500, 2 * CIPHER_CHUNK + 3, cipher.length - 1]) {
    const bad = cipher.slice();
    bad[pos]! ^= 0x01;
    await assert.rejects(decryptAll(dek, oid, bad, SIZE), hasCode('DDC_DECRYPT_FAILED'), `byte ${pos}`);
  }
});

test('a wrong DEK or a wrong object id is DDC_DECRYPT_FAILED', async () => {
  const cipher = await cipherP;
  await assert.rejects(decryptAll(generateDek(), oid, cipher, SIZE), hasCode('DDC_DECRYPT_FAILED'));
  await assert.rejects(decryptAll(dek, generateObjectId(), cipher, SIZE), hasCode('DDC_DECRYPT_FAILED'));
});

test('dropped last chunk, cut tail, appended junk: DDC_CIPHERTEXT_TRUNCATED', async () => {
  const cipher = await cipherP;
  await assert.rejects(decryptAll(dek, oid, cipher.subarray(0, 2 * CIPHER_CHUNK), SIZE), hasCode('DDC_CIPHERTEXT_TRUNCATED'));
  await assert.rejects(decryptAll(dek, oid, cipher.subarray(0, cipher.length - 1), SIZE), hasCode('DDC_CIPHERTEXT_TRUNCATED'));
  await assert.rejects(decryptAll(dek, oid, concat([cipher, new Uint8Array([0])]), SIZE), hasCode('DDC_CIPHERTEXT_TRUNCATED'));
  await assert.rejects(decryptAll(dek, oid, concat([cipher, cipher.subarray(0, CIPHER_CHUNK)]), SIZE), hasCode('DDC_CIPHERTEXT_TRUNCATED'));
});

test('dropping the last chunk and shrinking the size to match is caught by the final flag', async () => {
  const cipher = await cipherP;
  await assert.rejects(decryptAll(dek, oid, cipher.subarray(0, 2 * CIPHER_CHUNK), 2 * PLAIN_CHUNK), hasCode('DDC_DECRYPT_FAILED'));
});

test('swapped chunks, or a chunk from another object with the same DEK, do not decrypt', async () => {
  const cipher = await cipherP;
  const swapped = concat([cipher.subarray(CIPHER_CHUNK, 2 * CIPHER_CHUNK), cipher.subarray(0, CIPHER_CHUNK), cipher.subarray(2 * CIPHER_CHUNK)]);
  await assert.rejects(decryptAll(dek, oid, swapped, SIZE), hasCode('DDC_DECRYPT_FAILED'));
  const otherOid = generateObjectId();
  const other = await encryptAll(dek, otherOid, patternBytes(SIZE, 77));
  const mixed = concat([cipher.subarray(0, CIPHER_CHUNK), other.subarray(CIPHER_CHUNK, 2 * CIPHER_CHUNK), cipher.subarray(2 * CIPHER_CHUNK)]);
  await assert.rejects(decryptAll(dek, oid, mixed, SIZE), hasCode('DDC_DECRYPT_FAILED'));
  const mixedKey = concat([cipher.subarray(0, CIPHER_CHUNK), (await encryptAll(generateDek(), oid, plain)).subarray(CIPHER_CHUNK, 2 * CIPHER_CHUNK), cipher.subarray(2 * CIPHER_CHUNK)]);
  await assert.rejects(decryptAll(dek, oid, mixedKey, SIZE), hasCode('DDC_DECRYPT_FAILED'));
});

test('no plaintext window shows in the ciphertext', async () => {
  const marker = Buffer.from('DDC-PLAINTEXT-MARKER:0123456789:abcdefghijklmnopqrstuvwxyz!?#ABC', 'utf8'); // 64 bytes
  assert.equal(marker.length, 64);
  const size = 2 * PLAIN_CHUNK + 1000;
  const text = Buffer.alloc(size);
  for (let i = 0; i < size; i += 64) marker.copy(text, i);
  const cipher = Buffer.from(await encryptAll(dek, oid, text));
  assert.deepEqual(await decryptAll(dek, oid, cipher, size), new Uint8Array(text));
  const doubled = Buffer.concat([marker, marker]);
  for (let shift = 0; shift < 64; shift++) {
    assert.equal(cipher.indexOf(doubled.subarray(shift, shift + 16)), -1, `window at ${shift}`);
  }
});

test('cipherRangeFor: whole chunks around the range', () => {
  const size = SIZE;
  assert.deepEqual(cipherRangeFor({ start: 0, end: 1 }, size), { start: 0, end: CIPHER_CHUNK, firstChunk: 0 });
  assert.deepEqual(cipherRangeFor({ start: PLAIN_CHUNK - 1, end: PLAIN_CHUNK + 1 }, size), { start: 0, end: 2 * CIPHER_CHUNK, firstChunk: 0 });
  assert.deepEqual(cipherRangeFor({ start: PLAIN_CHUNK, end: PLAIN_CHUNK + 1 }, size), { start: CIPHER_CHUNK, end: 2 * CIPHER_CHUNK, firstChunk: 1 });
  assert.deepEqual(cipherRangeFor({ start: size - 1, end: size }, size), { start: 2 * CIPHER_CHUNK, end: ciphertextSize(size), firstChunk: 2 });
  assert.deepEqual(cipherRangeFor({ start: 0, end: size }, size), { start: 0, end: ciphertextSize(size), firstChunk: 0 });
  assert.deepEqual(cipherRangeFor({ start: 5, end: 5 }, size), { start: 0, end: 0, firstChunk: 0 });
  for (const bad of [{ start: -1, end: 2 }, { start: 3, end: 2 }, { start: 0, end: size + 1 }, { start: 0.5, end: 2 }]) {
    assert.throws(() => cipherRangeFor(bad, size), hasCode('DDC_INVALID_RANGE'));
  }
});

test('ranged decrypt equals the slice; wrong-length input is DDC_CIPHERTEXT_TRUNCATED', async () => {
  const cipher = await cipherP;
  const ranges = [[0, 0], [0, 1], [10, 20], [PLAIN_CHUNK - 3, PLAIN_CHUNK + 3], [PLAIN_CHUNK, 2 * PLAIN_CHUNK], [5, SIZE], [SIZE - 1, SIZE], [0, SIZE]] as const;
  for (const [start, end] of ranges) {
    const cr = cipherRangeFor({ start, end }, SIZE);
    const got = await decryptAll(dek, oid, cipher.subarray(cr.start, cr.end), SIZE, [3, 70000], { start, end });
    assert.deepEqual(got, plain.subarray(start, end), `[${start}, ${end})`);
  }
  const cr = cipherRangeFor({ start: 10, end: 20 }, SIZE);
  await assert.rejects(decryptAll(dek, oid, cipher.subarray(cr.start, cr.end - 1), SIZE, [], { start: 10, end: 20 }), hasCode('DDC_CIPHERTEXT_TRUNCATED'));
  await assert.rejects(decryptAll(dek, oid, cipher.subarray(cr.start, cr.end + 1), SIZE, [], { start: 10, end: 20 }), hasCode('DDC_CIPHERTEXT_TRUNCATED'));
  // The chunk of the wrong place does not open as the range's first chunk.
  const other = cipherRangeFor({ start: PLAIN_CHUNK + 10, end: PLAIN_CHUNK + 20 }, SIZE);
  await assert.rejects(decryptAll(dek, oid, cipher.subarray(0, other.end - other.start), SIZE, [], { start: PLAIN_CHUNK + 10, end: PLAIN_CHUNK + 20 }), hasCode('DDC_DECRYPT_FAILED'));
});

test('an aborted signal errors the streams with DDC_ABORTED', async () => {
  const ac = new AbortController();
  const enc = createEncryptStream(dek, oid, { signal: ac.signal });
  const writer = enc.writable.getWriter();
  const reading = collect(enc.readable);
  await writer.write(plain.subarray(0, 100));
  ac.abort(new Error('stop'));
  await assert.rejects(reading, hasCode('DDC_ABORTED'));
  const pre = new AbortController();
  pre.abort();
  await assert.rejects(collect(streamOf([(await cipherP)]).pipeThrough(createDecryptStream(dek, oid, { plainSize: SIZE, signal: pre.signal }))), hasCode('DDC_ABORTED'));
});

test('bad keys, ids and inputs are refused up front', async () => {
  assert.throws(() => createEncryptStream(new Uint8Array(16), oid), hasCode('DDC_KEY_INVALID'));
  assert.throws(() => createEncryptStream(dek, new Uint8Array(8)), hasCode('DDC_INVALID_ARGUMENT'));
  assert.throws(() => createDecryptStream(dek, oid, { plainSize: -1 }), hasCode('DDC_INVALID_ARGUMENT'));
  assert.throws(() => createDecryptStream(dek, oid, { plainSize: 10, range: { start: 5, end: 11 } }), hasCode('DDC_INVALID_RANGE'));
  const key = await importDek(dek);
  await assert.rejects(encryptChunk(key, oid, 0, true, new Uint8Array(PLAIN_CHUNK + 1)), hasCode('DDC_INVALID_ARGUMENT'));
  await assert.rejects(decryptChunk(key, oid, 0, true, new Uint8Array(15)), hasCode('DDC_CIPHERTEXT_TRUNCATED'));
});
