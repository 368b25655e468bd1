/**
 * Runs a local cluster: each node a separate process on a loopback port, state in one
 * folder. Used by `ddc dev`, the benchmarks and the end-to-end tests.
 *
 *   DIR/dev.json              the cluster's shape (k, m, zones, node ids, last ports)
 *   DIR/cluster.json          the descriptor clients read
 *   DIR/keystore.json         the dev identity (the public dev phrase, empty passphrase)
 *   DIR/nodes/ID/config.json  each node's config; DIR/nodes/ID/data its store; node.log its log
 *
 * With `chain` (what `ddc dev` uses) it also runs the dev chain (anvil, state in
 * DIR/chain-state.json, contracts in DIR/deployment.json, DIR/chain.json says where its RPC
 * is), registers, bonds and joins every node on chain with its identity key, and configures
 * the nodes to read membership from the chain. Nodes are then named by their key on chain
 * (`n` + 24 hex); cluster.json mirrors the chain's view for clients that read a descriptor.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile, rename, open } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { DdcError, DEFAULT_REPLICATION_THRESHOLD, parseClusterDescriptor, type ClusterDescriptor } from '@ddc/core';
import { DEV_REPAIR_CONFIG, DEV_SCRUB_CONFIG, nodeIdFromPublicKey } from '@ddc/node';
import type { ChainMembership } from '@ddc/client';
import type { ClusterTerms, DevChain, Ledger } from '@ddc/ledger/node';
import type { Hex } from 'viem';
import { ensureDevKeystore } from './dev-identity.js';

export const DDC_BIN = fileURLToPath(new URL('../../../bin/ddc.js', import.meta.url));

export interface DevClusterOptions {
  dataDir: string;
  nodes?: number;
  zones?: number;
  k?: number;
  m?: number;
  /** Extra node config per node id (tests: faults). */
  nodeConfig?: (id: string) => Record<string, unknown>;
  /** Reuse the ports of the previous start when free (stable URLs); default true. */
  reusePorts?: boolean;
  /** Extra Node flags for the node processes (profiling: ['--cpu-prof']). */
  execArgv?: string[];
  /** A command prefix per node, e.g. ['ip', 'netns', 'exec', 'ns1'] to run it in a network namespace. */
  launcher?: (id: string) => string[];
  /** Run the dev chain and take membership from it (`ddc dev` does). Default false: a descriptor file only. */
  chain?: boolean | DevClusterChainOptions;
}

export interface DevClusterChainOptions {
  /** Terms of the dev cluster when it is created (default DEV_CLUSTER_TERMS: 100 CERE bond, 30 s delays). */
  terms?: Partial<ClusterTerms>;
  /** How often nodes (and this runner, for cluster.json) check the chain for membership events, in ms. Default 1000. */
  pollMs?: number;
  /** Progress lines (deploys, registrations). */
  log?: (line: string) => void;
}

/** What DIR/chain.json holds: where `ddc` commands find the running dev chain. */
export interface DevChainFile {
  rpcUrl: string;
  chainId: number;
  deployment: string;
  clusterId: number;
  mnemonic: string;
}

interface ChainState {
  chain: DevChain;
  ledger: Ledger;
  clusterId: number;
  pollMs: number;
  membership: ChainMembership | undefined;
  view: ClusterDescriptor | undefined;
  /** Chain writes go one at a time: they are signed by one account. */
  queue: Promise<unknown>;
}

interface DevShape {
  version: 1;
  k: number;
  m: number;
  zones: number;
  /** `member: false` marks a node removed from the descriptor that still runs (draining). */
  nodes: { id: string; zone: string; port: number; member?: boolean }[];
}

export interface DevNode {
  id: string;
  zone: string;
  url: string;
  /** The node's Ed25519 identity key (64 hex), from its listening line. */
  publicKey: string | undefined;
  process: ChildProcess | undefined;
}

async function writeFileDurably(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  const fh = await open(tmp, 'r+');
  await fh.sync();
  await fh.close();
  await rename(tmp, path);
}

async function readShape(dir: string): Promise<DevShape | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, 'dev.json'), 'utf8')) as DevShape;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new DdcError('DDC_INVALID_CONFIG', `cannot read ${join(dir, 'dev.json')}`, { cause: e, hint: 'Remove the data folder to start a fresh dev cluster' });
  }
}

export class DevCluster {
  readonly nodes = new Map<string, DevNode>();
  private stopping = false;
  /** Set once start() wrote the files: a restarted node that changes port rewrites them. */
  private ready = false;
  private writing: Promise<void> = Promise.resolve();
  private chainState: ChainState | undefined;
  onNodeExit: ((node: DevNode, code: number | null, signal: NodeJS.Signals | null) => void) | undefined;

  private constructor(readonly dir: string, private shape: DevShape, private readonly options: DevClusterOptions) {}

  static async start(options: DevClusterOptions): Promise<DevCluster> {
    const dir = resolve(options.dataDir);
    await mkdir(dir, { recursive: true });
    await ensureDevKeystore(dir);
    let shape = await readShape(dir);
    const wanted = { nodes: options.nodes ?? 6, zones: options.zones ?? 3, k: options.k ?? 4, m: options.m ?? 2 };
    if (shape) {
      const asked = (['k', 'm', 'zones'] as const).filter((f) => options[f] !== undefined && options[f] !== shape![f]);
      if (asked.length || (options.nodes !== undefined && options.nodes !== shape.nodes.length)) {
        throw new DdcError('DDC_INVALID_CONFIG', `${dir} holds a cluster with ${shape.nodes.length} nodes, ${shape.zones} zones, k=${shape.k}, m=${shape.m}`, {
          hint: 'Start it without those flags to keep its data, or use another --data folder for a different shape',
        });
      }
    } else {
      if (wanted.nodes < wanted.k + wanted.m) {
        throw new DdcError('DDC_INVALID_CONFIG', `${wanted.nodes} nodes cannot hold stripes of k + m = ${wanted.k + wanted.m}`, { hint: 'Use --nodes >= k + m' });
      }
      const zoneNames = Array.from({ length: wanted.zones }, (_, i) => `zone-${String.fromCharCode(97 + i)}`);
      shape = {
        version: 1,
        k: wanted.k,
        m: wanted.m,
        zones: wanted.zones,
        nodes: Array.from({ length: wanted.nodes }, (_, i) => ({ id: `node-${i + 1}`, zone: zoneNames[i % wanted.zones]!, port: 0 })),
      };
    }
    const cluster = new DevCluster(dir, shape, options);
    try {
      if (options.chain) await cluster.startChain(options.chain === true ? {} : options.chain);
      await Promise.all(shape.nodes.map((n) => cluster.startNode(n.id)));
      if (cluster.chainState) await cluster.followChain();
      await cluster.writeFiles();
      cluster.ready = true;
    } catch (e) {
      await cluster.stop();
      throw e;
    }
    return cluster;
  }

  get clusterFile(): string {
    return join(this.dir, 'cluster.json');
  }

  get chainFile(): string {
    return join(this.dir, 'chain.json');
  }

  /** The dev chain, its ledger connection (signing as dev account 0) and the cluster id, when started with `chain`. */
  get chain(): { chain: DevChain; ledger: Ledger; clusterId: number } | undefined {
    const c = this.chainState;
    return c && { chain: c.chain, ledger: c.ledger, clusterId: c.clusterId };
  }

  /** A node's id in the cluster: its key-derived id on chain, its dev name otherwise. */
  memberId(id: string): string {
    const key = this.nodes.get(id)?.publicKey;
    return this.chainState && key ? nodeIdFromPublicKey(key) : id;
  }

  /** The dev node (by dev name) whose cluster id is `memberId`. */
  nodeByMemberId(memberId: string): DevNode | undefined {
    return [...this.nodes.values()].find((n) => this.memberId(n.id) === memberId);
  }

  private async startChain(options: DevClusterChainOptions): Promise<void> {
    const { DevChain, connectLedger, ensureDevCluster } = await import('@ddc/ledger/node');
    const log = options.log ?? (() => undefined);
    const chain = await DevChain.start({ dir: this.dir, log });
    try {
      const { deployment } = await chain.ensureDeployment({ log });
      const ledger = connectLedger({ deployment, rpcUrl: chain.rpcUrl, account: chain.accounts[0]!.privateKey });
      // The cluster first (nodes are configured with its id), the nodes once they run and have keys.
      const { clusterId } = await ensureDevCluster(ledger, { layout: this.layout(), ...(options.terms ? { terms: options.terms } : {}), nodes: [], log });
      this.chainState = { chain, ledger, clusterId, pollMs: options.pollMs ?? 1000, membership: undefined, view: undefined, queue: Promise.resolve() };
      const file: DevChainFile = { rpcUrl: chain.rpcUrl, chainId: chain.chainId, deployment: chain.deploymentFile, clusterId, mnemonic: chain.mnemonic };
      await writeFileDurably(this.chainFile, `${JSON.stringify(file, null, 2)}\n`);
    } catch (e) {
      await chain.stop();
      throw e;
    }
  }

  private layout() {
    return { k: this.shape.k, m: this.shape.m, replicationThreshold: DEFAULT_REPLICATION_THRESHOLD };
  }

  /** One chain write after another (one signing account). */
  private onChain<T>(op: (c: ChainState) => Promise<T>): Promise<T> {
    const c = this.chainState!;
    const next = c.queue.catch(() => undefined).then(() => op(c));
    c.queue = next;
    return next;
  }

  /** Registers, bonds, joins (or updates the URL of) every member node on chain; sends nothing that is already so. */
  private syncChain(): Promise<void> {
    return this.onChain(async (c) => {
      const { ensureDevCluster } = await import('@ddc/ledger/node');
      const nodes = this.shape.nodes
        .filter((n) => n.member !== false)
        .flatMap((n) => {
          const running = this.nodes.get(n.id);
          return running?.publicKey ? [{ nodeKey: `0x${running.publicKey}` as Hex, url: running.url, zone: n.zone }] : [];
        });
      await ensureDevCluster(c.ledger, { layout: this.layout(), nodes, ...(this.options.chain && this.options.chain !== true && this.options.chain.log ? { log: this.options.chain.log } : {}) });
      await c.membership?.reload();
    });
  }

  /** Brings the chain in line with the running nodes, then mirrors the chain's view into cluster.json as it changes. */
  private async followChain(): Promise<void> {
    const c = this.chainState!;
    await this.syncChain();
    const { ChainMembership } = await import('@ddc/client');
    const membership = await ChainMembership.open({ ledger: c.ledger, clusterId: c.clusterId, pollMs: c.pollMs });
    c.membership = membership;
    c.view = await membership.current();
    membership.onChange((change) => {
      c.view = change.view;
      if (this.ready && !this.stopping) void this.writeFiles().catch(() => undefined);
    });
  }

  descriptor(): ClusterDescriptor {
    if (this.chainState?.view) return this.chainState.view;
    return parseClusterDescriptor({
      version: 1,
      clusterId: 'dev',
      k: this.shape.k,
      m: this.shape.m,
      nodes: this.shape.nodes
        .filter((n) => n.member !== false)
        .map((n) => {
          const running = this.nodes.get(n.id);
          return { id: n.id, zone: n.zone, url: running?.url ?? `http://127.0.0.1:${n.port}`, ...(running?.publicKey ? { publicKey: running.publicKey } : {}) };
        }),
    });
  }

  private writeFiles(): Promise<void> {
    // One writer at a time: concurrent writes would share a temporary file name.
    const next = this.writing.catch(() => undefined).then(() => this.writeFilesNow());
    this.writing = next;
    return next;
  }

  private async writeFilesNow(): Promise<void> {
    await writeFileDurably(join(this.dir, 'dev.json'), `${JSON.stringify(this.shape, null, 2)}\n`);
    await writeFileDurably(this.clusterFile, `${JSON.stringify(this.descriptor(), null, 2)}\n`);
  }

  /** Starts (or restarts) one node process and waits until it listens. */
  async startNode(id: string): Promise<DevNode> {
    const entry = this.shape.nodes.find((n) => n.id === id);
    if (!entry) throw new DdcError('DDC_INVALID_ARGUMENT', `no node ${id} in this dev cluster`);
    const nodeDir = join(this.dir, 'nodes', id);
    await mkdir(nodeDir, { recursive: true });
    const tryPort = async (port: number) => {
      // Nodes watch the descriptor (or the chain); repair and scrub run at dev pace (a lost or rotten shard is back within two minutes).
      const c = this.chainState;
      const membership = c ? { chain: { rpcUrl: c.chain.rpcUrl, deployment: c.chain.deploymentFile, clusterId: c.clusterId, pollMs: c.pollMs } } : { cluster: this.clusterFile };
      const config = {
        version: 1, id, zone: entry.zone, dataDir: join(nodeDir, 'data'), host: '127.0.0.1', port,
        ...membership, repair: DEV_REPAIR_CONFIG, scrub: DEV_SCRUB_CONFIG,
        ...(this.options.nodeConfig?.(id) ?? {}),
      };
      const configFile = join(nodeDir, 'config.json');
      await writeFileDurably(configFile, `${JSON.stringify(config, null, 2)}\n`);
      return this.spawnNode(id, entry.zone, configFile, nodeDir);
    };
    let node: DevNode;
    const reuse = this.options.reusePorts !== false && entry.port > 0;
    try {
      node = await tryPort(reuse ? entry.port : 0);
    } catch (e) {
      if (!reuse) throw e;
      node = await tryPort(0); // the old port is taken: take any free one
    }
    const oldPort = entry.port;
    const oldKey = this.nodes.get(id)?.publicKey;
    entry.port = Number(new URL(node.url).port);
    this.nodes.set(id, node);
    // The other nodes must learn the new URL; auditors the new key (a node restarted on an empty folder).
    if (this.ready && (oldPort !== entry.port || oldKey !== node.publicKey)) {
      if (this.chainState) {
        // On chain a new key is a new node: the old one unbonds (its shards are gone with the folder).
        if (oldKey && oldKey !== node.publicKey) await this.onChain(async (c) => (await import('@ddc/ledger/node')).unbond(c.ledger, `0x${oldKey}`)).catch(() => undefined);
        await this.syncChain();
      } else {
        await this.writeFiles();
      }
    }
    return node;
  }

  private spawnNode(id: string, zone: string, configFile: string, nodeDir: string): Promise<DevNode> {
    return new Promise((resolvePromise, reject) => {
      // An IPC channel lets the node notice when this process dies, even by SIGKILL.
      const argv = [process.execPath, ...(this.options.execArgv ?? []), DDC_BIN, 'node', 'start', '--config', configFile];
      const [command, ...args] = [...(this.options.launcher?.(id) ?? []), ...argv] as [string, ...string[]];
      const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
      const log = createWriteStream(join(nodeDir, 'node.log'), { flags: 'a' });
      child.stderr!.pipe(log);
      let listening = false;
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        log.write(`${line}\n`);
        if (listening) return;
        try {
          const msg = JSON.parse(line) as { event?: string; url?: string; publicKey?: string };
          if (msg.event === 'listening' && msg.url) {
            listening = true;
            const node: DevNode = { id, zone, url: msg.url, publicKey: typeof msg.publicKey === 'string' ? msg.publicKey : undefined, process: child };
            resolvePromise(node);
          }
        } catch {
          // Not a JSON line: ordinary log output.
        }
      });
      child.on('exit', (code, signal) => {
        log.end();
        if (!listening) {
          reject(new DdcError('DDC_NODE_UNAVAILABLE', `node ${id} exited before listening (code ${code}, signal ${signal})`, { hint: `See ${join(nodeDir, 'node.log')}` }));
          return;
        }
        const node = this.nodes.get(id);
        if (node && node.process === child) node.process = undefined;
        if (!this.stopping && node) this.onNodeExit?.(node, code, signal);
      });
    });
  }

  /** Stops one node: SIGTERM drains it gracefully, SIGKILL simulates a crash. */
  async stopNode(id: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.nodes.get(id)?.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    await exited;
  }

  /** Starts a new node and adds it to the descriptor (nodes watching it rebalance). */
  async addNode(zone?: string): Promise<DevNode> {
    const taken = new Set(this.shape.nodes.map((n) => n.id));
    let i = this.shape.nodes.length + 1;
    while (taken.has(`node-${i}`)) i++;
    const zones = [...new Set(this.shape.nodes.map((n) => n.zone))];
    const entry = { id: `node-${i}`, zone: zone ?? zones[(i - 1) % zones.length]!, port: 0 };
    this.shape.nodes.push(entry);
    try {
      const node = await this.startNode(entry.id);
      // On chain: registered, bonded and joined; the nodes learn it from the chain.
      if (this.chainState) await this.syncChain();
      await this.writeFiles();
      return node;
    } catch (e) {
      this.shape.nodes = this.shape.nodes.filter((n) => n !== entry);
      throw e;
    }
  }

  /**
   * Takes a node out of the descriptor (on chain: unbonds it, which starts the cluster's
   * unbonding delay); its process keeps running so it can drain its shards.
   */
  async removeNode(id: string): Promise<void> {
    const entry = this.shape.nodes.find((n) => n.id === id);
    if (!entry) throw new DdcError('DDC_INVALID_ARGUMENT', `no node ${id} in this dev cluster`);
    const key = this.nodes.get(id)?.publicKey;
    if (this.chainState && key) {
      await this.onChain(async (c) => {
        await (await import('@ddc/ledger/node')).unbond(c.ledger, `0x${key}`);
        await c.membership?.reload();
      });
    }
    entry.member = false;
    await this.writeFiles();
  }

  /**
   * Stops a removed node for good and forgets it. On chain the node leaves first and gets
   * its bond back; that fails with StakeLocked (and the node keeps running) until the
   * unbonding delay has passed.
   */
  async retireNode(id: string): Promise<void> {
    const key = this.nodes.get(id)?.publicKey;
    if (this.chainState && key) {
      await this.onChain(async (c) => {
        // A call is simulated against the latest block's time: mine one so a delay that just passed counts.
        await c.ledger.publicClient.request({ method: 'evm_mine', params: [] } as never);
        await (await import('@ddc/ledger/node')).leave(c.ledger, `0x${key}`);
      });
    }
    await this.stopNode(id);
    this.shape.nodes = this.shape.nodes.filter((n) => n.id !== id);
    this.nodes.delete(id);
    await this.writeFiles();
  }

  /** Stops the nodes, then the dev chain (which writes its state for the next start). */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([...this.nodes.keys()].map((id) => this.stopNode(id)));
    const c = this.chainState;
    if (c) {
      await c.membership?.close();
      await c.queue.catch(() => undefined);
      await c.chain.stop();
    }
  }
}
