/** Which answer a /ipfs/ request gets: format, Accept by q, CAR parameters, scope, entity-bytes, and the refusals. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { negotiate } from '../src/ipfs/negotiate.js';
import { resolveEntityBytes } from '../src/ipfs/dag.js';
import { GatewayHttpError } from '../src/errors.js';

const q = (s: string) => new URLSearchParams(s);
const status = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    if (e instanceof GatewayHttpError) return e.status;
    throw e;
  }
  return 200;
};

test('format= wins over Accept', () => {
  assert.deepEqual(negotiate(q('format=raw'), 'application/vnd.ipld.car'), { format: 'raw' });
  const car = negotiate(q('format=car'), 'application/vnd.ipld.raw');
  assert.equal(car.format, 'car');
});

test('Accept picks the highest q we can serve; CAR parameters come from the media type or car-* params', () => {
  assert.deepEqual(negotiate(q(''), 'text/html, application/vnd.ipld.raw'), { format: 'raw' });
  const w = negotiate(q(''), 'application/vnd.ipld.raw;q=0.5, application/vnd.ipld.car;version=1;order=dfs;dups=y');
  assert.equal(w.format, 'car');
  assert.equal(w.format === 'car' && w.dups, true);
  const v2first = negotiate(q(''), 'application/vnd.ipld.car;version=2, application/vnd.ipld.car;version=1;q=0.4');
  assert.equal(v2first.format, 'car', 'version=2 skipped for the acceptable version=1');
  const param = negotiate(q('format=car&car-dups=y'), undefined);
  assert.equal(param.format === 'car' && param.dups, true);
  const dflt = negotiate(q('format=car'), undefined);
  assert.equal(dflt.format === 'car' && dflt.dups, false, 'dups=n by default');
});

test('scope and entity-bytes', () => {
  const b = negotiate(q('format=car&dag-scope=block'), undefined);
  assert.equal(b.format === 'car' && b.scope, 'block');
  const eb = negotiate(q('format=car&entity-bytes=-100:*'), undefined);
  assert.deepEqual(eb.format === 'car' && [eb.scope, eb.entityBytes], ['entity', { from: -100, to: '*' }]);
  assert.deepEqual(resolveEntityBytes({ from: 0, to: 99 }, 1000), [0, 99]);
  assert.deepEqual(resolveEntityBytes({ from: -100, to: '*' }, 1000), [900, 999]);
  assert.deepEqual(resolveEntityBytes({ from: 499, to: -1000 }, 2000), [499, 1000]);
  assert.deepEqual(resolveEntityBytes({ from: 10, to: 5000 }, 1000), [10, 999]);
  assert.equal(resolveEntityBytes({ from: 1000, to: '*' }, 1000), undefined);
  assert.equal(resolveEntityBytes({ from: 0, to: '*' }, 0), undefined);
});

test('refusals: 400 for a bad request, 406 for a type we cannot produce', () => {
  assert.equal(status(() => negotiate(q(''), undefined)), 400);
  assert.equal(status(() => negotiate(q(''), '*/*')), 400);
  assert.equal(status(() => negotiate(q(''), 'text/html')), 406);
  assert.equal(status(() => negotiate(q(''), 'application/vnd.ipld.car; version=2')), 406);
  assert.equal(status(() => negotiate(q('format=car&car-order=foo'), undefined)), 406);
  assert.equal(status(() => negotiate(q('format=dag-json'), undefined)), 400);
  assert.equal(status(() => negotiate(q('format=car&dag-scope=some'), undefined)), 400);
  assert.equal(status(() => negotiate(q('format=car&entity-bytes=a:b'), undefined)), 400);
  assert.equal(status(() => negotiate(q('format=raw&entity-bytes=0:1'), undefined)), 400);
});
