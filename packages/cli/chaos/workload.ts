/**
 * A stream of writes and reads against a cluster. Every object whose put resolved is
 * recorded as acknowledged; reads check acknowledged objects byte for byte as they go.
 */
import { randomFillSync, createHash } from 'node:crypto';
import type { DdcClient } from '@ddc/client';

export interface AckedObject {
  cid: string;
  size: number;
  sha256: string;
  /** Kept for small objects so a failed comparison can show the bytes; large ones are re-hashed. */
  bytes?: Uint8Array;
}

export interface WorkloadStats {
  putsOk: number;
  putsFailed: number;
  readsOk: number;
  readsFailed: number;
  /** Acknowledged objects that read back wrong: must stay empty. */
  mismatches: string[];
  failureCodes: Record<string, number>;
}

function hashHex(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

export function randomObject(maxSize: number): Uint8Array {
  const size = Math.random() < 0.5 ? 1 + Math.floor(Math.random() * 60_000) : Math.floor(Math.random() * maxSize);
  return randomFillSync(new Uint8Array(size));
}

export async function readBack(client: DdcClient, o: AckedObject): Promise<boolean> {
  const bytes = await client.getBytes(o.cid);
  return bytes.length === o.size && hashHex(bytes) === o.sha256;
}

export class Workload {
  readonly acked: AckedObject[] = [];
  readonly stats: WorkloadStats = { putsOk: 0, putsFailed: 0, readsOk: 0, readsFailed: 0, mismatches: [], failureCodes: {} };
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(private readonly client: DdcClient, private readonly options: { writers?: number; readers?: number; maxSize?: number } = {}) {}

  start(): void {
    this.running = true;
    const writers = this.options.writers ?? 2;
    const readers = this.options.readers ?? 2;
    for (let i = 0; i < writers; i++) this.loops.push(this.writeLoop());
    for (let i = 0; i < readers; i++) this.loops.push(this.readLoop());
  }

  async stop(): Promise<WorkloadStats> {
    this.running = false;
    await Promise.all(this.loops);
    this.loops = [];
    return this.stats;
  }

  private fail(e: unknown): void {
    const code = (e as { code?: string }).code ?? 'unknown';
    this.stats.failureCodes[code] = (this.stats.failureCodes[code] ?? 0) + 1;
  }

  private async writeLoop(): Promise<void> {
    while (this.running) {
      const bytes = randomObject(this.options.maxSize ?? 3 * 1024 * 1024);
      try {
        const { cid } = await this.client.put(bytes);
        this.acked.push({ cid: cid.toString(), size: bytes.length, sha256: hashHex(bytes), ...(bytes.length < 100_000 ? { bytes } : {}) });
        this.stats.putsOk++;
      } catch (e) {
        // A put refused for lack of quorum was never acknowledged: allowed while nodes are down.
        this.stats.putsFailed++;
        this.fail(e);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  private async readLoop(): Promise<void> {
    while (this.running) {
      const o = this.acked[Math.floor(Math.random() * this.acked.length)];
      if (!o) {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      try {
        if (await readBack(this.client, o)) this.stats.readsOk++;
        else this.stats.mismatches.push(o.cid);
      } catch (e) {
        // Unreadable is not wrong, but while at most m nodes are down it should not happen.
        this.stats.readsFailed++;
        this.fail(e);
      }
    }
  }
}
