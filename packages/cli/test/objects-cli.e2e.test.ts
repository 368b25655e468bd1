/**
 * The bucket, object, token and sharing commands end to end: the real `ddc` binary against
 * real node processes on a real dev chain, as the dev identity (the dev keystore) and as a
 * second identity made with `ddc keys new`. Private objects are encrypted, read back byte
 * for byte, listed S3-style; a token lets the second identity list, a share lets it read;
 * a revoked token is refused by the nodes within seconds.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { deriveUserKeys, DEV_MNEMONIC, toHex } from '@ddc/core';
import { DDC_BIN } from '../src/index.js';
import { randomBytes, runCli, startCluster, type CliResult } from './helpers.js';

const MiB = 1024 * 1024;
let env: Awaited<ReturnType<typeof startCluster>>;
let base: Record<string, string>;
let bob: { keystore: string; publicIdentity: string; ed25519: string };
const BOB_PASS = 'bob passphrase';

before(async () => {
  env = await startCluster({
    nodes: 5, zones: 3, k: 2, m: 2,
    chain: { pollMs: 200 },
    nodeConfig: () => ({ auth: { revocationPollMs: 200 }, repair: { enabled: false }, scrub: { enabled: false } }),
  });
  const chain = env.cluster.chain!;
  base = {
    DDC_CLUSTER: env.cluster.clusterFile,
    DDC_RPC: chain.chain.rpcUrl,
    DDC_DEPLOYMENT: chain.chain.deploymentFile,
    DDC_CLUSTER_ID: String(chain.clusterId),
    DDC_KEYSTORE: join(env.cluster.dir, 'keystore.json'),
    DDC_PASSPHRASE: '',
    DDC_TOKEN: '',
    DDC_PRIVATE_KEY: '',
  };
});

after(async () => {
  await env?.close();
});

/** Runs ddc as the dev identity (or as bob with `as: 'bob'`). */
function ddc(args: string[], o: { as?: 'bob'; env?: Record<string, string>; input?: Uint8Array } = {}): Promise<CliResult> {
  const who = o.as === 'bob' ? { DDC_KEYSTORE: bob.keystore, DDC_PASSPHRASE: BOB_PASS } : {};
  return runCli(args, { env: { ...base, ...who, ...o.env }, ...(o.input ? { input: o.input } : {}) });
}

async function json<T = Record<string, unknown>>(args: string[], o: Parameters<typeof ddc>[1] = {}): Promise<T> {
  const r = await ddc([...args, '--json'], o);
  assert.equal(r.code, 0, `ddc ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** The error code of a command that must fail (its --json error document). */
async function failure(args: string[], o: Parameters<typeof ddc>[1] = {}): Promise<string> {
  const r = await ddc([...args, '--json'], o);
  assert.notEqual(r.code, 0, `ddc ${args.join(' ')} should fail: ${r.stdout}`);
  return (JSON.parse(r.stdout) as { error: { code: string } }).error.code;
}

test('a private bucket: put (encrypted), ls, get byte-equal, cp, rm, versions; tokens and shares for a second identity; revocation', async () => {
  const t0 = Date.now();
  const dir = env.dir;
  const a = randomBytes(3 * MiB + 12345);
  const b = new TextEncoder().encode('hello from b\n');
  const c = randomBytes(1000);
  await writeFile(join(dir, 'a.bin'), a);
  await writeFile(join(dir, 'b.txt'), b);
  await writeFile(join(dir, 'c.bin'), c);

  // The dev keystore's account owns the bucket.
  const made = await ddc(['bucket', 'create', '--private']);
  assert.equal(made.code, 0, made.stderr);
  const id = Number(/bucket (\d+) created \(private\)/.exec(made.stdout)?.[1]);
  assert.ok(id > 0, made.stdout);
  assert.match(made.stdout, new RegExp(`owner ${deriveUserKeys(DEV_MNEMONIC).evm.address}`));
  const url = (key: string) => `ddc://${id}/${key}`;

  const putA = await json<{ version: string; size: number; encrypted: boolean; cid: string }>(['put', join(dir, 'a.bin'), url('dir/a.txt')]);
  assert.equal(putA.size, a.length);
  assert.equal(putA.encrypted, true, 'a private bucket encrypts by default');
  const putB = await ddc(['put', join(dir, 'b.txt'), url('dir/b.txt'), '--meta', 'owner=me']);
  assert.equal(putB.code, 0, putB.stderr);
  assert.match(putB.stdout, new RegExp(`^ddc://${id}/dir/b\\.txt  version [0-9a-f]{20}  ${b.length} bytes  encrypted  `));
  const plain = await json<{ encrypted: boolean }>(['put', '-', url('top.bin'), '--no-encrypt', '--content-type', 'application/x-test'], { input: c });
  assert.equal(plain.encrypted, false);

  // ls: delimiter at the root, prefix under dir/, text and JSON.
  const under = await json<{ objects: { key: string; size: number; contentType: string }[]; isTruncated: boolean }>(['ls', url('dir/')]);
  assert.deepEqual(under.objects.map((o) => [o.key, o.size]), [['dir/a.txt', a.length], ['dir/b.txt', b.length]]);
  assert.equal(under.isTruncated, false);
  const text = await ddc(['ls', `ddc://${id}/`, '--delimiter', '/']);
  assert.equal(text.code, 0, text.stderr);
  const lines = text.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 2, text.stdout);
  assert.match(lines[0]!, /^ +PRE dir\/$/);
  assert.match(lines[1]!, new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d +${c.length} top\\.bin$`));
  const page = await ddc(['ls', url('dir/'), '--max-keys', '1']);
  assert.equal(page.stdout.trim().split('\n').length, 1);
  assert.match(page.stderr, /--continue "dir\/a\.txt"/);
  const rest = await json<{ objects: { key: string }[] }>(['ls', url('dir/'), '--max-keys', '1', '--continue', 'dir/a.txt']);
  assert.deepEqual(rest.objects.map((o) => o.key), ['dir/b.txt']);
  const all = await json<{ objects: { key: string }[] }>(['ls', `ddc://${id}`, '--max-keys', '1', '--all']);
  assert.deepEqual(all.objects.map((o) => o.key), ['dir/a.txt', 'dir/b.txt', 'top.bin']);

  // get: to a file and to stdout, byte-equal; a range; cp; none of it leaves the bucket in plaintext.
  const out = join(dir, 'a.out');
  const got = await json<{ bytes: number; encrypted: boolean }>(['get', url('dir/a.txt'), '-o', out]);
  assert.equal(got.encrypted, true);
  assert.deepEqual(new Uint8Array(await readFile(out)), a);
  const stdout = await ddc(['get', url('dir/b.txt')]);
  assert.equal(stdout.code, 0, stdout.stderr);
  assert.deepEqual(stdout.stdoutBytes, b);
  const ranged = await ddc(['get', url('dir/a.txt'), '--range', `${MiB - 10}-${MiB + 9}`]);
  assert.deepEqual(ranged.stdoutBytes, a.subarray(MiB - 10, MiB + 10), 'a range across a cipher chunk boundary');
  assert.deepEqual((await ddc(['get', url('top.bin')])).stdoutBytes, c);
  await json(['cp', url('dir/a.txt'), url('copy/a.txt')]);
  assert.deepEqual((await ddc(['get', url('copy/a.txt')])).stdoutBytes, a);

  // rm: a delete marker; the old version stays readable by version and shows in --versions.
  await json(['rm', url('dir/b.txt')]);
  assert.equal(await failure(['get', url('dir/b.txt')]), 'DDC_NO_SUCH_KEY');
  const bVersion = /version ([0-9a-f]{20})/.exec(putB.stdout)![1]!;
  const versions = await json<{ versions: { key: string; version: string; deleteMarker: boolean; isLatest: boolean }[] }>(['ls', url('dir/b.txt'), '--versions']);
  assert.deepEqual(versions.versions.map((v) => [v.key, v.deleteMarker, v.isLatest]), [['dir/b.txt', true, true], ['dir/b.txt', false, false]], 'a deleted key named exactly shows its marker and its old version');
  assert.equal(versions.versions[1]!.version, bVersion);
  const old = await ddc(['get', url('dir/b.txt'), '--version', bVersion]);
  assert.deepEqual(old.stdoutBytes, b, 'the version before the delete marker is still there');

  // A second identity, made by the CLI.
  const bobFile = join(dir, 'bob.keystore.json');
  const made2 = await runCli(['keys', 'new', '--out', bobFile, '--words', '12', '--json'], { env: { ...base, DDC_PASSPHRASE: BOB_PASS } });
  assert.equal(made2.code, 0, made2.stderr);
  const bobInfo = JSON.parse(made2.stdout) as { publicIdentity: string; ed25519: string };
  bob = { keystore: bobFile, publicIdentity: bobInfo.publicIdentity, ed25519: bobInfo.ed25519 };

  // Without a token bob is no one to this bucket.
  assert.ok(['DDC_TOKEN_NOT_OWNER', 'DDC_TOKEN_REQUIRED'].includes(await failure(['ls', `ddc://${id}`], { as: 'bob' })));

  // grant: list+get under dir/ for an hour; inspect shows the one link.
  const grant = await json<{ token: string; id: string; audience: string; ops: string[]; prefix: string; depth: number }>(
    ['token', 'grant', '--bucket', String(id), '--to', bob.publicIdentity, '--ops', 'list,get', '--prefix', 'dir/', '--expires', '1h', '--may-delegate'],
  );
  assert.equal(grant.audience, bob.ed25519);
  assert.deepEqual(grant.ops, ['get', 'list']);
  assert.equal(grant.prefix, 'dir/');
  assert.equal(grant.depth, 1);
  const inspected = await json<{ id: string; chain: { issuer: string; audience: string; delegation: { account: string } | null; status: string }[] }>(['token', 'inspect', grant.token]);
  assert.equal(inspected.id, grant.id);
  assert.equal(inspected.chain.length, 1);
  assert.equal(inspected.chain[0]!.issuer, toHex(deriveUserKeys(DEV_MNEMONIC).signing.publicKey));
  assert.equal(inspected.chain[0]!.delegation?.account, deriveUserKeys(DEV_MNEMONIC).evm.address);
  assert.equal(inspected.chain[0]!.status, 'valid');
  const inspectText = await ddc(['token', 'inspect', grant.token]);
  assert.match(inspectText.stdout, /prefix +"dir\/"/);
  assert.match(inspectText.stdout, /may delegate +yes/);
  assert.equal(await failure(['token', 'inspect', `${grant.token.slice(0, -4)}AAAA`]), 'DDC_TOKEN_INVALID');

  // bob delegates a narrower token onward (offline): two links, the child inside the parent.
  const child = await json<{ depth: number; ops: string[]; prefix: string; chain: { audience: string }[] }>(
    ['token', 'grant', '--from', grant.token, '--to', toHex(deriveUserKeys(DEV_MNEMONIC).signing.publicKey), '--ops', 'get', '--prefix', 'dir/a'], { as: 'bob' },
  );
  assert.deepEqual([child.depth, child.ops, child.prefix, child.chain[0]!.audience], [2, ['get'], 'dir/a', bob.ed25519]);
  assert.equal(await failure(['token', 'grant', '--from', grant.token, '--to', bob.publicIdentity, '--ops', 'put'], { as: 'bob' }), 'DDC_TOKEN_WIDENED');

  // With the token bob lists dir/; outside the prefix the nodes refuse; the token does not decrypt.
  const bobLs = await json<{ objects: { key: string }[] }>(['ls', url('dir/'), '--token', grant.token], { as: 'bob' });
  assert.deepEqual(bobLs.objects.map((o) => o.key), ['dir/a.txt']);
  assert.equal(await failure(['ls', `ddc://${id}/copy/`, '--token', grant.token], { as: 'bob' }), 'DDC_TOKEN_PREFIX_DENIED');
  assert.equal(await failure(['get', url('dir/a.txt'), '--token', grant.token], { as: 'bob' }), 'DDC_NOT_A_READER');

  // An object put with bob as a reader: bob reads it with the granted token (DDC_TOKEN works as well as --token).
  await json(['put', join(dir, 'c.bin'), url('dir/for-bob.bin'), '--reader', bob.publicIdentity]);
  const bobGet = await ddc(['get', url('dir/for-bob.bin')], { as: 'bob', env: { DDC_TOKEN: grant.token } });
  assert.equal(bobGet.code, 0, bobGet.stderr);
  assert.deepEqual(bobGet.stdoutBytes, c);

  // share: a key and a token for one object.
  const shared = await json<{ token: string; tokenId: string; ops: string[] }>(['share', url('dir/a.txt'), '--to', bob.publicIdentity, '--expires', '2h']);
  assert.deepEqual(shared.ops, ['get']);
  const bobOut = join(dir, 'bob-a.out');
  await json(['get', url('dir/a.txt'), '-o', bobOut, '--token', shared.token], { as: 'bob' });
  assert.deepEqual(new Uint8Array(await readFile(bobOut)), a);

  // revoke (a ledger tx by the owner): within a few seconds the nodes refuse the granted token.
  const revoked = await json<{ tokenId: string; hash: string; gasUsed: string }>(['token', 'revoke', grant.token]);
  assert.equal(revoked.tokenId, grant.id);
  assert.match(revoked.hash, /^0x[0-9a-f]{64}$/);
  assert.ok(Number(revoked.gasUsed) > 21000);
  const revokedAt = Date.now();
  let code = '';
  while (Date.now() - revokedAt < 5000) {
    code = await failure(['get', url('dir/for-bob.bin'), '--token', grant.token], { as: 'bob' }).catch(() => 'still-allowed');
    if (code === 'DDC_TOKEN_REVOKED') break;
    await sleep(200);
  }
  assert.equal(code, 'DDC_TOKEN_REVOKED', `refused within ${Date.now() - revokedAt} ms of the revocation`);

  // unshare: the share's token is revoked, the object re-encrypted without bob; the owner still reads it.
  const un = await json<{ revoked: string[]; purged: string[]; version: string }>(['unshare', url('dir/a.txt'), '--from', bob.publicIdentity, '--token', shared.token]);
  assert.deepEqual(un.revoked, [shared.tokenId]);
  assert.ok(un.purged.length >= 1);
  assert.deepEqual((await ddc(['get', url('dir/a.txt')])).stdoutBytes, a);

  // rm --version removes one version for good.
  const gone = await json<{ purged: string }>(['rm', url('copy/a.txt'), '--version', (await json<{ versions: { version: string }[] }>(['ls', url('copy/a.txt'), '--versions'])).versions[0]!.version]);
  assert.match(gone.purged, /^[0-9a-f]{20}$/);
  assert.equal(await failure(['get', url('copy/a.txt')]), 'DDC_NO_SUCH_KEY');

  // A public bucket: plaintext by default, readable by someone with no keystore at all.
  const pub = await json<{ bucketId: number }>(['bucket', 'create', '--public']);
  const pubPut = await json<{ encrypted: boolean }>(['put', join(dir, 'b.txt'), `ddc://${pub.bucketId}/hello.txt`]);
  assert.equal(pubPut.encrypted, false);
  const nowhere = join(dir, 'anonymous');
  await mkdir(nowhere);
  const anonEnv: Record<string, string> = { ...process.env as Record<string, string>, ...base };
  delete anonEnv.DDC_KEYSTORE;
  const anon = spawnSync(process.execPath, [DDC_BIN, 'get', `ddc://${pub.bucketId}/hello.txt`], { cwd: nowhere, env: anonEnv });
  assert.equal(anon.status, 0, anon.stderr.toString());
  assert.deepEqual(new Uint8Array(anon.stdout), b);
  const bobPub = await ddc(['get', `ddc://${pub.bucketId}/hello.txt`], { as: 'bob' });
  assert.equal(bobPub.code, 0, `someone else's keys, no token, a public bucket: ${bobPub.stderr}`);
  assert.deepEqual(bobPub.stdoutBytes, b);

  // Usage errors say so before any network.
  assert.equal((await ddc(['ls', 'ddc://1/a', '--max-keys', '0'])).code, 2);
  assert.equal((await ddc(['cp', url('dir/a.txt'), `ddc://${id + 1}/a`])).code, 1);
  process.stderr.write(`objects-cli flow: ${Date.now() - t0} ms\n`);
});
