/**
 * `ddc dev` runs a gateway beside its cluster and writes DIR/gateway.json; the access key
 * in it works with the AWS SDK (create a bucket, put, get; a wrong secret is refused), and a
 * restart keeps the same endpoint and key; with its port taken, it says where it moved.
 * `ddc gateway start` runs a second one on the same chain.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createServer } from 'node:net';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListBucketsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DDC_BIN } from '@ddc/cli';
import { DEV_MNEMONIC, deriveUserKeys, issueRootToken, signDelegation, tokenToText } from '@ddc/core';
import { randomBytes } from './cluster.js';

interface DevGatewayFile {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

let dir: string | undefined;
let child: ChildProcess | undefined;

/** Starts `ddc dev --json` and resolves with its ready event. */
function startDev(dataDir: string): Promise<{ child: ChildProcess; ready: { gateway?: { endpoint: string; file: string } }; stderr: () => string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [DDC_BIN, 'dev', '--data', dataDir, '--nodes', '4', '--zones', '2', '--k', '2', '--m', '1', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    c.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    createInterface({ input: c.stdout! }).on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { event?: string };
        if (msg.event === 'ready') resolve({ child: c, ready: msg as never, stderr: () => stderr });
      } catch {
        // not JSON
      }
    });
    c.once('exit', (code) => reject(new Error(`ddc dev exited (${code}) before ready: ${stderr.slice(-2000)}`)));
  });
}

async function stopDev(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null) return;
  const exited = new Promise<void>((r) => c.once('exit', () => r()));
  c.kill('SIGINT');
  await exited;
}

after(async () => {
  if (child) await stopDev(child);
  if (dir) await rm(dir, { recursive: true, force: true });
});

/**
 * A free port below the kernel's ephemeral range (32768 and up here), which no port-0 listener or
 * outgoing connection of a test running alongside is given: the restarts below can expect it back.
 */
async function freeFixedPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    const free = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

test('ddc dev writes gateway.json whose key works with the AWS SDK, and keeps it across a restart', async () => {
  dir = await mkdtemp(join(tmpdir(), 'ddc-gw-dev-'));
  const dataDir = join(dir, 'ddc');
  const file = join(dataDir, 'gateway.json');
  // A gateway.json naming only a port, as a first run leaves one: the gateway takes that port.
  const port = await freeFixedPort();
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, JSON.stringify({ endpoint: `http://127.0.0.1:${port}` }));
  const first = await startDev(dataDir);
  child = first.child;
  assert.equal(first.ready.gateway?.file, file);
  assert.equal(first.ready.gateway?.endpoint, `http://127.0.0.1:${port}`, 'the port gateway.json names');
  assert.equal((await stat(file)).mode & 0o777, 0o600, 'gateway.json holds a secret: mode 0600');
  const g = JSON.parse(await readFile(file, 'utf8')) as DevGatewayFile;
  assert.equal(g.endpoint, first.ready.gateway?.endpoint);
  assert.equal(g.region, 'us-east-1');
  assert.match(g.accessKeyId, /^[A-Z0-9]{16,}$/);

  const s3 = new S3Client({ endpoint: g.endpoint, region: g.region, forcePathStyle: true, credentials: { accessKeyId: g.accessKeyId, secretAccessKey: g.secretAccessKey } });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: 'dev-check' }));
    const body = randomBytes(200_000);
    await s3.send(new PutObjectCommand({ Bucket: 'dev-check', Key: 'a/b.bin', Body: body, ContentType: 'application/x-test' }));
    const got = await s3.send(new GetObjectCommand({ Bucket: 'dev-check', Key: 'a/b.bin' }));
    assert.ok(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.from(body)));
    assert.ok((await s3.send(new ListBucketsCommand({}))).Buckets?.some((b) => b.Name === 'dev-check'));
    // The S3 name works under /ddc/ too; the bucket is private, so a token for the gateway's key is needed.
    const noToken = await fetch(`${g.endpoint}/ddc/dev-check/a/b.bin`);
    assert.equal(noToken.status, 401, 'the name resolved to a private bucket');
    const names = JSON.parse(await readFile(join(dataDir, 'gateway', 's3-buckets.json'), 'utf8')) as { buckets: Record<string, { id: number }> };
    const bucket = names.buckets['dev-check']!.id;
    const chainFile = JSON.parse(await readFile(join(dataDir, 'chain.json'), 'utf8')) as { chainId: number };
    const dev = deriveUserKeys(DEV_MNEMONIC);
    const now = Math.floor(Date.now() / 1000);
    const delegation = signDelegation({ account: dev.evm.address, signingKey: dev.signing.publicKey, notBefore: now - 600, expiry: now + 3600, chainId: chainFile.chainId }, dev.evm.privateKey);
    // The dev gateway is the dev identity: the owner delegates to itself, the gateway's key.
    const t = tokenToText(issueRootToken({ signing: dev.signing, delegation, audience: dev.signing.publicKey, bucket, ops: ['get'], prefix: 'a/', notBefore: now - 60, expiry: now + 600, mayDelegate: false }));
    const viaDdc = await fetch(`${g.endpoint}/ddc/dev-check/a/b.bin?token=${t}`);
    assert.equal(viaDdc.status, 200);
    assert.equal(viaDdc.headers.get('content-type'), 'application/x-test');
    assert.ok(Buffer.from(await viaDdc.arrayBuffer()).equals(Buffer.from(body)), 'an object put through S3 reads back through /ddc/');
    const bad = new S3Client({ endpoint: g.endpoint, region: g.region, forcePathStyle: true, credentials: { accessKeyId: g.accessKeyId, secretAccessKey: 'wrong-secret-wrong-secret-wrong-secret' } });
    await assert.rejects(bad.send(new HeadObjectCommand({ Bucket: 'dev-check', Key: 'a/b.bin' })));
    bad.destroy();
  } finally {
    s3.destroy();
  }

  // A second gateway with `ddc gateway start` against the same chain serves the same content by CID.
  const chain = JSON.parse(await readFile(join(dataDir, 'chain.json'), 'utf8')) as { rpcUrl: string; deployment: string; clusterId: number };
  const gw2 = spawn(process.execPath, [DDC_BIN, 'gateway', 'start', '--data', join(dir, 'gw2'), '--rpc', chain.rpcUrl, '--deployment', chain.deployment, '--cluster-id', String(chain.clusterId), '--cache-bytes', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const ready = await new Promise<{ url: string; identity: { address: string } }>((resolve, reject) => {
      createInterface({ input: gw2.stdout! }).on('line', (line) => {
        const msg = JSON.parse(line) as { event?: string };
        if (msg.event === 'listening') resolve(msg as never);
      });
      gw2.once('exit', (code) => reject(new Error(`ddc gateway start exited (${code})`)));
    });
    assert.match(ready.identity.address, /^0x[0-9a-fA-F]{40}$/);
    const status = (await (await fetch(`${ready.url}/v1/gateway/status`)).json()) as { cache: unknown; gateway: { requests: { status: number } } };
    assert.equal(status.cache, null, '--cache-bytes 0 turns the cache off');
    assert.equal(status.gateway.requests.status, 1);
    const probe = await fetch(`${ready.url}/ipfs/bafkqaaa?format=raw`);
    assert.equal(probe.status, 200);
  } finally {
    const exited = new Promise<void>((r) => gw2.once('exit', () => r()));
    gw2.kill('SIGINT');
    await exited;
  }

  await stopDev(child);
  const second = await startDev(dataDir);
  child = second.child;
  const again = JSON.parse(await readFile(file, 'utf8')) as DevGatewayFile;
  assert.equal(again.accessKeyId, g.accessKeyId, 'the dev key is kept');
  assert.equal(again.endpoint, g.endpoint, 'the port is reused');
  const s3b = new S3Client({ endpoint: again.endpoint, region: again.region, forcePathStyle: true, credentials: { accessKeyId: again.accessKeyId, secretAccessKey: again.secretAccessKey } });
  try {
    const got = await s3b.send(new HeadObjectCommand({ Bucket: 'dev-check', Key: 'a/b.bin' }));
    assert.equal(got.ContentLength, 200_000);
  } finally {
    s3b.destroy();
  }

  // Its port held by another program through the restart: the gateway moves, says so, and the file follows.
  await stopDev(child);
  const squatter = createServer();
  await new Promise<void>((r) => squatter.listen(Number(new URL(again.endpoint).port), '127.0.0.1', () => r()));
  try {
    const third = await startDev(dataDir);
    child = third.child;
    const moved = JSON.parse(await readFile(file, 'utf8')) as DevGatewayFile;
    assert.notEqual(moved.endpoint, again.endpoint);
    assert.equal(moved.endpoint, third.ready.gateway?.endpoint);
    assert.match(third.stderr(), new RegExp(`previous port ${new URL(again.endpoint).port} is in use; it listens on ${new URL(moved.endpoint).port} now`));
    const s3c = new S3Client({ endpoint: moved.endpoint, region: moved.region, forcePathStyle: true, credentials: { accessKeyId: moved.accessKeyId, secretAccessKey: moved.secretAccessKey } });
    try {
      assert.equal((await s3c.send(new HeadObjectCommand({ Bucket: 'dev-check', Key: 'a/b.bin' }))).ContentLength, 200_000);
    } finally {
      s3c.destroy();
    }
  } finally {
    await new Promise((r) => squatter.close(r));
  }
});
