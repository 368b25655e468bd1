/**
 * The hand-written CARv1 framing against @ipld/car: byte-equal to its writer for the same
 * roots and blocks, and read back by its reader (roots, CIDs, bytes), for random DAG shapes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CarReader, CarWriter } from '@ipld/car';
import { cidOf, DAG_PB_CODEC, RAW_CODEC, type CID } from '@ddc/core';
import { carBlockPrefix, carHeader, varint } from '../src/ipfs/car.js';

function frame(root: CID, blocks: { cid: CID; bytes: Uint8Array }[]): Uint8Array {
  const parts = [carHeader([root]), ...blocks.flatMap((b) => [carBlockPrefix(b.cid, b.bytes.length), b.bytes])];
  return Buffer.concat(parts);
}

async function reference(root: CID, blocks: { cid: CID; bytes: Uint8Array }[]): Promise<Uint8Array> {
  const { writer, out } = CarWriter.create([root as never]);
  const chunks: Uint8Array[] = [];
  const collect = (async () => {
    for await (const c of out) chunks.push(c);
  })();
  for (const b of blocks) await writer.put({ cid: b.cid as never, bytes: b.bytes });
  await writer.close();
  await collect;
  return Buffer.concat(chunks);
}

test('varint is unsigned LEB128', () => {
  assert.deepEqual([...varint(0)], [0]);
  assert.deepEqual([...varint(127)], [127]);
  assert.deepEqual([...varint(128)], [0x80, 1]);
  assert.deepEqual([...varint(300)], [0xac, 0x02]);
  assert.deepEqual([...varint(2 ** 32)], [0x80, 0x80, 0x80, 0x80, 0x10]);
});

test('a CAR is byte-equal to @ipld/car\'s and reads back with its reader', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 0, maxLength: 3000 }), { minLength: 0, maxLength: 12 }), fc.boolean(), async (payloads, pbRoot) => {
      const blocks = payloads.map((bytes) => ({ cid: cidOf(RAW_CODEC, bytes), bytes }));
      const root = pbRoot || blocks.length === 0 ? cidOf(DAG_PB_CODEC, new Uint8Array([0x0a, 0x02, 0x08, 0x02])) : blocks[0]!.cid;
      const ours = frame(root, blocks);
      assert.equal(Buffer.from(ours).toString('hex'), Buffer.from(await reference(root, blocks)).toString('hex'));
      const reader = await CarReader.fromBytes(ours);
      assert.deepEqual((await reader.getRoots()).map(String), [root.toString()]);
      const back = [];
      for await (const b of reader.blocks()) back.push({ cid: b.cid.toString(), bytes: Buffer.from(b.bytes).toString('hex') });
      assert.deepEqual(back, blocks.map((b) => ({ cid: b.cid.toString(), bytes: Buffer.from(b.bytes).toString('hex') })));
    }),
    { numRuns: 60 },
  );
});

test('an identity root (the bafkqaaa probe) frames with no blocks', async () => {
  const root = (await import('@ddc/core')).parseCid('bafkqaaa');
  const reader = await CarReader.fromBytes(frame(root, []));
  assert.equal((await reader.getRoots())[0]!.toString(), 'bafkqaaa');
});
