// Keystore file v1: a checked-in file opens to its phrase; round trip; wrong passphrase and any
// edit to the sealed bytes are DDC_KEYSTORE_PASSPHRASE; malformed files are only DDC_KEYSTORE_INVALID.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  DEV_KEYSTORE_N, DEV_MNEMONIC, KEYSTORE_N, createKeystore, decodeBase64Strict, deriveUserKeys, encodeBase64, isDdcError, openKeystore, parseKeystore, toHex,
  type KeystoreFile,
} from '../src/index.js';

const vector = (JSON.parse(readFileSync(new URL('../../test/vectors/keys.json', import.meta.url), 'utf8')) as {
  keystore: { passphrase: string; mnemonic: string; file: KeystoreFile };
}).keystore;

async function codeOf(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (e) {
    return isDdcError(e) ? e.code : `not a DdcError: ${String(e)}`;
  }
  return 'no error';
}

function syncCodeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return isDdcError(e) ? e.code : `not a DdcError: ${String(e)}`;
  }
  return 'no error';
}

const clone = (f: KeystoreFile): KeystoreFile => JSON.parse(JSON.stringify(f)) as KeystoreFile;

test('the checked-in keystore opens to its phrase (NFC or NFD passphrase: both are NFKD inside)', async () => {
  assert.equal(await openKeystore(parseKeystore(vector.file), vector.passphrase), vector.mnemonic);
  assert.equal(await openKeystore(vector.file, vector.passphrase.normalize('NFD')), vector.mnemonic);
  assert.equal(await codeOf(() => openKeystore(vector.file, vector.passphrase.toUpperCase())), 'DDC_KEYSTORE_PASSPHRASE');
});

let dev: KeystoreFile;
test('round trip: the dev keystore, through JSON text, records N, r, p and the public keys', async () => {
  dev = await createKeystore(DEV_MNEMONIC, '', { N: DEV_KEYSTORE_N });
  const back = parseKeystore(JSON.parse(JSON.stringify(dev)));
  assert.deepEqual(back, dev);
  assert.deepEqual({ N: back.kdf.N, r: back.kdf.r, p: back.kdf.p }, { N: 16384, r: 8, p: 1 });
  assert.deepEqual(Object.keys(dev), ['format', 'version', 'kdf', 'cipher', 'ciphertext', 'public']);
  const keys = deriveUserKeys(DEV_MNEMONIC);
  assert.deepEqual(dev.public, { address: keys.evm.address, ed25519: toHex(keys.signing.publicKey), x25519: toHex(keys.encryption.publicKey) });
  assert.equal(await openKeystore(back, ''), DEV_MNEMONIC);
  // Fresh salt and nonce each time; the phrase is not in the file.
  const again = await createKeystore(DEV_MNEMONIC, '', { N: DEV_KEYSTORE_N });
  assert.notEqual(again.kdf.salt, dev.kdf.salt);
  assert.notEqual(again.cipher.nonce, dev.cipher.nonce);
  assert.ok(!JSON.stringify(dev).includes('junk'));
});

test('the default cost is N = 131072; bad phrases and costs are refused', async () => {
  const f = await createKeystore(DEV_MNEMONIC, 'long passphrase');
  assert.equal(f.kdf.N, KEYSTORE_N);
  assert.equal(KEYSTORE_N, 131072);
  assert.equal(await codeOf(() => createKeystore('test test test', '', { N: DEV_KEYSTORE_N })), 'DDC_MNEMONIC_INVALID');
  for (const N of [1000, 512, 2 ** 21, 1.5]) assert.equal(await codeOf(() => createKeystore(DEV_MNEMONIC, '', { N })), 'DDC_INVALID_ARGUMENT', String(N));
});

test('a wrong passphrase is DDC_KEYSTORE_PASSPHRASE', async () => {
  const f = await createKeystore(DEV_MNEMONIC, 'right', { N: DEV_KEYSTORE_N });
  assert.equal(await codeOf(() => openKeystore(f, 'wrong')), 'DDC_KEYSTORE_PASSPHRASE');
  assert.equal(await codeOf(() => openKeystore(f, '')), 'DDC_KEYSTORE_PASSPHRASE');
  assert.equal(await openKeystore(f, 'right'), DEV_MNEMONIC);
});

function flipByte(b64: string, at: number, max: number): string {
  const bytes = decodeBase64Strict(b64, max)!;
  const i = at % bytes.length;
  bytes[i] = bytes[i]! ^ 0x01;
  return encodeBase64(bytes);
}

test('tampering with the ciphertext, nonce, salt or cost fails the AEAD: DDC_KEYSTORE_PASSPHRASE', async () => {
  for (let at = 0; at < 4; at++) {
    const f = clone(dev);
    f.ciphertext = flipByte(f.ciphertext, at * 17, 2048);
    assert.equal(await codeOf(() => openKeystore(f, '')), 'DDC_KEYSTORE_PASSPHRASE', `ciphertext byte ${at * 17}`);
  }
  const tag = clone(dev);
  tag.ciphertext = flipByte(tag.ciphertext, decodeBase64Strict(tag.ciphertext, 2048)!.length - 1, 2048);
  assert.equal(await codeOf(() => openKeystore(tag, '')), 'DDC_KEYSTORE_PASSPHRASE', 'tag');
  const nonce = clone(dev);
  nonce.cipher.nonce = flipByte(nonce.cipher.nonce, 0, 12);
  assert.equal(await codeOf(() => openKeystore(nonce, '')), 'DDC_KEYSTORE_PASSPHRASE', 'nonce');
  const salt = clone(dev);
  salt.kdf.salt = flipByte(salt.kdf.salt, 5, 64);
  assert.equal(await codeOf(() => openKeystore(salt, '')), 'DDC_KEYSTORE_PASSPHRASE', 'salt');
  const cost = clone(dev);
  cost.kdf.N = 8192;
  assert.equal(await codeOf(() => openKeystore(cost, '')), 'DDC_KEYSTORE_PASSPHRASE', 'N');
});

test('an edited public part is refused on open (DDC_KEYSTORE_INVALID): show never lies about whose keys these are', async () => {
  const other = deriveUserKeys(vector.mnemonic);
  const f = clone(dev);
  f.public.x25519 = toHex(other.encryption.publicKey);
  assert.equal(await codeOf(() => openKeystore(f, '')), 'DDC_KEYSTORE_INVALID');
  const g = clone(dev);
  g.public.address = other.evm.address;
  assert.equal(await codeOf(() => openKeystore(g, '')), 'DDC_KEYSTORE_INVALID');
});

test('malformed files: each named defect is DDC_KEYSTORE_INVALID', () => {
  const edits: [string, (f: Record<string, any>) => void][] = [
    ['format', (f) => (f.format = 'ddc-keystor')],
    ['version 2', (f) => (f.version = 2)],
    ['version "1"', (f) => (f.version = '1')],
    ['unknown top field', (f) => (f.extra = 1)],
    ['unknown kdf field', (f) => (f.kdf.dklen = 32)],
    ['missing ciphertext', (f) => delete f.ciphertext],
    ['kdf pbkdf2', (f) => (f.kdf.name = 'pbkdf2')],
    ['N not a power of two', (f) => (f.kdf.N = 16383)],
    ['N too small', (f) => (f.kdf.N = 512)],
    ['N too large for memory', (f) => (f.kdf.N = 2 ** 22)],
    ['r zero', (f) => (f.kdf.r = 0)],
    ['p float', (f) => (f.kdf.p = 1.5)],
    ['salt short', (f) => (f.kdf.salt = encodeBase64(new Uint8Array(8)))],
    ['salt not base64', (f) => (f.kdf.salt = 'not base64!')],
    ['salt unpadded', (f) => (f.kdf.salt = (f.kdf.salt as string).replace(/=+$/, ''))],
    ['cipher', (f) => (f.cipher.name = 'aes-128-gcm')],
    ['nonce 16 bytes', (f) => (f.cipher.nonce = encodeBase64(new Uint8Array(16)))],
    ['ciphertext only a tag', (f) => (f.ciphertext = encodeBase64(new Uint8Array(16)))],
    ['ciphertext huge', (f) => (f.ciphertext = encodeBase64(new Uint8Array(4096)))],
    ['address not checksummed', (f) => (f.public.address = (f.public.address as string).toLowerCase())],
    ['ed25519 upper case', (f) => (f.public.ed25519 = (f.public.ed25519 as string).toUpperCase())],
    ['x25519 short', (f) => (f.public.x25519 = (f.public.x25519 as string).slice(2))],
    ['public array', (f) => (f.public = [])],
    ['kdf null', (f) => (f.kdf = null)],
  ];
  for (const [what, edit] of edits) {
    const f = clone(dev) as unknown as Record<string, any>;
    edit(f);
    assert.equal(syncCodeOf(() => parseKeystore(f)), 'DDC_KEYSTORE_INVALID', what);
  }
  for (const v of [null, undefined, 1, 'x', [], {}, [dev]]) assert.equal(syncCodeOf(() => parseKeystore(v)), 'DDC_KEYSTORE_INVALID');
});

test('fuzz: any JSON value, or a valid file with a random field replaced or removed, parses or is DDC_KEYSTORE_INVALID', () => {
  fc.assert(fc.property(fc.anything(), (v) => syncCodeOf(() => parseKeystore(v)) === 'DDC_KEYSTORE_INVALID'), { numRuns: 500 });
  const paths = [['format'], ['version'], ['kdf'], ['kdf', 'name'], ['kdf', 'N'], ['kdf', 'r'], ['kdf', 'p'], ['kdf', 'salt'], ['cipher'], ['cipher', 'name'], ['cipher', 'nonce'], ['ciphertext'], ['public'], ['public', 'address'], ['public', 'ed25519'], ['public', 'x25519'], ['extra']];
  fc.assert(
    fc.property(fc.constantFrom(...paths), fc.option(fc.jsonValue(), { nil: undefined }), (path, value) => {
      const f = clone(dev) as unknown as Record<string, unknown>;
      let obj = f;
      for (const k of path.slice(0, -1)) obj = obj[k] as Record<string, unknown>;
      if (value === undefined) delete obj[path.at(-1)!];
      else obj[path.at(-1)!] = value;
      const code = syncCodeOf(() => parseKeystore(f));
      // Only an identical value leaves the file valid.
      if (code === 'no error') assert.deepEqual(parseKeystore(f), dev);
      else assert.equal(code, 'DDC_KEYSTORE_INVALID');
    }),
    { numRuns: 1000 },
  );
  fc.assert(
    fc.property(fc.string({ maxLength: 400 }), (s) => {
      let v: unknown;
      try {
        v = JSON.parse(s);
      } catch {
        return;
      }
      assert.equal(syncCodeOf(() => parseKeystore(v)), 'DDC_KEYSTORE_INVALID');
    }),
  );
});
