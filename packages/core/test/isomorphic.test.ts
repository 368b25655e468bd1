import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

// core must run in browsers: no node: modules, no Buffer, no process.
test('core sources use no Node-only APIs', () => {
  const dir = new URL('../../src', import.meta.url).pathname;
  const offenders: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.js')) {
        const src = readFileSync(p, 'utf8');
        if (/from ['"]node:|require\(|\bBuffer\.|\bprocess\./.test(src)) offenders.push(p);
      }
    }
  };
  walk(dir);
  assert.deepEqual(offenders, []);
});
