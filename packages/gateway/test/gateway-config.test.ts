/** The gateway's options: defaults, unknown keys refused, exactly one cluster source, paths of a config file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGatewayConfigFile, resolveGatewayConfig } from '../src/config.js';

const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
};

test('defaults', () => {
  const c = resolveGatewayConfig({ dataDir: '/tmp/gw', cluster: '/tmp/cluster.json' });
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.port, 0);
  assert.equal(c.cache.maxBytes, 1024 ** 3);
  assert.equal(c.ddcMaxAgeSeconds, 60);
  assert.deepEqual(c.identity, {});
});

test('unknown keys and bad values are refused with DDC_INVALID_CONFIG', () => {
  const base = { dataDir: '/tmp/gw', cluster: '/tmp/c.json' };
  assert.equal(code(() => resolveGatewayConfig({ ...base, prot: 1 } as never)), 'DDC_INVALID_CONFIG');
  assert.equal(code(() => resolveGatewayConfig({ ...base, cache: { maxbytes: 1 } } as never)), 'DDC_INVALID_CONFIG');
  assert.equal(code(() => resolveGatewayConfig({ ...base, identity: { keystore: 'a', mnemonic: 'b' } })), 'DDC_INVALID_CONFIG');
  assert.equal(code(() => resolveGatewayConfig({ ...base, port: 70000 })), 'DDC_INVALID_CONFIG');
  assert.equal(code(() => resolveGatewayConfig({ ...base, s3: { limits: { maxParts: 0 } } })), 'DDC_INVALID_CONFIG');
  assert.equal(code(() => resolveGatewayConfig({ dataDir: '/tmp/gw' })), 'DDC_INVALID_CONFIG', 'no cluster');
  assert.equal(code(() => resolveGatewayConfig({ ...base, chain: { rpcUrl: 'http://x', deployment: 'd', clusterId: 1 } })), 'DDC_INVALID_CONFIG', 'two clusters');
  assert.equal(code(() => resolveGatewayConfig({ dataDir: '/tmp/gw', chain: { rpcUrl: 'ftp://x', deployment: 'd', clusterId: 1 } })), 'DDC_INVALID_CONFIG');
});

test('a config file: relative paths resolve against its folder; live objects are refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ddc-gw-conf-'));
  try {
    const file = join(dir, 'gateway.json');
    await writeFile(file, JSON.stringify({ dataDir: 'data', chain: { rpcUrl: 'http://127.0.0.1:8545', deployment: 'deployment.json', clusterId: 1 }, identity: { keystore: 'k.json' }, port: 8080 }));
    const c = resolveGatewayConfig(await loadGatewayConfigFile(file));
    assert.equal(c.dataDir, join(dir, 'data'));
    assert.equal(c.chain?.deployment, join(dir, 'deployment.json'));
    assert.equal(c.identity.keystore, join(dir, 'k.json'));
    assert.equal(c.port, 8080);
    await writeFile(file, JSON.stringify({ dataDir: 'data', cluster: 'c.json', client: {} }));
    await assert.rejects(loadGatewayConfigFile(file), { code: 'DDC_INVALID_CONFIG' });
    await writeFile(file, '{not json');
    await assert.rejects(loadGatewayConfigFile(file), { code: 'DDC_INVALID_CONFIG' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
