/** Network partition scenario: needs root and `ip netns`; skipped with a reason elsewhere. */
import { spawnSync } from 'node:child_process';

export async function partitionSupport(): Promise<{ ok: boolean; reason: string }> {
  if (process.getuid?.() !== 0) return { ok: false, reason: 'needs root for ip netns' };
  const probe = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return { ok: false, reason: 'ip netns is not available on this machine' };
  return { ok: false, reason: 'not built yet' };
}

export async function partition(): Promise<void> {
  throw new Error('not built yet');
}
