// Writes records.json: object records v1 signed with the RFC 8032 TEST 1 key from fixed fields.
// Run after a build: node packages/core/test/vectors/records.gen.mjs
import { writeFileSync } from 'node:fs';
import { fromHex, keyPairFromSecret, signRecord, toHex } from '../../dist/src/index.js';

const secretKey = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60';
const key = keyPairFromSecret(fromHex(secretKey));
const t0 = 1767225600000; // 2026-01-01T00:00:00Z
const ver = (ms, rnd) => ms.toString(16).padStart(12, '0') + rnd;
const token = '4444435401' + 'ab'.repeat(40);
const cid = 'bafkreial4c7i3iblm37smyvl2ez4rlelhn6thukckortauqu37vgetjzki';
const hex = (n, b) => 'hex:' + b.repeat(n);
const cases = [
  { name: 'put', input: { bucket: 1, key: 'photos/cat.jpg', version: ver(t0, '00c0ffee'), time: t0, cid, size: 33000, contentType: 'image/jpeg', metadata: { author: 'ann', 'camera.model': 'X100' }, token, purges: null } },
  {
    name: 'encrypted put', input: {
      bucket: 7, key: 'doc/é.json', version: ver(t0 + 1, '12345678'), time: t0 + 1, cid, size: 1048576, contentType: 'application/json', metadata: {}, token,
      encryption: {
        alg: 'aes-256-gcm-chunked-v1', chunk: 1048560, oid: hex(16, '01'), size: 1048000,
        edeks: [{ to: hex(32, '02'), enc: hex(32, '03'), ct: hex(48, '04'), exp: null }],
        group: { t: 2, shares: [{ to: hex(32, '05'), enc: hex(32, '06'), ct: hex(49, '07'), exp: 1800000000 }, { to: hex(32, '08'), enc: hex(32, '09'), ct: hex(49, '0a'), exp: null }] },
      },
    },
  },
  { name: 'delete marker', input: { bucket: 1, key: 'photos/cat.jpg', version: ver(t0 + 2000, 'deadbeef'), time: t0 + 2000, cid: null, size: 0, token, purges: null } },
  { name: 'purge', input: { bucket: 1, key: 'photos/cat.jpg', version: ver(t0 + 3000, '00000001'), time: t0 + 3000, cid: null, size: 0, token, purges: ver(t0, '00c0ffee') } },
];
const unhex = (v) => typeof v === 'string' && v.startsWith('hex:') ? fromHex(v.slice(4)) : Array.isArray(v) ? v.map(unhex) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unhex(x)])) : v;
for (const c of cases) {
  const { token: tok, encryption, ...rest } = c.input;
  const input = { ...rest, token: fromHex(tok) };
  if (encryption !== undefined) input.encryption = unhex(encryption);
  c.bytes = toHex(signRecord(input, key).bytes);
}
const out = { comment: 'DDC object records v1: Ed25519 key = RFC 8032 TEST 1; bytes = DDCR || 0x01 || DAG-CBOR (see docs/FORMATS.md). "hex:" strings are bytes. Made by records.gen.mjs.', secretKey, publicKey: toHex(key.publicKey), cases };
writeFileSync(new URL('./records.json', import.meta.url), JSON.stringify(out, null, 2) + '\n');
