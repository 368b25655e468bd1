// JSON field encryption: key derivation checked against node:crypto's HKDF, round trips of
// arbitrary JSON, and the sharing property: the key of /a opens /a's subtree and nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hkdfSync } from 'node:crypto';
import fc from 'fast-check';
import {
  decryptJsonFields, encryptJsonFields, fieldKey, generateDek, keyForPointer, parsePointer, rootFieldKey, toHex, type EncryptedJson, type PlainJson,
} from '../src/index.js';
import { hasCode } from './crypto-helpers.js';

const nodeHkdf = (ikm: Uint8Array, segment: string) =>
  new Uint8Array(hkdfSync('sha256', ikm, new Uint8Array(0), Buffer.concat([Buffer.from('ddc-field-v1\0'), Buffer.from(segment, 'utf8')]), 32));

/** JSON as it survives JSON text (-0 becomes 0). */
const normal = (v: unknown) => JSON.parse(JSON.stringify(v)) as PlainJson;

const escape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
/** Every leaf's pointer in a plain document. */
function leafPointers(node: PlainJson, at = ''): string[] {
  if (Array.isArray(node)) return node.flatMap((c, i) => leafPointers(c, `${at}/${i}`));
  if (node !== null && typeof node === 'object') return Object.keys(node).flatMap((k) => leafPointers(node[k]!, `${at}/${escape(k)}`));
  return [at];
}
function valueAt(node: unknown, pointer: string): unknown {
  for (const s of parsePointer(pointer)) node = (node as Record<string, unknown>)[s];
  return node;
}

test('field keys are HKDF-SHA256 chains (checked against node:crypto)', () => {
  const dek = generateDek();
  const root = rootFieldKey(dek);
  assert.deepEqual(root, nodeHkdf(dek, ''));
  let expected = root;
  for (const s of ['a/b', '0', '~c', '']) expected = nodeHkdf(expected, s);
  assert.deepEqual(keyForPointer(root, '/a~1b/0/~0c/'), expected);
  assert.deepEqual(keyForPointer(root, ''), root);
  assert.deepEqual(fieldKey(root, 'x'), keyForPointer(root, '/x'));
  assert.notEqual(toHex(keyForPointer(root, '/a')), toHex(keyForPointer(root, '/b')));
  for (const bad of ['a', '/a~2', '/a~']) assert.throws(() => keyForPointer(root, bad), hasCode('DDC_INVALID_ARGUMENT'));
  assert.throws(() => fieldKey(new Uint8Array(16), 'a'), hasCode('DDC_KEY_INVALID'));
});

test('encryptJsonFields keeps the shape and hides every leaf', async () => {
  const dek = generateDek();
  const doc = { name: 'Ada', age: 36, admin: false, note: null, tags: ['x', 'y'], nested: { deep: { v: 'secret-value' } }, empty: {}, list: [] };
  const enc = (await encryptJsonFields(doc, dek)) as Record<string, unknown>;
  assert.deepEqual(Object.keys(enc), Object.keys(doc));
  assert.deepEqual(enc.empty, {});
  assert.deepEqual(enc.list, []);
  assert.equal((enc.tags as unknown[]).length, 2);
  const text = JSON.stringify(enc);
  // As JSON values (quoted, or after a colon): random base64url text may contain "36" by chance.
  for (const leaf of ['"Ada"', ':36', ':false', ':null', '"secret-value"', 'secret-value']) assert.ok(!text.includes(leaf), leaf);
  assert.match(JSON.stringify(enc.name), /^\{"\$ddcenc":"[A-Za-z0-9_-]+"\}$/);
  assert.deepEqual(await decryptJsonFields(enc as EncryptedJson, rootFieldKey(dek)), doc);
  // Random nonces: the same document encrypts differently each time.
  assert.notDeepEqual(await encryptJsonFields(doc, dek), enc);
});

test('round trip of arbitrary JSON, and a scalar document', async () => {
  const dek = generateDek();
  const root = rootFieldKey(dek);
  await fc.assert(
    fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (value) => {
      const doc = normal(value);
      assert.deepEqual(await decryptJsonFields(await encryptJsonFields(doc, dek), root), doc);
    }),
    { numRuns: 150 },
  );
  for (const scalar of ['s', 0, -1.5, true, null] as PlainJson[]) {
    const enc = await encryptJsonFields(scalar, dek);
    assert.equal(typeof (enc as { $ddcenc: string }).$ddcenc, 'string');
    assert.deepEqual(await decryptJsonFields(enc, root), scalar);
  }
});

test('property: the key of /a opens exactly /a\'s subtree and fails on every other leaf', async () => {
  const subtree = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 4 }));
  const rest = fc.dictionary(fc.string().filter((k) => k !== 'a'), fc.jsonValue({ maxDepth: 3 }), { minKeys: 1, maxKeys: 4 });
  await fc.assert(
    fc.asyncProperty(subtree, rest, async (a, others) => {
      const doc = normal({ ...others, a }) as { [k: string]: PlainJson };
      const dek = generateDek();
      const enc = await encryptJsonFields(doc, dek);
      const keyA = keyForPointer(rootFieldKey(dek), '/a');
      const opened = (await decryptJsonFields(enc, keyA, '/a')) as Record<string, unknown>;
      assert.deepEqual(opened.a, doc.a); // the whole subtree
      for (const k of Object.keys(doc)) if (k !== 'a') assert.deepEqual(opened[k], (enc as Record<string, unknown>)[k]); // the rest untouched
      // Every leaf outside /a, at the leaf or any of its ancestors, refuses keyA.
      for (const p of leafPointers(doc)) {
        if (p === '/a' || p.startsWith('/a/')) {
          // Inside: keyA derives the leaf's own key.
          const rel = p.slice(2);
          const leafKey = keyForPointer(keyA, rel);
          assert.deepEqual(valueAt(await decryptJsonFields(enc, leafKey, p), p), valueAt(doc, p));
          continue;
        }
        await assert.rejects(decryptJsonFields(enc, keyA, p), hasCode('DDC_DECRYPT_FAILED'), p);
        const top = `/${p.split('/')[1]}`;
        await assert.rejects(decryptJsonFields(enc, keyA, top), hasCode('DDC_DECRYPT_FAILED'), top);
      }
      if (leafPointers(doc).length > 0) await assert.rejects(decryptJsonFields(enc, keyA, ''), hasCode('DDC_DECRYPT_FAILED'));
    }),
    { numRuns: 60 },
  );
});

test('moved or replaced ciphertext is DDC_DECRYPT_FAILED', async () => {
  const dek = generateDek();
  const root = rootFieldKey(dek);
  const enc = (await encryptJsonFields({ b: 'one', c: 'two', d: [1, 2] }, dek)) as Record<string, EncryptedJson>;
  await assert.rejects(decryptJsonFields({ ...enc, b: enc.c!, c: enc.b! }, root), hasCode('DDC_DECRYPT_FAILED')); // swapped leaves
  const arr = enc.d as EncryptedJson[];
  await assert.rejects(decryptJsonFields({ ...enc, d: [arr[1]!, arr[0]!] }, root), hasCode('DDC_DECRYPT_FAILED'));
  await assert.rejects(decryptJsonFields({ ...enc, b: 'plain' } as PlainJson, root), hasCode('DDC_DECRYPT_FAILED')); // plain value slipped in
  await assert.rejects(decryptJsonFields({ ...enc, b: { $ddcenc: 'AAAA' } }, root), hasCode('DDC_DECRYPT_FAILED'));
  await assert.rejects(decryptJsonFields({ ...enc, b: { $ddcenc: '!!' } }, root), hasCode('DDC_DECRYPT_FAILED'));
  await assert.rejects(decryptJsonFields(enc, rootFieldKey(generateDek())), hasCode('DDC_DECRYPT_FAILED'));
});

test('keys that look special stay plain keys', async () => {
  const dek = generateDek();
  const doc = JSON.parse('{"__proto__": {"x": 1}, "$ddcenc": "not a leaf", "a/b": {"~": 2}, "": 3}') as PlainJson;
  const enc = await encryptJsonFields(doc, dek);
  const back = await decryptJsonFields(enc, rootFieldKey(dek));
  assert.deepEqual(back, doc);
  assert.equal(Object.getPrototypeOf(back), Object.prototype);
  assert.deepEqual(await decryptJsonFields(enc, keyForPointer(rootFieldKey(dek), '/a~1b/~0'), '/a~1b/~0').then((d) => valueAt(d, '/a~1b/~0')), 2);
  assert.deepEqual(valueAt(await decryptJsonFields(enc, keyForPointer(rootFieldKey(dek), '/'), '/'), '/'), 3);
});

test('non-JSON input and missing pointers are DDC_INVALID_ARGUMENT', async () => {
  const dek = generateDek();
  for (const bad of [{ a: Number.NaN }, { a: undefined }, { a: new Date(0) }, [() => 1], { a: 1n }]) {
    await assert.rejects(encryptJsonFields(bad as unknown as PlainJson, dek), hasCode('DDC_INVALID_ARGUMENT'));
  }
  const enc = await encryptJsonFields({ a: [1] }, dek);
  for (const p of ['/b', '/a/1', '/a/01', '/a/0/x', 'a']) await assert.rejects(decryptJsonFields(enc, rootFieldKey(dek), p), hasCode('DDC_INVALID_ARGUMENT'), p);
});

test('a field grant opens the key of its subtree only, and cannot be moved to another pointer or opened as a DEK', async () => {
  const { sealFieldGrant, openFieldGrant, keyForPointer, rootFieldKey, openEdek, generateDek, generateObjectId, x25519PublicKey, encryptJsonFields, decryptJsonFields } = await import('../src/index.js');
  const dek = generateDek();
  const oid = generateObjectId();
  const secret = new Uint8Array(32).fill(5);
  const pub = x25519PublicKey(secret);
  const grant = await sealFieldGrant(rootFieldKey(dek), '/medical', pub, oid, null);
  const key = await openFieldGrant(grant, secret, oid);
  assert.deepEqual(key, keyForPointer(rootFieldKey(dek), '/medical'));
  const doc = { name: 'Ada', medical: { blood: 'O+' } };
  const opened = (await decryptJsonFields(await encryptJsonFields(doc, dek), key, '/medical')) as Record<string, unknown>;
  assert.deepEqual(opened.medical, { blood: 'O+' });
  assert.ok(typeof opened.name === 'object' && opened.name !== null && '$ddcenc' in opened.name, 'the rest stays sealed');
  const code = async (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => (e as { code?: string }).code);
  assert.equal(await code(openFieldGrant({ ...grant, ptr: '/name' }, secret, oid)), 'DDC_EDEK_INVALID', 'moved to another pointer');
  assert.equal(await code(openFieldGrant(grant, secret, generateObjectId())), 'DDC_EDEK_INVALID', 'another object');
  assert.equal(await code(openEdek(grant, secret, oid)), 'DDC_EDEK_INVALID', 'opened as the DEK');
});
