/**
 * Heap sizing for the server processes: the storage node (`ddc node start`) and the gateway
 * (`ddc gateway start`).
 *
 * After each full GC V8 sets the next old-generation limit at 1.1 to 4 times the live heap,
 * picking the factor from how fast it collects. For a storage node (about 34 MB live, mostly
 * code) it picked about 1.3-1.7, so that under 10,000 small reads a second each node ran a
 * mark-compact every 0.5-1 s, with 4-26 ms pauses: those pauses were the small reads' p99. At
 * the top of V8's own range (4x) the same reads ran at 13,700-17,700 a second instead of
 * 10,000-13,900, with a p99 of 5.4-8.4 ms instead of 14.5-21.7, and a node's heap reached 66-76 MB
 * before a mark-compact instead of about 42 (docs/BENCHMARKS.md, eighth session). The gateway, at
 * about 31 MB live, ran a mark-compact every 0.1-0.15 s while it took a 256 MiB S3 PutObject (109
 * in one benchmark S3 phase); at 4x, 3 in the same phase, and 144 MB/s against 120 (tenth
 * session, one run each; the eighth session had seen no gain on small reads).
 */
import { setFlagsFromString } from 'node:v8';

/** V8's heap growing factor is 1 + percent / 100: 300 is its upper bound of 4x. */
export const SERVER_HEAP_GROWING_PERCENT = 300;

const FLAG = /--heap[-_]growing[-_]percent\b/;

/** True when the operator already chose the factor (on the command line or in NODE_OPTIONS). */
export function heapGrowingChosen(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  return execArgv.some((a) => FLAG.test(a)) || (nodeOptions !== undefined && FLAG.test(nodeOptions));
}

/**
 * Sets the factor for this process unless the operator chose one. V8 reads it at every full
 * GC, so setting it at startup takes effect from the next one. Returns whether it was set.
 */
export function tuneServerHeap(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env['NODE_OPTIONS']): boolean {
  if (heapGrowingChosen(execArgv, nodeOptions)) return false;
  setFlagsFromString(`--heap-growing-percent=${SERVER_HEAP_GROWING_PERCENT}`);
  return true;
}
