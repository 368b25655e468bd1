/** One dev chain per test file: started in a temp folder, contracts deployed, stopped after. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestClient, http, type Hex } from 'viem';
import { DevChain, connectLedger, isDdcErrorLike, type Deployment, type Ledger } from './imports.js';

export interface TestChain {
  chain: DevChain;
  deployment: Deployment;
  /** A ledger signing as dev account i (account 0 deployed the contracts). */
  as(i: number): Ledger;
  /** Moves the chain's clock forward and mines a block. */
  advance(seconds: number): Promise<void>;
  snapshot(): Promise<Hex>;
  revert(id: Hex): Promise<void>;
  close(): Promise<void>;
}

export async function startTestChain(): Promise<TestChain> {
  const dir = await mkdtemp(join(tmpdir(), 'ddc-ledger-test-'));
  const chain = await DevChain.start({ dir });
  try {
    const { deployment } = await chain.ensureDeployment();
    const test = createTestClient({ mode: 'anvil', transport: http(chain.rpcUrl) });
    const ledgers = new Map<number, Ledger>();
    return {
      chain,
      deployment,
      as(i) {
        let l = ledgers.get(i);
        if (!l) ledgers.set(i, (l = connectLedger({ deployment, rpcUrl: chain.rpcUrl, account: chain.accounts[i]!.privateKey, pollingIntervalMs: 20 })));
        return l;
      },
      async advance(seconds) {
        await test.increaseTime({ seconds });
        await test.mine({ blocks: 1 });
      },
      snapshot: () => test.snapshot(),
      revert: (id) => test.revert({ id }),
      async close() {
        await chain.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await chain.stop();
    throw e;
  }
}

/** Asserts the promise rejects with DDC_LEDGER_REVERT naming `errorName`; returns the decoded args. */
export async function expectRevert(p: Promise<unknown>, errorName: string): Promise<Record<string, string | number | boolean>> {
  try {
    await p;
  } catch (e) {
    if (!isDdcErrorLike(e) || e.code !== 'DDC_LEDGER_REVERT') throw new Error(`expected DDC_LEDGER_REVERT ${errorName}, got ${String(e)}`, { cause: e });
    const d = e.details as { errorName: string; args: Record<string, string | number | boolean> };
    if (d.errorName !== errorName) throw new Error(`expected ${errorName}, got ${d.errorName}: ${e.message}`, { cause: e });
    return d.args;
  }
  throw new Error(`expected a revert with ${errorName}, but the call succeeded`);
}

export const key = (n: number): Hex => `0x${n.toString(16).padStart(2, '0').repeat(32)}` as Hex;
