import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { DevCluster, DDC_BIN, type DevClusterOptions } from '../src/index.js';

export async function tempDir(prefix = 'ddc-test-'): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** A dev cluster of real node processes in a temp folder; `close` stops it and removes the folder. */
export async function startCluster(options: Partial<DevClusterOptions> = {}): Promise<{ cluster: DevCluster; dir: string; close(): Promise<void> }> {
  const dir = await tempDir();
  const cluster = await DevCluster.start({ dataDir: join(dir.path, 'ddc'), ...options });
  return {
    cluster,
    dir: dir.path,
    close: async () => {
      await cluster.stop();
      await dir.remove();
    },
  };
}

export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += 65536) randomFillSync(out.subarray(off, Math.min(n, off + 65536)));
  return out;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  /** stdout as raw bytes, for binary output. */
  stdoutBytes: Uint8Array;
  stderr: string;
}

/** Runs the real `ddc` binary. */
export function runCli(args: string[], options: { input?: Uint8Array; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [DDC_BIN, ...args], { env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      const bytes = Buffer.concat(out);
      resolve({ code, stdout: bytes.toString('utf8'), stdoutBytes: new Uint8Array(bytes), stderr });
    });
    child.stdin.end(options.input ?? undefined);
  });
}
