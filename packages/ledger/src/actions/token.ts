/** The ERC-20 the contracts hold: balances, allowances, and minting on dev networks. */
import type { Address, Hex } from 'viem';
import { DdcError } from '@ddc/core';
import { requireSigner, type Ledger } from '../connect.js';
import { token } from '../contracts.js';
import { read, sendTx, type TxResult } from '../tx.js';

export async function tokenBalance(ledger: Ledger, account: Address): Promise<bigint> {
  const c = token(ledger);
  return read({ contract: c.name, functionName: 'balanceOf' }, () => ledger.publicClient.readContract({ ...c, functionName: 'balanceOf', args: [account] }));
}

export async function allowance(ledger: Ledger, owner: Address, spender: Address): Promise<bigint> {
  const c = token(ledger);
  return read({ contract: c.name, functionName: 'allowance' }, () => ledger.publicClient.readContract({ ...c, functionName: 'allowance', args: [owner, spender] }));
}

export async function approve(ledger: Ledger, spender: Address, amount: bigint): Promise<TxResult> {
  return sendTx(ledger, token(ledger), 'approve', [spender, amount]);
}

/** Approves `spender` for `amount` unless it already may spend that much; returns the approval tx if one was sent. */
export async function ensureAllowance(ledger: Ledger, spender: Hex, amount: bigint): Promise<TxResult | undefined> {
  const { account } = requireSigner(ledger);
  if ((await allowance(ledger, account.address, spender)) >= amount) return undefined;
  return approve(ledger, spender, amount);
}

/** Mints dev CERE; only the deployer of a dev token may. */
export async function mint(ledger: Ledger, to: Address, amount: bigint): Promise<TxResult> {
  if (!ledger.deployment.devToken) throw new DdcError('DDC_LEDGER_DEPLOYMENT', 'this network uses an existing token, which DDC cannot mint', { hint: 'Get tokens from an exchange or faucet of that network' });
  return sendTx(ledger, token(ledger), 'mint', [to, amount]);
}

export async function transferToken(ledger: Ledger, to: Address, amount: bigint): Promise<TxResult> {
  return sendTx(ledger, token(ledger), 'transfer', [to, amount]);
}
