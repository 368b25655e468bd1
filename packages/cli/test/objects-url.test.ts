/** ddc:// URLs (fuzzed), --expires times, recipients and op lists of the object commands. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DdcError, deriveUserKeys, encodePublicIdentity, isDdcError, publicIdentityOf, toHex, DEV_MNEMONIC } from '@ddc/core';
import { formatDdcUrl, isDdcUrl, parseDdcUrl } from '../src/objects/url.js';
import { parseTimeFlag } from '../src/objects/times.js';
import { parseOps, parseRecipient } from '../src/objects/token-text.js';
import { UsageError } from '../src/errors.js';

const refused = (fn: () => unknown, code = 'DDC_INVALID_ARGUMENT') => assert.throws(fn, (e: unknown) => isDdcError(e) && e.code === code);

test('ddc:// URLs: bucket and key, / kept in keys, percent-decoding, no query or fragment', () => {
  assert.deepEqual(parseDdcUrl('ddc://7/photos/cat.jpg'), { bucket: 7, key: 'photos/cat.jpg' });
  assert.deepEqual(parseDdcUrl('DDC://7/a'), { bucket: 7, key: 'a' });
  assert.deepEqual(parseDdcUrl('ddc://7'), { bucket: 7, key: '' });
  assert.deepEqual(parseDdcUrl('ddc://7/'), { bucket: 7, key: '' });
  assert.deepEqual(parseDdcUrl('ddc://7/dir/'), { bucket: 7, key: 'dir/' });
  assert.deepEqual(parseDdcUrl('ddc://7//x'), { bucket: 7, key: '/x' });
  assert.deepEqual(parseDdcUrl('ddc://7/a%20b%2Fc'), { bucket: 7, key: 'a b/c' });
  assert.deepEqual(parseDdcUrl('ddc://7/100%25'), { bucket: 7, key: '100%' });
  assert.deepEqual(parseDdcUrl('ddc://7/caf%C3%A9'), { bucket: 7, key: 'café' });
  assert.deepEqual(parseDdcUrl('ddc://7/q?x=1#top'), { bucket: 7, key: 'q?x=1#top' });
  assert.deepEqual(parseDdcUrl('ddc://0/k'), { bucket: 0, key: 'k' });
  assert.equal(formatDdcUrl({ bucket: 7, key: 'a b/100%/c?d' }), 'ddc://7/a%20b/100%25/c%3Fd');
  assert.equal(formatDdcUrl({ bucket: 7, key: '' }), 'ddc://7');
  assert.ok(isDdcUrl('ddc://1/x') && isDdcUrl('Ddc://1') && !isDdcUrl('./ddc://x') && !isDdcUrl('file.txt'));
});

test('ddc:// URLs: malformed ones are refused with DDC_INVALID_ARGUMENT and a hint', () => {
  for (const bad of [
    'ddc:/7/a', 's3://7/a', 'ddc://', 'ddc:///a', 'ddc://x/a', 'ddc://-1/a', 'ddc://007/a', 'ddc://7a/b', 'ddc:// 7/a', 'ddc://1.5/a',
    'ddc://99999999999999999999/a', 'ddc://7/%', 'ddc://7/%zz', 'ddc://7/%ff', 'ddc://7/%C3', 'ddc://7/a%00b', 'ddc://7/a\0b',
    `ddc://7/${'k'.repeat(1025)}`, `ddc://7/${'é'.repeat(513)}`,
  ]) {
    assert.throws(() => parseDdcUrl(bad), (e: unknown) => isDdcError(e, 'DDC_INVALID_ARGUMENT') && e.hint !== undefined && e.message.includes('not a ddc:// URL'), bad);
  }
  refused(() => parseDdcUrl('ddc://7', { requireKey: true }));
  refused(() => parseDdcUrl('ddc://7/', { requireKey: true }));
  assert.deepEqual(parseDdcUrl(`ddc://7/${'k'.repeat(1024)}`, { requireKey: true }).key.length, 1024);
});

test('ddc:// URLs: format then parse gives back every valid bucket and key (property)', () => {
  const key = fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }).filter((k) => !k.includes('\0'));
  fc.assert(fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), key, (bucket, k) => {
    const text = formatDdcUrl({ bucket, key: k });
    assert.ok(isDdcUrl(text));
    assert.deepEqual(parseDdcUrl(text, { requireKey: true }), { bucket, key: k });
  }), { numRuns: 3000 });
});

test('ddc:// URLs: any text either parses to something that round-trips or fails with DDC_INVALID_ARGUMENT (fuzz)', () => {
  const tail = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: fc.constantFrom('%', '2', '5', 'F', 'f', 'C', '3', 'A', '0', '/', 'a', '9', 'z', '?', '#', '\0'), maxLength: 30 }),
  );
  const head = fc.oneof(fc.constant('ddc://'), fc.constant('DDC://'), fc.constant('ddc:/'), fc.string({ maxLength: 8 }));
  const bucket = fc.oneof(fc.nat().map(String), fc.string({ maxLength: 6 }), fc.constant('00'), fc.constant('9007199254740993'));
  fc.assert(fc.property(head, bucket, fc.boolean(), tail, (h, b, slash, t) => {
    const text = `${h}${b}${slash ? '/' : ''}${t}`;
    let u;
    try {
      u = parseDdcUrl(text);
    } catch (e) {
      assert.ok(e instanceof DdcError && e.code === 'DDC_INVALID_ARGUMENT', `unexpected ${String(e)} for ${JSON.stringify(text)}`);
      return;
    }
    assert.ok(Number.isSafeInteger(u.bucket) && u.bucket >= 0);
    assert.deepEqual(parseDdcUrl(formatDdcUrl(u)), u);
  }), { numRuns: 5000 });
});

test('--expires: durations from now and ISO times; anything else is a usage error', () => {
  const now = 1_700_000_000;
  assert.equal(parseTimeFlag('expires', '30s', now), now + 30);
  assert.equal(parseTimeFlag('expires', '15m', now), now + 900);
  assert.equal(parseTimeFlag('expires', '1h', now), now + 3600);
  assert.equal(parseTimeFlag('expires', '7d', now), now + 7 * 86400);
  assert.equal(parseTimeFlag('expires', '2w', now), now + 14 * 86400);
  assert.equal(parseTimeFlag('expires', '2030-01-31T12:00:00Z', now), Date.UTC(2030, 0, 31, 12) / 1000);
  assert.equal(parseTimeFlag('expires', '2030-01-31', now), Date.UTC(2030, 0, 31) / 1000);
  assert.equal(parseTimeFlag('expires', '2030-01-31T12:00:00+02:00', now), Date.UTC(2030, 0, 31, 10) / 1000);
  for (const bad of ['', '1', 'h', '1y', '-1h', '1.5h', '2030-01-31T12:00:00', 'tomorrow', '2030-13-45']) {
    assert.throws(() => parseTimeFlag('expires', bad, now), UsageError, bad);
  }
});

test('recipients: ddcid1… or a 64-hex Ed25519 key; ops: known names, sorted, no repeats', () => {
  const keys = deriveUserKeys(DEV_MNEMONIC);
  const id = encodePublicIdentity(publicIdentityOf(keys));
  assert.deepEqual(parseRecipient(id).ed25519, keys.signing.publicKey);
  assert.deepEqual(parseRecipient(id).identity?.x25519, keys.encryption.publicKey);
  assert.deepEqual(parseRecipient(toHex(keys.signing.publicKey)).ed25519, keys.signing.publicKey);
  assert.equal(parseRecipient(`0x${toHex(keys.signing.publicKey)}`).identity, undefined);
  refused(() => parseRecipient(`${id.slice(0, -2)}xx`), 'DDC_KEY_INVALID');
  refused(() => parseRecipient('00'.repeat(32)), 'DDC_KEY_INVALID'); // a small-order point
  assert.throws(() => parseRecipient('alice'), UsageError);
  assert.deepEqual(parseOps('list,get,get'), ['get', 'list']);
  assert.deepEqual(parseOps(' put , delete '), ['delete', 'put']);
  assert.throws(() => parseOps('get,read'), UsageError);
  assert.throws(() => parseOps(','), UsageError);
});
