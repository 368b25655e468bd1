/**
 * Serializes work per key (a shard id): the commit of a PUT, a DELETE and the orphan sweep
 * of one id never interleave, so the index and the file always agree.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key);
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    this.tails.set(key, mine);
    try {
      if (prev) await prev;
      return await fn();
    } finally {
      if (this.tails.get(key) === mine) this.tails.delete(key);
      release();
    }
  }

  has(key: string): boolean {
    return this.tails.has(key);
  }
}
