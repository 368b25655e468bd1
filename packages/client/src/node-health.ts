/**
 * Remembers which nodes failed recently, so reads go straight to the shards on healthy
 * nodes instead of waiting on a dead or lying one for every piece.
 */
export class NodeHealth {
  private readonly downUntil = new Map<string, number>();
  private readonly strikes = new Map<string, number>();

  constructor(private readonly cooldownMs = 10_000) {}

  /** The node did not answer (refused, reset, timed out). */
  markDown(nodeId: string): void {
    this.downUntil.set(nodeId, Date.now() + this.cooldownMs);
  }

  /** The node answered with bytes that failed verification. */
  markBad(nodeId: string): void {
    this.strikes.set(nodeId, (this.strikes.get(nodeId) ?? 0) + 1);
    this.downUntil.set(nodeId, Date.now() + this.cooldownMs);
  }

  markUp(nodeId: string): void {
    this.downUntil.delete(nodeId);
  }

  isHealthy(nodeId: string): boolean {
    const until = this.downUntil.get(nodeId);
    return until === undefined || until <= Date.now();
  }

  badAnswers(nodeId: string): number {
    return this.strikes.get(nodeId) ?? 0;
  }
}
