/**
 * The dev chain: a local anvil on a loopback port with its state in a folder, so the
 * chain survives restarts, plus the contracts deployed once and dev accounts funded from
 * a printed, well-known mnemonic. For development and tests only: the keys are public.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { createPublicClient, http, toHex, type Hex } from 'viem';
import { mnemonicToAccount } from 'viem/accounts';
import { DdcError } from '@ddc/core';
import { anvilPath } from './anvil-bin.js';
import { connectLedger } from './connect.js';
import { deployAll } from './deploy.js';
import { parseDeployment, type Deployment } from './deployment.js';
import { writeDeploymentFile } from './deployment-file.js';
import { mint } from './actions/token.js';
import { parseCere } from './amounts.js';

/** Anvil's default mnemonic: every Ethereum tool knows these keys, which is the point on a dev chain. */
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk';
export const DEV_CHAIN_ID = 31337;

export interface DevAccount {
  index: number;
  address: Hex;
  privateKey: Hex;
}

export interface DevChainOptions {
  /** Folder for the chain state (chain-state.json) and the deployment file. Created if missing. */
  dir: string;
  /** Loopback port; 0 (default) picks a free one. */
  port?: number;
  /** Dev accounts derived from the mnemonic and funded with native coin. Default 10. */
  accounts?: number;
  /** Seconds between state dumps while running (the state is dumped on stop as well). Default 5. */
  stateIntervalSec?: number;
  /** Lines of progress. */
  log?: (line: string) => void;
}

const KEYS = ['dir', 'port', 'accounts', 'stateIntervalSec', 'log'];

export function devAccounts(count: number, mnemonic = DEV_MNEMONIC): DevAccount[] {
  return Array.from({ length: count }, (_, index) => {
    const a = mnemonicToAccount(mnemonic, { addressIndex: index });
    return { index, address: a.address, privateKey: toHex(a.getHdKey().privateKey!) };
  });
}

export class DevChain {
  readonly mnemonic = DEV_MNEMONIC;
  readonly chainId = DEV_CHAIN_ID;
  readonly deploymentFile: string;
  private exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly rpcUrl: string,
    readonly dir: string,
    readonly statePath: string,
    readonly accounts: DevAccount[],
  ) {
    this.deploymentFile = join(dir, 'deployment.json');
    this.exited = new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (code) => r(code))));
    // A parent that exits without stop() (a crashed test) must not leave anvil running; SIGTERM still lets it dump its state.
    this.orphanGuard = () => child.kill('SIGTERM');
    process.once('exit', this.orphanGuard);
  }

  private readonly orphanGuard: () => void;

  static async start(options: DevChainOptions): Promise<DevChain> {
    for (const k of Object.keys(options)) if (!KEYS.includes(k)) throw new DdcError('DDC_INVALID_CONFIG', `unknown dev chain option "${k}"`, { hint: `Allowed: ${KEYS.join(', ')}` });
    const port = options.port ?? 0;
    const count = options.accounts ?? 10;
    const interval = options.stateIntervalSec ?? 5;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new DdcError('DDC_INVALID_CONFIG', `port must be 0..65535, got ${port}`, { hint: 'Use 0 to pick a free port' });
    if (!Number.isInteger(count) || count < 1 || count > 1000) throw new DdcError('DDC_INVALID_CONFIG', `accounts must be 1..1000, got ${count}`, { hint: 'Leave it out to use 10' });
    if (!Number.isInteger(interval) || interval < 1) throw new DdcError('DDC_INVALID_CONFIG', `stateIntervalSec must be a positive integer, got ${interval}`, { hint: 'Leave it out to use 5' });
    const dir = resolve(options.dir);
    await mkdir(dir, { recursive: true });
    const statePath = join(dir, 'chain-state.json');
    const args = ['--host', '127.0.0.1', '--port', String(port), '--chain-id', String(DEV_CHAIN_ID), '--mnemonic', DEV_MNEMONIC, '--accounts', String(count), '--state', statePath, '--state-interval', String(interval)];
    const child = spawn(anvilPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const rpcUrl = await new Promise<string>((ok, fail) => {
      let tail = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        fail(new DdcError('DDC_DEV_CHAIN', 'anvil did not start within 20 s', { hint: `Its last output: ${tail.slice(-400)}` }));
      }, 20_000);
      child.once('error', (cause) => {
        clearTimeout(timer);
        fail(new DdcError('DDC_DEV_CHAIN', 'anvil could not be started', { cause, hint: 'Run `npm install`, or set DDC_ANVIL_BIN' }));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new DdcError('DDC_DEV_CHAIN', `anvil exited with code ${code} while starting`, { hint: `Is ${statePath} damaged or another anvil using it? Its output: ${tail.slice(-400)}` }));
      });
      child.stderr!.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-2000)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        tail = (tail + line + '\n').slice(-2000);
        const m = /^Listening on ([\d.]+):(\d+)/.exec(line.trim());
        if (m) {
          clearTimeout(timer);
          ok(`http://${m[1]}:${m[2]}`);
        }
      });
    });
    child.removeAllListeners('exit');
    const chain = new DevChain(child, rpcUrl, dir, statePath, devAccounts(count));
    await chain.waitReady();
    options.log?.(`dev chain: anvil on ${rpcUrl}, chain id ${DEV_CHAIN_ID}, state in ${statePath}`);
    return chain;
  }

  private async waitReady(): Promise<void> {
    const client = createPublicClient({ transport: http(this.rpcUrl, { retryCount: 0 }) });
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await client.getChainId();
        return;
      } catch (cause) {
        if (Date.now() > deadline) {
          await this.stop();
          throw new DdcError('DDC_DEV_CHAIN', `anvil at ${this.rpcUrl} does not answer`, { cause, hint: 'Check nothing blocks loopback connections' });
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Stops anvil; it writes its state on the way out, which is what a restart loads. */
  async stop(): Promise<void> {
    process.removeListener('exit', this.orphanGuard);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
  }

  /**
   * Deploys the contracts unless the deployment file names contracts that this chain has
   * (a restart), then mints `fund` CERE to every dev account on first deploy.
   */
  async ensureDeployment(options: { fund?: string; log?: (line: string) => void } = {}): Promise<{ deployment: Deployment; created: boolean }> {
    const log = options.log ?? (() => undefined);
    const existing = await this.readDeployment();
    if (existing) return { deployment: existing, created: false };
    const deployer = this.accounts[0]!;
    const deployment = await deployAll({ rpcUrl: this.rpcUrl, account: deployer.privateKey, validatorUnbondingDelay: 60, log });
    const ledger = connectLedger({ deployment, rpcUrl: this.rpcUrl, account: deployer.privateKey });
    const amount = parseCere(options.fund ?? '1000000');
    for (const a of this.accounts) await mint(ledger, a.address, amount);
    log(`dev chain: funded ${this.accounts.length} dev accounts with ${options.fund ?? '1000000'} CERE each`);
    await writeDeploymentFile(this.deploymentFile, deployment);
    return { deployment, created: true };
  }

  /** The deployment file, if it exists and its contracts are on this chain. */
  private async readDeployment(): Promise<Deployment | undefined> {
    let text: string;
    try {
      text = await readFile(this.deploymentFile, 'utf8');
    } catch {
      return undefined;
    }
    const deployment = parseDeployment(JSON.parse(text));
    const client = createPublicClient({ transport: http(this.rpcUrl) });
    const code = await client.getCode({ address: deployment.contracts.nodes });
    // A deleted or reset chain state leaves a file naming empty addresses: deploy again.
    return deployment.chainId === DEV_CHAIN_ID && code && code !== '0x' ? deployment : undefined;
  }
}
