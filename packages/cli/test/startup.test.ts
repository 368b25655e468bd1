/**
 * What `ddc` loads before it runs a command: `--help` and put/get/stat/verify must not pull in
 * the node's LMDB, the gateway, the ledger or viem (about 0.3 s of start-up here when main.ts
 * imported every command). A module hook records every module the process resolves.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DDC_BIN } from '../src/index.js';

const HOOK = `export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  process.stderr.write('RESOLVED ' + r.url + '\\n');
  return r;
}`;

/** Modules a command that reads or writes data through the SDK has no use for. */
const HEAVY = [/\/node_modules\/lmdb\//, /\/node_modules\/viem\//, /\/node_modules\/@aws-sdk\//, /\/packages\/(node|gateway|ledger)\/dist\//];

function resolvedBy(args: string[]): { urls: string[]; status: number | null } {
  const dir = mkdtempSync(join(tmpdir(), 'ddc-startup-'));
  try {
    const register = join(dir, 'register.mjs');
    writeFileSync(register, `import { register } from 'node:module';\nregister('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOK)}));\n`);
    const run = spawnSync(process.execPath, ['--import', register, DDC_BIN, ...args], { encoding: 'utf8', env: { ...process.env, DDC_CLUSTER: join(dir, 'none.json') } });
    const urls = run.stderr.split('\n').filter((l) => l.startsWith('RESOLVED ')).map((l) => l.slice('RESOLVED '.length));
    return { urls, status: run.status };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('ddc --help and the data commands load none of the node, gateway or ledger modules', () => {
  for (const args of [['--help'], ['get'], ['put'], ['stat'], ['verify', 'not-a-cid']]) {
    const { urls, status } = resolvedBy(args);
    assert.ok(urls.some((u) => u.endsWith('/packages/cli/dist/src/main.js')), `the hook saw ${args.join(' ')} start (${urls.length} modules)`);
    assert.notEqual(status, null, `ddc ${args.join(' ')} exited`);
    const heavy = urls.filter((u) => HEAVY.some((h) => h.test(u)));
    assert.deepEqual(heavy, [], `ddc ${args.join(' ')} loaded ${heavy.slice(0, 3).join(', ')}`);
  }
  // The hook does see them when a command needs them.
  const node = resolvedBy(['node', 'start']);
  assert.ok(node.urls.some((u) => /\/packages\/node\/dist\//.test(u)), 'ddc node loads the node package');
});
