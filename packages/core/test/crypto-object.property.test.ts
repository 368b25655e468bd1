// Property tests for the object cipher: any way of cutting the plaintext and the ciphertext
// into stream pieces gives the same bytes back, chunk sizes are fixed, any range decrypts to
// the slice, and any flipped byte is caught.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CIPHER_CHUNK, PLAIN_CHUNK, cipherRangeFor, ciphertextSize, generateDek, generateObjectId } from '../src/index.js';
import { concat, decryptAll, encryptAll, encryptParts, hasCode, patternBytes } from './crypto-helpers.js';

const SIZES = [0, 1, PLAIN_CHUNK - 1, PLAIN_CHUNK, PLAIN_CHUNK + 1, 3 << 20];
const source = patternBytes(3 << 20, 42);
const cuts = fc.array(fc.nat({ max: 4 << 20 }), { maxLength: 8 });

test('round trip for sizes 0, 1, PLAIN_CHUNK-1, PLAIN_CHUNK, PLAIN_CHUNK+1, 3 MiB at random split points', async () => {
  const dek = generateDek();
  const oid = generateObjectId();
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...SIZES), cuts, cuts, async (size, plainCuts, cipherCuts) => {
      const plain = source.subarray(0, size);
      const parts = await encryptParts(dek, oid, plain, plainCuts);
      // Chunks are exactly CIPHER_CHUNK except the last, which is final.
      assert.equal(parts.length, Math.max(1, Math.ceil(size / PLAIN_CHUNK)));
      parts.slice(0, -1).forEach((p) => assert.equal(p.length, CIPHER_CHUNK));
      const cipher = concat(parts);
      assert.equal(cipher.length, ciphertextSize(size));
      assert.deepEqual(await decryptAll(dek, oid, cipher, size, cipherCuts), plain);
    }),
    { numRuns: 40 },
  );
  // Every size at least once, whatever the sampler picked.
  for (const size of SIZES) assert.deepEqual(await decryptAll(dek, oid, await encryptAll(dek, oid, source.subarray(0, size), [size >> 1]), size, [size >> 2]), source.subarray(0, size));
});

test('encryption is a function of (DEK, oid, plaintext), not of how the input was cut', async () => {
  const dek = generateDek();
  const oid = generateObjectId();
  const size = 2 * PLAIN_CHUNK + 77;
  const plain = source.subarray(0, size);
  const whole = await encryptAll(dek, oid, plain);
  await fc.assert(
    fc.asyncProperty(cuts, async (c) => assert.deepEqual(await encryptAll(dek, oid, plain, c), whole)),
    { numRuns: 15 },
  );
});

test('any range decrypts to exactly the slice', async () => {
  const dek = generateDek();
  const oid = generateObjectId();
  const size = (3 << 20) - 5;
  const plain = source.subarray(0, size);
  const cipher = await encryptAll(dek, oid, plain);
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: size }), fc.nat({ max: size }), cuts, async (a, b, c) => {
      const range = { start: Math.min(a, b), end: Math.max(a, b) };
      const cr = cipherRangeFor(range, size);
      assert.equal(cr.start % CIPHER_CHUNK, 0);
      assert.deepEqual(await decryptAll(dek, oid, cipher.subarray(cr.start, cr.end), size, c, range), plain.subarray(range.start, range.end));
    }),
    { numRuns: 60 },
  );
});

test('any single flipped bit is DDC_DECRYPT_FAILED', async () => {
  const dek = generateDek();
  const oid = generateObjectId();
  const size = PLAIN_CHUNK + 300;
  const cipher = await encryptAll(dek, oid, source.subarray(0, size));
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: cipher.length - 1 }), fc.integer({ min: 0, max: 7 }), async (pos, bit) => {
      const bad = cipher.slice();
      bad[pos]! ^= 1 << bit;
      await assert.rejects(decryptAll(dek, oid, bad, size), hasCode('DDC_DECRYPT_FAILED'));
    }),
    { numRuns: 40 },
  );
});
