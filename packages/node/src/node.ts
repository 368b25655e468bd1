/**
 * Node lifecycle: open the store, listen, and shut down gracefully. Closing first refuses
 * new writes and answers /health with 503 (reads still work) while in-flight writes finish,
 * for at most shutdownTimeoutMs; then connections are closed and the store is closed.
 */
import '@ddc/client/platform/node-crypto';
import { Server as NetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { parseNodeConfig, type NodeConfig, type NodeConfigInput } from './config.js';
import type { NodeContext } from './http/context.js';
import type { Logger } from './http/respond.js';
import { createNodeServer } from './http/server.js';
import { WriteGate } from './http/write-gate.js';
import { PieceStore } from './store/piece-store.js';
import { loadOrCreateIdentity, type NodeIdentity } from './identity.js';
import { attachIdentity } from './http/identity.js';
import { startWorkers } from './workers/index.js';
import { openNodeAuth, type NodeAuth } from './auth/node-auth.js';
import { RecordStore } from './records/store.js';
import { attachRecords, recordsOf } from './records/context.js';
import { startRecordSync } from './records/service.js';
import type { Membership } from '@ddc/client';

export interface RunningNode {
  /** Base URL of the node's API, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly port: number;
  readonly id: string;
  readonly zone: string;
  readonly dataDir: string;
  /** The node's Ed25519 identity key (64 hex), from DATADIR/identity.key. */
  readonly publicKey: string;
  /** Drains and stops the node; safe to call more than once. */
  close(): Promise<void>;
  /** Settles once the node has stopped (after close()). */
  readonly closed: Promise<void>;
}

export interface StartNodeOptions {
  /** Where error events go (one object each); default: JSON lines on stderr. */
  log?: Logger;
  /** Cluster membership for the repair and scrub workers, instead of the config's `cluster` file. */
  membership?: Membership;
}

export const stderrLogger: Logger = (event) => {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
};

/** The id chain membership gives the node with this Ed25519 key (64 hex): `n` + its first 12 bytes (see nodeIdFromKey in @ddc/ledger). */
export function nodeIdFromPublicKey(publicKey: string): string {
  return `n${publicKey.replace(/^0x/, '').slice(0, 24).toLowerCase()}`;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export async function startNode(input: NodeConfigInput | NodeConfig, options: StartNodeOptions = {}): Promise<RunningNode> {
  let config = parseNodeConfig(input);
  const log = options.log ?? stderrLogger;
  if (config.faults) log({ event: 'warning', message: `TEST-ONLY faults are on (${JSON.stringify(config.faults)}): this node serves wrong data on purpose` });
  const store = await PieceStore.open({ dataDir: config.dataDir, maxShardBytes: config.maxShardBytes, inlineThreshold: config.inlineThreshold });
  let identity: NodeIdentity;
  try {
    identity = await loadOrCreateIdentity(config.dataDir); // after open: the folder's LOCK is ours
  } catch (e) {
    await store.close();
    throw e;
  }
  // On chain the cluster names a node by its key: answers, signatures and repair's "self" must use that name.
  if (config.chain) config = { ...config, id: nodeIdFromPublicKey(identity.publicKey) };
  if (identity.modeFixed !== undefined) log({ event: 'warning', message: `${identity.file} was readable by others (mode ${identity.modeFixed.toString(8)}); narrowed it to 600` });
  if (config.auth.anonymousWrites) log({ event: 'warning', message: 'TEST-ONLY auth.anonymousWrites is on: this node accepts unsigned writes' });
  let auth: NodeAuth;
  try {
    auth = await openNodeAuth(config, identity, log, store);
  } catch (e) {
    await store.close();
    throw e;
  }
  let records: RecordStore;
  try {
    records = await RecordStore.open(config.dataDir);
  } catch (e) {
    await auth.close();
    await store.close();
    throw e;
  }
  const ctx: NodeContext = {
    config,
    store,
    gate: new WriteGate(config.maxConcurrentWrites, config.maxQueuedWrites),
    log,
    startedAt: new Date().toISOString(),
    auth,
    draining: false,
  };
  attachIdentity(ctx, identity);
  attachRecords(ctx, { store: records, sync: undefined });
  const server = createNodeServer(ctx);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    await records.close();
    await auth.close();
    await store.close();
    throw e;
  }
  server.on('error', (e) => log({ event: 'error', message: e.message }));
  void store.orphanSweep().then(
    (removed) => removed > 0 && log({ event: 'orphans-removed', count: removed }),
    (e: unknown) => log({ event: 'error', message: `orphan sweep failed: ${String(e)}` }),
  );
  const port = (server.address() as AddressInfo).port;
  try {
    const refs = ctx.auth.refs;
    const workers = await startWorkers({
      config, store, log, identity: identity.keyPair, refsOf: (id) => refs.list(id), ...(options.membership ? { membership: options.membership } : {}),
    });
    if (workers) ctx.workers = workers;
    startRecordSync(ctx, identity.keyPair);
  } catch (e) {
    server.close();
    await ctx.workers?.close();
    await records.close();
    await auth.close();
    await store.close();
    throw e;
  }

  let resolveClosed!: () => void;
  let rejectClosed!: (e: unknown) => void;
  const closed = new Promise<void>((res, rej) => {
    resolveClosed = res;
    rejectClosed = rej;
  });
  closed.catch(() => undefined);
  let closing: Promise<void> | undefined;

  const shutdown = async (): Promise<void> => {
    ctx.draining = true;
    ctx.gate.close();
    await recordsOf(ctx).sync?.close();
    await ctx.workers?.close();
    // Stop accepting connections, but keep open ones: they may be mid-write, and a
    // health check on them should see the 503.
    const listenerClosed = new Promise<void>((r) => NetServer.prototype.close.call(server, () => r()));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([ctx.gate.idle(), new Promise<void>((r) => (timer = setTimeout(r, config.shutdownTimeoutMs)))]);
    clearTimeout(timer);
    server.closeAllConnections();
    await listenerClosed;
    server.close(); // not listening any more: this only stops node:http's timeout checks
    try {
      await records.close();
      await store.close();
    } finally {
      await auth.close();
    }
  };

  return {
    url: `http://${urlHost(config.host)}:${port}`,
    port,
    id: config.id,
    zone: config.zone,
    dataDir: config.dataDir,
    publicKey: identity.publicKey,
    closed,
    close() {
      closing ??= shutdown().then(resolveClosed, (e: unknown) => {
        rejectClosed(e);
        throw e;
      });
      return closing;
    },
  };
}
