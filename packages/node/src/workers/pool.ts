/** Runs tasks with at most `limit` at once, optionally pausing after each; stops starting new ones once `signal` aborts. */
import { setTimeout as sleep } from 'node:timers/promises';

export async function runPool(tasks: readonly (() => Promise<void>)[], limit: number, signal: AbortSignal, pauseMs = 0): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      signal.throwIfAborted();
      const task = tasks[next++]!;
      await task();
      if (pauseMs > 0) await sleep(pauseMs, undefined, { signal });
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}
