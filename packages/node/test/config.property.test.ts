import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { isDdcError } from '@ddc/core';
import { loadNodeConfig, parseNodeConfig, NODE_CONFIG_DEFAULTS } from '../src/index.js';
import { tempDir } from './helpers.js';

const REQUIRED = { version: 1, id: 'node-1', zone: 'zone-a', dataDir: '/tmp/ddc-data' } as const;
const KNOWN = new Set(['version', 'id', 'zone', 'dataDir', 'host', 'port', 'maxShardBytes', 'inlineThreshold', 'maxConcurrentWrites', 'maxQueuedWrites', 'requestTimeoutMs', 'shutdownTimeoutMs', 'faults', 'cluster', 'chain', 'repair', 'scrub', 'auth']);

const validOptional = fc.record(
  {
    host: fc.constantFrom('127.0.0.1', '0.0.0.0', '::1', 'localhost'),
    port: fc.integer({ min: 0, max: 65535 }),
    maxShardBytes: fc.integer({ min: 1024 * 1024 + 1, max: 2 ** 32 - 1 }),
    inlineThreshold: fc.integer({ min: 0, max: 1024 * 1024 }),
    maxConcurrentWrites: fc.integer({ min: 1, max: 65536 }),
    maxQueuedWrites: fc.integer({ min: 0, max: 1_000_000 }),
    requestTimeoutMs: fc.integer({ min: 100, max: 86_400_000 }),
    shutdownTimeoutMs: fc.integer({ min: 0, max: 3_600_000 }),
    faults: fc.record({ corruptReads: fc.boolean(), delayMs: fc.integer({ min: 0, max: 60_000 }) }, { requiredKeys: [] }),
  },
  { requiredKeys: [] },
);

function parsesOrInvalid(input: unknown): void {
  try {
    parseNodeConfig(input);
  } catch (e) {
    assert.ok(isDdcError(e, 'DDC_INVALID_CONFIG'), `unexpected ${String(e)}`);
    assert.ok(e.hint, 'every refusal carries a fix hint');
  }
}

describe('node config parsing (property)', () => {
  it('accepts every valid config, fills defaults, and is idempotent', () => {
    fc.assert(
      fc.property(validOptional, fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,63}$/), (opt, id) => {
        const config = parseNodeConfig({ ...REQUIRED, id, ...opt });
        for (const [k, v] of Object.entries(NODE_CONFIG_DEFAULTS)) assert.equal(config[k as keyof typeof config], (opt as Record<string, unknown>)[k] ?? v);
        assert.deepEqual(parseNodeConfig(config), config);
      }),
    );
  });

  it('refuses any unknown key, naming it', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 20 }).filter((k) => !KNOWN.has(k) && k !== '__proto__'),
        fc.jsonValue(),
        (key, value) => {
          assert.throws(
            () => parseNodeConfig({ ...REQUIRED, [key]: value }),
            (e: unknown) => isDdcError(e, 'DDC_INVALID_CONFIG') && e.message.includes(JSON.stringify(key)) && /allowed keys/.test(e.message),
          );
        },
      ),
    );
    assert.throws(() => parseNodeConfig({ ...REQUIRED, faults: { corruptReads: true, typo: 1 } }), (e: unknown) => isDdcError(e, 'DDC_INVALID_CONFIG'));
  });

  it('answers any JSON value with a config or DDC_INVALID_CONFIG', () => {
    fc.assert(fc.property(fc.jsonValue(), parsesOrInvalid), { numRuns: 2000 });
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...KNOWN), fc.jsonValue()), (extra) => parsesOrInvalid({ ...REQUIRED, ...extra })),
      { numRuns: 3000 },
    );
  });

  it('refuses numbers out of range or not integers', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('port', 'maxShardBytes', 'maxConcurrentWrites', 'requestTimeoutMs'),
        fc.oneof(fc.constantFrom(-1, 0.5, Number.NaN, Infinity, 2 ** 40, '80', null, true)),
        (key, value) => {
          if (key !== 'port' || value !== 0) {
            assert.throws(() => parseNodeConfig({ ...REQUIRED, [key]: value }), (e: unknown) => isDdcError(e, 'DDC_INVALID_CONFIG'));
          }
        },
      ),
    );
    assert.throws(() => parseNodeConfig({ ...REQUIRED, version: 2 }), (e: unknown) => isDdcError(e, 'DDC_INVALID_CONFIG'));
    assert.throws(() => parseNodeConfig({ ...REQUIRED, id: 'Node_1' }), (e: unknown) => isDdcError(e, 'DDC_INVALID_CONFIG'));
    assert.throws(() => parseNodeConfig({ ...REQUIRED, inlineThreshold: 2048, maxShardBytes: 1024 }), (e: unknown) => isDdcError(e, 'DDC_INVALID_CONFIG'));
  });

  it('chain: rpcUrl, deployment (resolved against the config folder), clusterId; exclusive with cluster', () => {
    const chain = { rpcUrl: 'http://127.0.0.1:8545', deployment: 'deployment.json', clusterId: 1 };
    const config = parseNodeConfig({ ...REQUIRED, chain: { ...chain, pollMs: 500 } }, '/srv/ddc');
    assert.deepEqual(config.chain, { ...chain, deployment: '/srv/ddc/deployment.json', pollMs: 500 });
    for (const bad of [{ ...chain, rpcUrl: 'ws://x' }, { ...chain, clusterId: 0 }, { ...chain, deployment: '' }, { ...chain, extra: 1 }, 'x']) {
      assert.throws(() => parseNodeConfig({ ...REQUIRED, chain: bad }), (e: unknown) => isDdcError(e, 'DDC_INVALID_CONFIG'));
    }
    assert.throws(() => parseNodeConfig({ ...REQUIRED, cluster: 'cluster.json', chain }), (e: unknown) => isDdcError(e, 'DDC_INVALID_CONFIG'));
  });

  it('loads a file, resolving dataDir against its folder; bad files are DDC_INVALID_CONFIG', async () => {
    const dir = await tempDir();
    try {
      const file = join(dir.path, 'node.json');
      await writeFile(file, JSON.stringify({ ...REQUIRED, dataDir: 'store' }));
      const config = await loadNodeConfig(file);
      assert.equal(config.dataDir, resolve(dir.path, 'store'));
      assert.equal(config.maxShardBytes, 16 * 1024 * 1024 + 64 * 1024);
      assert.equal(config.inlineThreshold, 528 * 1024);
      await writeFile(file, '{"version":1,');
      await assert.rejects(loadNodeConfig(file), (e: unknown) => isDdcError(e, 'DDC_INVALID_CONFIG'));
      await assert.rejects(loadNodeConfig(join(dir.path, 'missing.json')), (e: unknown) => isDdcError(e, 'DDC_INVALID_CONFIG'));
    } finally {
      await dir.remove();
    }
  });
});
