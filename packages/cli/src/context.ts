/** Shared by the commands that talk to a cluster: find the descriptor, make a client. */
import { resolve } from 'node:path';
import { createClient, loadClusterFile, type DdcClient } from '@ddc/client';

export const DEFAULT_DATA_DIR = '.ddc';

export function defaultClusterFile(): string {
  return process.env.DDC_CLUSTER ?? resolve(DEFAULT_DATA_DIR, 'cluster.json');
}

export async function clientFor(clusterFile: string | undefined): Promise<DdcClient> {
  return createClient({ cluster: await loadClusterFile(clusterFile ?? defaultClusterFile()) });
}

/** Aborts long operations on Ctrl-C instead of leaving sockets half-open. */
export function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort(new Error('interrupted')));
  return controller.signal;
}
