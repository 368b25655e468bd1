/** Customer deposits per cluster: deposit, unlock, withdraw, balances. */
import type { Address } from 'viem';
import type { Ledger } from '../connect.js';
import { deposits } from '../contracts.js';
import { read, sendTx, type TxResult } from '../tx.js';
import type { DepositBalance } from '../types.js';
import * as v from '../validate.js';
import { ensureAllowance } from './token.js';
import type { TokenPullOptions } from './nodes.js';

export async function deposit(ledger: Ledger, clusterId: number, amount: bigint, options: TokenPullOptions & { for?: Address } = {}): Promise<TxResult> {
  const c = deposits(ledger);
  if (options.approve !== false) await ensureAllowance(ledger, c.address, v.amount('amount', amount));
  if (options.for !== undefined) return sendTx(ledger, c, 'depositFor', [v.address('for', options.for), v.clusterId(clusterId), amount]);
  return sendTx(ledger, c, 'deposit', [v.clusterId(clusterId), amount]);
}

/** Moves `amount` to unlocking; it can be withdrawn after the cluster's deposit unlock delay. */
export async function unlock(ledger: Ledger, clusterId: number, amount: bigint): Promise<TxResult> {
  return sendTx(ledger, deposits(ledger), 'unlock', [v.clusterId(clusterId), v.amount('amount', amount)]);
}

/** Withdraws everything unlocked; reverts with DepositLocked before the delay is over. */
export async function withdraw(ledger: Ledger, clusterId: number): Promise<TxResult> {
  return sendTx(ledger, deposits(ledger), 'withdraw', [v.clusterId(clusterId)]);
}

export async function depositBalance(ledger: Ledger, account: Address, clusterId: number): Promise<DepositBalance> {
  const c = deposits(ledger);
  const b = await read({ contract: c.name, functionName: 'balanceOf' }, () => ledger.publicClient.readContract({ ...c, functionName: 'balanceOf', args: [v.address('account', account), v.clusterId(clusterId)] }));
  return { available: b.available, unlocking: b.unlocking, unlockAt: b.unlockAt };
}

/** All tokens the vault accounts for: equals its token balance (the invariant tests check). */
export async function totalDeposits(ledger: Ledger): Promise<bigint> {
  const c = deposits(ledger);
  return read({ contract: c.name, functionName: 'totalHeld' }, () => ledger.publicClient.readContract({ ...c, functionName: 'totalHeld' }));
}
