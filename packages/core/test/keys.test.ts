// User keys: SLIP-0010 official vectors, derivation vectors (anvil's account 0 for the dev
// phrase, viem agrees), mnemonic checks, EIP-55, and the public identity string (round trip, fuzz).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { ed25519 } from '@noble/curves/ed25519.js';
import { getAddress } from 'viem';
import { mnemonicToAccount, privateKeyToAddress } from 'viem/accounts';
import {
  DERIVATION_PATHS, DEV_MNEMONIC, assertMnemonic, deriveUserKeys, encodePublicIdentity, evmAddressFromPrivateKey, fromHex, generateMnemonic,
  isDdcError, keyPairFromSecret, parsePublicIdentity, publicIdentityOf, slip10DeriveEd25519, toChecksumAddress, toHex, type PublicIdentity,
} from '../src/index.js';

interface Slip10Vectors {
  vectors: { seed: string; chains: { path: string; chainCode: string; private: string; public: string }[] }[];
}
interface KeyVector {
  mnemonic: string;
  bip39Passphrase: string;
  address: string;
  ed25519: string;
  x25519: string;
  signingSecret: string;
  encryptionSecret: string;
  publicIdentity: string;
}
const slip10 = JSON.parse(readFileSync(new URL('../../test/vectors/slip10-ed25519.json', import.meta.url), 'utf8')) as Slip10Vectors;
const keyVectors = (JSON.parse(readFileSync(new URL('../../test/vectors/keys.json', import.meta.url), 'utf8')) as { vectors: KeyVector[] }).vectors;

const ANVIL_ACCOUNT_0 = '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return isDdcError(e) ? e.code : `not a DdcError: ${String(e)}`;
  }
  return 'no error';
}

test('SLIP-0010 ed25519: official test vectors 1 and 2 (keys, chain codes, public keys)', () => {
  let checked = 0;
  for (const v of slip10.vectors) {
    for (const c of v.chains) {
      const node = slip10DeriveEd25519(fromHex(v.seed), c.path);
      assert.equal(toHex(node.key), c.private, `${v.seed.slice(0, 8)} ${c.path}`);
      assert.equal(toHex(node.chainCode), c.chainCode, `${v.seed.slice(0, 8)} ${c.path}`);
      assert.equal(`00${toHex(keyPairFromSecret(node.key).publicKey)}`, c.public);
      checked++;
    }
  }
  assert.equal(checked, 12);
  // h and H mean hardened too.
  assert.equal(toHex(slip10DeriveEd25519(fromHex(slip10.vectors[0]!.seed), 'm/0H/1h').key), slip10.vectors[0]!.chains[2]!.private);
});

test('SLIP-0010 ed25519: refuses non-hardened and malformed paths', () => {
  const seed = fromHex(slip10.vectors[0]!.seed);
  for (const path of ['m/0', "m/0'/1", '', 'x/0\'', "m/2147483648'", "m/01'", "m/'", "m//0'", "m/0'/"]) {
    assert.equal(codeOf(() => slip10DeriveEd25519(seed, path)), 'DDC_INVALID_ARGUMENT', path);
  }
  assert.equal(codeOf(() => slip10DeriveEd25519(new Uint8Array(8), 'm')), 'DDC_INVALID_ARGUMENT');
  assert.equal(toHex(slip10DeriveEd25519(seed, "m/2147483647'").key).length, 64);
});

test("the dev phrase's ledger account is anvil's account 0, as viem derives it", () => {
  const keys = deriveUserKeys(DEV_MNEMONIC);
  assert.equal(keys.evm.address, ANVIL_ACCOUNT_0);
  assert.equal(keys.evm.address, mnemonicToAccount(DEV_MNEMONIC).address);
  assert.equal(privateKeyToAddress(`0x${toHex(keys.evm.privateKey)}`), ANVIL_ACCOUNT_0);
  assert.deepEqual(DERIVATION_PATHS, { evm: "m/44'/60'/0'/0/0", signing: "m/44'/60'/0'/1'/0'", encryption: "m/44'/60'/0'/2'/0'" });
});

test('derivation vectors: addresses, Ed25519 and X25519 keys, public identity', () => {
  assert.ok(keyVectors.length >= 3);
  assert.equal(keyVectors[1]!.mnemonic.split(' ').length, 24);
  for (const v of keyVectors) {
    const keys = deriveUserKeys(v.mnemonic, v.bip39Passphrase);
    assert.equal(keys.evm.address, v.address);
    assert.equal(keys.evm.address, mnemonicToAccount(v.mnemonic, v.bip39Passphrase ? { passphrase: v.bip39Passphrase } : {}).address);
    assert.equal(toHex(keys.signing.secretKey), v.signingSecret);
    assert.equal(toHex(keys.signing.publicKey), v.ed25519);
    assert.equal(toHex(keys.encryption.secretKey), v.encryptionSecret);
    assert.equal(toHex(keys.encryption.publicKey), v.x25519);
    assert.equal(encodePublicIdentity(publicIdentityOf(keys)), v.publicIdentity);
  }
  // The BIP39 passphrase changes every key.
  const [, plain, withPass] = keyVectors;
  assert.notEqual(plain!.address, withPass!.address);
  assert.notEqual(plain!.ed25519, withPass!.ed25519);
  assert.notEqual(plain!.x25519, withPass!.x25519);
});

test('the three keys are independent: signing and encryption secrets differ from each other and the EVM key', () => {
  const k = deriveUserKeys(keyVectors[1]!.mnemonic);
  const secrets = new Set([toHex(k.evm.privateKey), toHex(k.signing.secretKey), toHex(k.encryption.secretKey)]);
  assert.equal(secrets.size, 3);
});

test('mnemonics: 24 words by default, 12 for 128 bits, fresh each time, normalised on input', () => {
  const m24 = generateMnemonic();
  const m12 = generateMnemonic(128);
  assert.equal(m24.split(' ').length, 24);
  assert.equal(m12.split(' ').length, 12);
  assert.notEqual(generateMnemonic(), m24);
  assert.equal(assertMnemonic(m24), m24);
  assert.equal(assertMnemonic(`  ${DEV_MNEMONIC.toUpperCase().replaceAll(' ', ' \n\t ')}\n`), DEV_MNEMONIC);
  assert.equal(deriveUserKeys(`  ${DEV_MNEMONIC}  `).evm.address, ANVIL_ACCOUNT_0);
  assert.equal(codeOf(() => generateMnemonic(160 as 128)), 'DDC_INVALID_ARGUMENT');
});

test('mnemonics: a wrong checksum, an unknown word or a wrong count is DDC_MNEMONIC_INVALID with a hint', () => {
  const bad = [
    DEV_MNEMONIC.replace('junk', 'test'), // checksum
    DEV_MNEMONIC.replace('junk', 'junkk'), // not a word
    'test test test', // count
    '',
    `${DEV_MNEMONIC} test`,
  ];
  for (const m of bad) {
    assert.equal(codeOf(() => assertMnemonic(m)), 'DDC_MNEMONIC_INVALID', m);
    assert.equal(codeOf(() => deriveUserKeys(m)), 'DDC_MNEMONIC_INVALID', m);
  }
  assert.throws(() => assertMnemonic(DEV_MNEMONIC.replace('junk', 'junkk')), (e) => {
    assert.ok(isDdcError(e, 'DDC_MNEMONIC_INVALID') && e.hint && /word 12/.test(e.message));
    assert.ok(!e.message.includes('junkk'), 'the error must not echo the secret phrase');
    return true;
  });
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (s) => {
      const c = codeOf(() => assertMnemonic(s));
      return c === 'DDC_MNEMONIC_INVALID' || c === 'no error';
    }),
  );
});

test('EIP-55: the specification examples, and agreement with viem for random keys', () => {
  for (const a of ['0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', '0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359', '0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB', '0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb']) {
    assert.equal(toChecksumAddress(a.toLowerCase()), a);
    assert.equal(toChecksumAddress(a.slice(2).toUpperCase()), a);
  }
  assert.equal(codeOf(() => toChecksumAddress('0x1234')), 'DDC_INVALID_ARGUMENT');
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (b) => toChecksumAddress(toHex(b)) === getAddress(`0x${toHex(b)}`)),
    { numRuns: 200 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((b) => b.some((x) => x !== 0) && b[0]! < 0xff), (pk) => {
      return evmAddressFromPrivateKey(pk) === privateKeyToAddress(`0x${toHex(pk)}`);
    }),
    { numRuns: 50 },
  );
  assert.equal(codeOf(() => evmAddressFromPrivateKey(new Uint8Array(32))), 'DDC_KEY_INVALID');
  assert.equal(codeOf(() => evmAddressFromPrivateKey(new Uint8Array(31).fill(1))), 'DDC_KEY_INVALID');
});

function identityArb(): fc.Arbitrary<PublicIdentity> {
  return fc.tuple(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 20, maxLength: 20 })).map(([seed, xs, addr]) => ({
    ed25519: keyPairFromSecret(seed).publicKey,
    x25519: deriveX25519(xs),
    address: toChecksumAddress(toHex(addr)),
  }));
}

function deriveX25519(secret: Uint8Array): Uint8Array {
  return ed25519.utils.toMontgomery(keyPairFromSecret(secret).publicKey);
}

test('public identity: round trip for the dev identity and random ones', () => {
  const dev = publicIdentityOf(deriveUserKeys(DEV_MNEMONIC));
  const text = encodePublicIdentity(dev);
  assert.match(text, /^ddcid1[A-Za-z0-9_-]{114}$/);
  assert.deepEqual(parsePublicIdentity(text), dev);
  assert.deepEqual(parsePublicIdentity(` ${text}\n`), dev);
  fc.assert(
    fc.property(identityArb(), (id) => {
      const s = encodePublicIdentity(id);
      assert.deepEqual(parsePublicIdentity(s), id);
      assert.equal(encodePublicIdentity(parsePublicIdentity(s)), s);
    }),
    { numRuns: 100 },
  );
});

function body(id: PublicIdentity): Uint8Array {
  const s = encodePublicIdentity(id).slice(6).replaceAll('-', '+').replaceAll('_', '/');
  return Uint8Array.from(atob(s + '='.repeat((4 - (s.length % 4)) % 4)), (c) => c.charCodeAt(0));
}
function text(b: Uint8Array): string {
  return `ddcid1${btoa(String.fromCharCode(...b)).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '')}`;
}

test('public identity: every wrong part is DDC_KEY_INVALID', () => {
  const dev = publicIdentityOf(deriveUserKeys(DEV_MNEMONIC));
  const good = body(dev);
  assert.deepEqual(parsePublicIdentity(text(good)), dev); // the helpers are right
  const cases: [string, string][] = [
    ['prefix', `ddcid2${encodePublicIdentity(dev).slice(6)}`],
    ['short', encodePublicIdentity(dev).slice(0, -1)],
    ['long', `${encodePublicIdentity(dev)}A`],
    ['padding', `${encodePublicIdentity(dev).slice(0, -2)}==`],
    ['alphabet', `${encodePublicIdentity(dev).slice(0, -1)}+`],
    ['empty', ''],
  ];
  const version = Uint8Array.from(good);
  version[0] = 2;
  cases.push(['version', text(version)]);
  const smallOrder = Uint8Array.from(good);
  smallOrder.set(new Uint8Array(32), 1);
  smallOrder[1] = 1; // the identity point: valid encoding, small order
  cases.push(['ed25519 small order', text(smallOrder)]);
  const offCurve = Uint8Array.from(good);
  offCurve.set(new Uint8Array(32).fill(0xff), 1);
  cases.push(['ed25519 not canonical', text(offCurve)]);
  const xZero = Uint8Array.from(good);
  xZero.set(new Uint8Array(32), 33);
  cases.push(['x25519 zero', text(xZero)]);
  const xOne = Uint8Array.from(good);
  xOne.set(new Uint8Array(32), 33);
  xOne[33] = 1;
  cases.push(['x25519 low order', text(xOne)]);
  const xBig = Uint8Array.from(good);
  xBig.set(new Uint8Array(32).fill(0xff), 33);
  xBig[64] = 0x7f; // 2^255 - 1 > p
  cases.push(['x25519 not canonical', text(xBig)]);
  // Non-zero trailing bits in the last base64url character (85 bytes in 114 characters leave 4 spare bits).
  const t = encodePublicIdentity(dev);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = alphabet.indexOf(t.at(-1)!);
  cases.push(['trailing bits', t.slice(0, -1) + alphabet[last ^ 1]!]);
  for (const [what, s] of cases) assert.equal(codeOf(() => parsePublicIdentity(s)), 'DDC_KEY_INVALID', what);
});

test('public identity parser fuzz: any string or mutation is DDC_KEY_INVALID or a canonical identity', () => {
  const valid = encodePublicIdentity(publicIdentityOf(deriveUserKeys(DEV_MNEMONIC)));
  const accept = (s: string) => {
    let id: PublicIdentity;
    try {
      id = parsePublicIdentity(s);
    } catch (e) {
      assert.ok(isDdcError(e, 'DDC_KEY_INVALID'), String(e));
      return;
    }
    assert.equal(encodePublicIdentity(id), s.trim());
  };
  fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => accept(s)), { numRuns: 300 });
  fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), minLength: 114, maxLength: 114 }), (s) => accept(`ddcid1${s}`)), { numRuns: 200 });
  fc.assert(
    fc.property(fc.nat({ max: valid.length - 1 }), fc.string({ maxLength: 3 }), fc.nat({ max: 2 }), (at, ins, del) => accept(valid.slice(0, at) + ins + valid.slice(at + del))),
    { numRuns: 300 },
  );
});
