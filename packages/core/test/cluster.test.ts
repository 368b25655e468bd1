import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseClusterDescriptor, stripeLayout, DdcError } from '../src/index.js';

const nodes = Array.from({ length: 6 }, (_, i) => ({ id: `n${i}`, url: `http://127.0.0.1:${7000 + i}/`, zone: `z${i % 3}` }));
const good = { version: 1, clusterId: 'dev', k: 4, m: 2, nodes };

function code(input: unknown): string {
  try {
    parseClusterDescriptor(input);
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof DdcError);
    return e.code;
  }
}

test('a good descriptor parses with defaults and normalised URLs', () => {
  const d = parseClusterDescriptor(good);
  assert.equal(d.replicationThreshold, 65536);
  assert.equal(d.nodes[0]!.url, 'http://127.0.0.1:7000');
});

test('bad descriptors are refused with DDC_INVALID_CLUSTER', () => {
  for (const bad of [
    null, [], { ...good, version: 2 }, { ...good, extra: 1 }, { ...good, k: 0 }, { ...good, k: 5 },
    { ...good, nodes: [...nodes.slice(1), { ...nodes[1]! }] }, { ...good, nodes: nodes.map((n) => ({ ...n, url: 'ftp://x' })) },
    { ...good, nodes: nodes.map((n, i) => (i === 0 ? { ...n, id: 'Bad Id' } : n)) }, { ...good, nodes: nodes.map((n) => ({ ...n, role: 'x' })) },
    { ...good, replicationThreshold: -1 },
  ]) assert.equal(code(bad), 'DDC_INVALID_CLUSTER', JSON.stringify(bad));
});

test('fuzz: any JSON value either parses or gives DDC_INVALID_CLUSTER', () => {
  fc.assert(fc.property(fc.jsonValue(), (v) => assert.ok(['ok', 'DDC_INVALID_CLUSTER'].includes(code(v)))), { numRuns: 500 });
});

test('small pieces are replicated m + 1 times, large ones coded', () => {
  const d = parseClusterDescriptor(good);
  assert.deepEqual(stripeLayout(100, d), { k: 1, m: 2, count: 3, replicated: true });
  assert.deepEqual(stripeLayout(1 << 20, d), { k: 4, m: 2, count: 6, replicated: false });
});

test('nodes may carry their Ed25519 public key (64 lowercase hex); other forms are refused', () => {
  const key = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
  const withKey = { ...good, nodes: nodes.map((n, i) => (i === 0 ? { ...n, publicKey: key } : n)) };
  const d = parseClusterDescriptor(withKey);
  assert.equal(d.nodes[0]!.publicKey, key);
  assert.equal('publicKey' in d.nodes[1]!, false, 'absent keys stay absent');
  assert.deepEqual(parseClusterDescriptor(JSON.parse(JSON.stringify(d))), d, 'round trip');
  for (const bad of [key.toUpperCase(), key.slice(2), `${key}00`, 42, null, ''])
    assert.equal(code({ ...good, nodes: nodes.map((n, i) => (i === 0 ? { ...n, publicKey: bad } : n)) }), 'DDC_INVALID_CLUSTER', String(bad));
});
