/**
 * Real S3 tools against the gateway: rclone and s3cmd (Debian packages; `.ci/run` installs
 * them) copy a folder tree up and down, sync changes (updated, added and removed files), and
 * the checksums agree: `rclone check` (MD5 from ETags, and from rclone's md5chksum metadata
 * for multipart uploads) and md5sum of every file fetched back. Skipped with a message when
 * the binaries are missing.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { DEV_MNEMONIC } from '@ddc/core';
import { AccessKeyStore, type RunningGateway } from '@ddc/gateway';
import { startGatewayEnv, randomBytes, type GatewayEnv } from './cluster.js';
import { s3Client, type Creds } from './s3-helpers.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;

async function which(bin: string): Promise<boolean> {
  return run('sh', ['-c', `command -v ${bin}`]).then(() => true, () => false);
}

const haveRclone = await which('rclone');
const haveS3cmd = await which('s3cmd');
const missing = [!haveRclone && 'rclone', !haveS3cmd && 's3cmd'].filter(Boolean).join(' and ');
if (missing) process.stderr.write(`s3-tools: ${missing} not installed (apt-get install -y rclone s3cmd; .ci/run installs them): skipping those tests\n`);

let env: GatewayEnv;
let gw: RunningGateway;
let creds: Creds;
let s3: S3Client;
let work: string;

before(async () => {
  if (!haveRclone && !haveS3cmd) return;
  env = await startGatewayEnv();
  gw = await env.gateway({ identity: { mnemonic: DEV_MNEMONIC } });
  const key = await (await AccessKeyStore.open(gw.config.dataDir)).create({ buckets: ['*'], createBuckets: true });
  creds = { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
  s3 = s3Client(gw.url, creds, { requestChecksumCalculation: 'WHEN_REQUIRED' });
  // Public: the tools' 5 MiB multipart parts then go to DDC as they arrive and are composed
  // (a private bucket's staged parts are covered by the AWS SDK tests).
  await s3.send(new CreateBucketCommand({ Bucket: 'tools', ACL: 'public-read' }));
  work = join(env.dir, 'tools');
});

after(async () => {
  s3?.destroy();
  await env?.close();
});

/** A tree with empty, small, 1 MiB and multipart-sized files, nested folders, spaces and non-ASCII names. */
async function makeTree(root: string): Promise<void> {
  const files: [string, number][] = [
    ['empty.txt', 0], ['small.txt', 100], ['a/one-mib.bin', MiB], ['a/b/seven-mib.bin', 7 * MiB + 11], ['a/b/c/deep file.txt', 5000],
    ['ünïcödé/名前.txt', 321], ['a/+plus & amp.txt', 42],
  ];
  for (const [name, size] of files) {
    await mkdir(join(root, name, '..'), { recursive: true });
    await writeFile(join(root, name), randomBytes(size));
  }
}

/** relative path → MD5 of every file under root (what md5sum would print). */
async function md5Tree(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  async function walk(dir: string): Promise<void> {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else out.set(relative(root, p), createHash('md5').update(await readFile(p)).digest('hex'));
    }
  }
  await walk(root);
  return new Map([...out].sort());
}

/** md5sum's own answer for each file (the checksum tool, not our hashing). */
async function md5sum(root: string, files: string[]): Promise<Map<string, string>> {
  const { stdout } = await run('md5sum', files, { cwd: root, maxBuffer: 1 << 20 });
  return new Map(stdout.trim().split('\n').map((l) => [l.slice(34), l.slice(0, 32)] as [string, string]));
}

async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: 'tools', Prefix: prefix, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((o) => o.Key!.slice(prefix.length)));
    token = page.NextContinuationToken;
  } while (token);
  return keys.sort();
}

async function changeTree(root: string): Promise<void> {
  await writeFile(join(root, 'small.txt'), randomBytes(150));
  await rm(join(root, 'a/one-mib.bin'));
  await writeFile(join(root, 'a/new.bin'), randomBytes(6 * MiB));
}

test('rclone: copy a tree up and down, check, sync changes, check again', { skip: !haveRclone && 'rclone is not installed' }, async () => {
  // AWS_CA_BUNDLE (set on some machines) makes rclone's AWS library fail on plain http.
  const { AWS_CA_BUNDLE: _caBundle, ...inherited } = process.env;
  const rcloneEnv = {
    ...inherited, RCLONE_CONFIG: join(work, 'none.conf'),
    RCLONE_CONFIG_DDC_TYPE: 's3', RCLONE_CONFIG_DDC_PROVIDER: 'Other', RCLONE_CONFIG_DDC_ENDPOINT: gw.url,
    RCLONE_CONFIG_DDC_ACCESS_KEY_ID: creds.accessKeyId, RCLONE_CONFIG_DDC_SECRET_ACCESS_KEY: creds.secretAccessKey,
    RCLONE_CONFIG_DDC_REGION: 'us-east-1', RCLONE_CONFIG_DDC_FORCE_PATH_STYLE: 'true',
    // 5 MiB parts: the 6 and 7 MiB files go up as multipart uploads.
    RCLONE_S3_UPLOAD_CUTOFF: '5M', RCLONE_S3_CHUNK_SIZE: '5M',
  };
  const rclone = (...args: string[]) => run('rclone', [...args, '--retries', '1', '--low-level-retries', '1'], { env: rcloneEnv, maxBuffer: 8 << 20 });
  const src = join(work, 'rclone-src');
  const back = join(work, 'rclone-back');
  await makeTree(src);
  await rclone('copy', src, 'ddc:tools/rclone');
  await rclone('check', src, 'ddc:tools/rclone', '--one-way');
  const local = await md5Tree(src);
  assert.deepEqual(await keysUnder('rclone/'), [...local.keys()].sort());
  await rclone('copy', 'ddc:tools/rclone', back);
  assert.deepEqual(await md5Tree(back), local);
  assert.deepEqual(await md5sum(back, [...local.keys()]), local, 'md5sum agrees with the source tree');

  await changeTree(src);
  await rclone('sync', src, 'ddc:tools/rclone');
  const { stdout, stderr } = await rclone('check', src, 'ddc:tools/rclone');
  assert.match(stdout + stderr, /0 differences found/);
  assert.doesNotMatch(stdout + stderr, /could not be checked/, 'every file was compared by MD5, multipart ones too');
  const changed = await md5Tree(src);
  assert.deepEqual(await keysUnder('rclone/'), [...changed.keys()].sort(), 'the removed file is gone, the new one there');
  await rclone('sync', 'ddc:tools/rclone', back);
  assert.deepEqual(await md5Tree(back), changed);
});

test('s3cmd: put a tree, get it back, sync changes with --delete-removed, md5sum agrees', { skip: !haveS3cmd && 's3cmd is not installed' }, async () => {
  const host = new URL(gw.url).host;
  const conf = join(work, 's3cmd.conf');
  await mkdir(work, { recursive: true });
  await writeFile(conf, [
    '[default]', `access_key = ${creds.accessKeyId}`, `secret_key = ${creds.secretAccessKey}`, `host_base = ${host}`, `host_bucket = ${host}`,
    'use_https = False', 'signature_v2 = False', 'bucket_location = us-east-1', 'multipart_chunk_size_mb = 5', 'check_ssl_certificate = False', '',
  ].join('\n'));
  const s3cmd = (...args: string[]) => run('s3cmd', ['-c', conf, '--no-progress', ...args], { maxBuffer: 8 << 20 });
  const src = join(work, 's3cmd-src');
  const back = join(work, 's3cmd-back');
  await makeTree(src);
  await s3cmd('put', '--recursive', `${src}/`, 's3://tools/s3cmd/');
  const local = await md5Tree(src);
  assert.deepEqual(await keysUnder('s3cmd/'), [...local.keys()].sort());
  await mkdir(back, { recursive: true });
  await s3cmd('get', '--recursive', 's3://tools/s3cmd/', `${back}/`);
  assert.deepEqual(await md5sum(back, [...local.keys()]), local);

  await changeTree(src);
  await s3cmd('sync', '--delete-removed', `${src}/`, 's3://tools/s3cmd/');
  const changed = await md5Tree(src);
  assert.deepEqual(await keysUnder('s3cmd/'), [...changed.keys()].sort());
  await rm(back, { recursive: true, force: true });
  await mkdir(back, { recursive: true });
  await s3cmd('sync', 's3://tools/s3cmd/', `${back}/`);
  assert.deepEqual(await md5sum(back, [...changed.keys()]), changed);
  const ls = (await s3cmd('ls', '--recursive', 's3://tools/s3cmd/')).stdout;
  assert.equal(ls.trim().split('\n').length, changed.size);
});
