/**
 * node:crypto's AES-256-GCM (installed into core by the Node entry) against Web Crypto's: the
 * same ciphertext and tag for the same chunk, each opens the other's, and a changed byte is
 * refused by both (the object cipher's chunks through either implementation).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nodeAesGcm } from '../src/platform/node-crypto.js';
import { DdcError, decryptChunk, encryptChunk, importDek, useAesGcm } from '@ddc/core';

async function withImpl<T>(impl: typeof nodeAesGcm | undefined, f: () => Promise<T>): Promise<T> {
  useAesGcm(impl);
  try {
    return await f();
  } finally {
    useAesGcm(nodeAesGcm);
  }
}

test('node:crypto and Web Crypto give the same chunk ciphertext, open each other, and refuse a changed byte', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.nat({ max: 2 ** 40 }),
      fc.boolean(),
      fc.uint8Array({ maxLength: 4096 }),
      fc.nat(),
      async (dek, oid, index, final, plain, flipAt) => {
        const web = await withImpl(undefined, async () => encryptChunk(await importDek(dek), oid, index, final, plain));
        const node = await withImpl(nodeAesGcm, async () => encryptChunk(await importDek(dek), oid, index, final, plain));
        assert.deepEqual(node, web);
        // Into a given (dirty, reused) array: the same bytes, in that array.
        const into = new Uint8Array(plain.length + 16).fill(0x5a);
        const nodeInto = await withImpl(nodeAesGcm, async () => encryptChunk(await importDek(dek), oid, index, final, plain, () => into));
        assert.equal(nodeInto, into);
        assert.deepEqual(nodeInto, web);
        assert.deepEqual(await withImpl(nodeAesGcm, async () => decryptChunk(await importDek(dek), oid, index, final, web)), plain);
        assert.deepEqual(await withImpl(undefined, async () => decryptChunk(await importDek(dek), oid, index, final, node)), plain);
        const bad = Uint8Array.from(node);
        bad[flipAt % bad.length]! ^= 1;
        for (const impl of [undefined, nodeAesGcm]) {
          await assert.rejects(withImpl(impl, async () => decryptChunk(await importDek(dek), oid, index, final, bad)), (e: unknown) => e instanceof DdcError && e.code === 'DDC_DECRYPT_FAILED');
        }
        // The final flag is bound in: the same bytes under the other flag do not open.
        await assert.rejects(withImpl(nodeAesGcm, async () => decryptChunk(await importDek(dek), oid, index, !final, node)), (e: unknown) => e instanceof DdcError && e.code === 'DDC_DECRYPT_FAILED');
      },
    ),
    { numRuns: 200 },
  );
});
