/** The node's Ed25519 identity: key file, /info, signed challenge answers and header statements. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, writeFile, chmod, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  HEADER_STATEMENT_HTTP, checkChallengeAnswer, decodeKeyFile, decodeShardHeader, fromHex, isDdcError, parseChallengeAnswer, toHex,
  verifyHeaderStatement, type EncodedShard,
} from '@ddc/core';
import { startNode, IDENTITY_KEY_FILE } from '../src/index.js';
import { json, makeShard, makeStripe, nodeConfig, putShard, rawRequest, startTestNode } from './helpers.js';

const silent = { log: () => undefined };

function fieldsOf(s: EncodedShard) {
  const { roots: _roots, ...fields } = s.header;
  return fields;
}

describe('node identity', () => {
  it('creates identity.key (0600) at first start, keeps it across restarts, shows it in /info', async () => {
    const t = await startTestNode();
    try {
      const file = join(t.dataDir, IDENTITY_KEY_FILE);
      const st = await stat(file);
      assert.equal(st.mode & 0o777, 0o600);
      assert.equal(st.size, 42);
      assert.equal(toHex(decodeKeyFile(await readFile(file)).publicKey), t.node.publicKey);
      assert.match(t.node.publicKey, /^[0-9a-f]{64}$/);
      assert.equal(json(await rawRequest(`${t.node.url}/info`)).publicKey, t.node.publicKey);
      assert.deepEqual((await readdir(t.dataDir)).filter((n) => n.startsWith('identity.key.')), [], 'no temp files left');
      const first = t.node.publicKey;
      await t.node.close();
      await chmod(file, 0o644);
      const warnings: unknown[] = [];
      const again = await startNode(nodeConfig(t.dataDir), { log: (e) => warnings.push(e) });
      try {
        assert.equal(again.publicKey, first);
        assert.equal((await stat(file)).mode & 0o777, 0o600, 'a key readable by others is narrowed to 0600');
        assert.ok(warnings.some((w) => JSON.stringify(w).includes('narrowed')));
      } finally {
        await again.close();
      }
    } finally {
      await t.cleanup();
    }
  });

  it('refuses to start on a damaged key file instead of taking a new identity', async () => {
    const t = await startTestNode();
    try {
      await t.node.close();
      const file = join(t.dataDir, IDENTITY_KEY_FILE);
      const bytes = await readFile(file);
      bytes[10]! ^= 1;
      await writeFile(file, bytes);
      await assert.rejects(startNode(nodeConfig(t.dataDir), silent), (e: unknown) => isDdcError(e, 'DDC_KEY_INVALID') && /identity\.key/.test(e.message));
    } finally {
      await t.cleanup();
    }
  });

  it('signs challenge answers that verify, echoing the nonce', async () => {
    const t = await startTestNode();
    try {
      const shards = [makeShard(3000), makeShard(500_000), makeShard(0)];
      for (const s of shards) assert.equal((await putShard(t.node.url, s)).status, 201);
      for (const s of shards) {
        const leaves = Math.max(1, Math.ceil(s.header.shardLength / 16384));
        for (let j = 0; j < leaves; j++) {
          const nonce = toHex(Uint8Array.from([j, 1, 2, 3]));
          const r = await rawRequest(`${t.node.url}/v1/shards/${s.id}/challenge?leaf=${j}&nonce=${nonce}`);
          assert.equal(r.status, 200);
          const body = json(r);
          for (const key of ['id', 'leafIndex', 'leafCount', 'leaf', 'proof', 'header', 'time', 'nodeId', 'publicKey', 'signature']) assert.ok(key in body, key);
          const a = parseChallengeAnswer(body);
          assert.equal(a.nodeId, 'node-1');
          assert.equal(toHex(a.publicKey), t.node.publicKey);
          assert.ok(Math.abs(a.time - Date.now()) < 60_000);
          const verdict = checkChallengeAnswer(a, fromHex(s.id), fieldsOf(s), { publicKey: fromHex(t.node.publicKey), shardId: fromHex(s.id), leafIndex: j, nonce: fromHex(nonce) });
          assert.deepEqual(verdict, { pass: true });
        }
      }
      const bad = await rawRequest(`${t.node.url}/v1/shards/${shards[0]!.id}/challenge?leaf=0&nonce=XYZ`);
      assert.equal(bad.status, 400);
      assert.equal(json(bad).code, 'DDC_INVALID_ARGUMENT');
    } finally {
      await t.cleanup();
    }
  });

  it('serves signed raw headers at /v1/shards/{id}/header', async () => {
    const t = await startTestNode();
    try {
      const stripe = makeStripe(200_000, 4, 2);
      const small = makeShard(100);
      for (const s of [stripe[2]!, small]) assert.equal((await putShard(t.node.url, s)).status, 201);
      for (const s of [stripe[2]!, small]) {
        const r = await rawRequest(`${t.node.url}/v1/shards/${s.id}/header`);
        assert.equal(r.status, 200);
        const headerBytes = s.bytes.subarray(0, s.bytes.length - s.header.shardLength);
        assert.deepEqual(new Uint8Array(r.body), headerBytes);
        assert.equal(decodeShardHeader(r.body).header.index, s.header.index);
        const statement = {
          v: 1 as const,
          nodeId: String(r.headers[HEADER_STATEMENT_HTTP.nodeId]),
          publicKey: fromHex(String(r.headers[HEADER_STATEMENT_HTTP.publicKey])),
          shardId: fromHex(s.id),
          header: new Uint8Array(r.body),
          time: Number(r.headers[HEADER_STATEMENT_HTTP.time]),
          signature: fromHex(String(r.headers[HEADER_STATEMENT_HTTP.signature])),
        };
        assert.equal(statement.nodeId, 'node-1');
        assert.equal(toHex(statement.publicKey), t.node.publicKey);
        assert.ok(verifyHeaderStatement(statement));
        assert.ok(!verifyHeaderStatement({ ...statement, time: statement.time + 1 }));
      }
      const head = await rawRequest(`${t.node.url}/v1/shards/${small.id}/header`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.body.length, 0);
      const missing = await rawRequest(`${t.node.url}/v1/shards/${'ab'.repeat(32)}/header`);
      assert.equal(missing.status, 404);
      assert.equal(json(missing).code, 'DDC_SHARD_NOT_FOUND');
      const cors = await rawRequest(`${t.node.url}/v1/shards/${small.id}/header`, { headers: { origin: 'http://example.test' } });
      assert.match(String(cors.headers['access-control-expose-headers']), /x-ddc-signature/);
      assert.equal((await rawRequest(`${t.node.url}/v1/shards/${small.id}/header`, { method: 'PUT' })).status, 405);
    } finally {
      await t.cleanup();
    }
  });

  it('with faults.badProofs, answers are wrong but still signed: attributable evidence', async () => {
    const t = await startTestNode({ faults: { badProofs: true } });
    try {
      for (const s of [makeShard(500_000), makeShard(100), makeShard(0)]) {
        assert.equal((await putShard(t.node.url, s)).status, 201);
        const a = parseChallengeAnswer(json(await rawRequest(`${t.node.url}/v1/shards/${s.id}/challenge?leaf=0`)));
        const verdict = checkChallengeAnswer(a, fromHex(s.id), fieldsOf(s), { publicKey: fromHex(t.node.publicKey) });
        assert.equal(verdict.pass, false);
        if (!verdict.pass) {
          assert.equal(verdict.signatureValid, true);
          assert.equal(verdict.proven, true, verdict.message);
        }
      }
    } finally {
      await t.cleanup();
    }
  });
});
