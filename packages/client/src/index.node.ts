/** Node entry: node:crypto hashing, the undici transport, file paths as sources, descriptor files. */
import './platform/node-crypto.js';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { setMaxListeners } from 'node:events';
import { DdcError } from '@ddc/core';
import { DdcClient } from './client.js';
import type { ClientOptions } from './options.js';
import { UndiciTransport } from './transport/undici.js';
import { SharedPieceHasher } from './platform/piece-hasher.js';

export * from './index.js';
export { UndiciTransport, type UndiciTransportOptions } from './transport/undici.js';
export { FileMembership, clusterViewHash, type FileMembershipOptions, type MembershipChange } from './membership-file.js';

function openFile(path: string): AsyncIterable<Uint8Array> {
  // 1 MiB reads match the chunk size, so most chunks are views with no copy.
  return createReadStream(path, { highWaterMark: 1024 * 1024 });
}

export function createClient(options: ClientOptions): DdcClient {
  // The piece hasher reads shard bodies in place, so the default transport reads them into shared memory.
  return new DdcClient(options, {
    openFile,
    defaultTransport: () => new UndiciTransport({ sharedShardMemory: true }),
    allowManyListeners: (s) => setMaxListeners(0, s),
    pieceHasher: new SharedPieceHasher(),
  });
}

/** Reads a cluster descriptor JSON file (the output of `ddc dev`). */
export async function loadClusterFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new DdcError('DDC_INVALID_CLUSTER', `cannot read the cluster file ${path}`, { cause, hint: 'Start a cluster with `ddc dev` or pass --cluster FILE' });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new DdcError('DDC_INVALID_CLUSTER', `the cluster file ${path} is not valid JSON`, { cause, hint: 'Fix the file or let `ddc dev` write it again' });
  }
}
