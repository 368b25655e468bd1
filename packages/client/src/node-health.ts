/**
 * Remembers which nodes failed recently. Reads ask healthy nodes first instead of waiting
 * on a dead or lying one for every piece; writes skip only nodes that did not answer
 * (a node that served bad bytes may still store good ones, and audits judge it).
 */
export class NodeHealth {
  private readonly downUntil = new Map<string, number>();
  private readonly suspectUntil = new Map<string, number>();
  private readonly strikes = new Map<string, number>();

  constructor(private readonly cooldownMs = 10_000) {}

  /** The node did not answer (refused, reset, timed out). */
  markDown(nodeId: string): void {
    this.downUntil.set(nodeId, Date.now() + this.cooldownMs);
  }

  /** The node answered with bytes that failed verification. */
  markBad(nodeId: string): void {
    this.strikes.set(nodeId, (this.strikes.get(nodeId) ?? 0) + 1);
    this.suspectUntil.set(nodeId, Date.now() + this.cooldownMs);
  }

  markUp(nodeId: string): void {
    this.downUntil.delete(nodeId);
  }

  /** Worth sending a write to: not known to be down. */
  isReachable(nodeId: string): boolean {
    const until = this.downUntil.get(nodeId);
    return until === undefined || until <= Date.now();
  }

  /** Worth asking first for a read: neither down nor recently caught serving bad bytes. */
  isHealthy(nodeId: string): boolean {
    const suspect = this.suspectUntil.get(nodeId);
    return this.isReachable(nodeId) && (suspect === undefined || suspect <= Date.now());
  }

  badAnswers(nodeId: string): number {
    return this.strikes.get(nodeId) ?? 0;
  }
}
