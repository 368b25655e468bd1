/** Validators: register with stake, add stake, unbond, withdraw, read. */
import type { Address, Hex } from 'viem';
import type { Ledger } from '../connect.js';
import { validators } from '../contracts.js';
import { read, sendTx, type TxResult } from '../tx.js';
import { VALIDATOR_STATUSES, type ValidatorRecord } from '../types.js';
import * as v from '../validate.js';
import { ensureAllowance } from './token.js';
import type { TokenPullOptions } from './nodes.js';

export async function registerValidator(ledger: Ledger, signingKey: Hex | Uint8Array, stake: bigint, options: TokenPullOptions = {}): Promise<TxResult> {
  const c = validators(ledger);
  if (options.approve !== false) await ensureAllowance(ledger, c.address, v.amount('stake', stake, 256));
  return sendTx(ledger, c, 'registerValidator', [v.key32('signingKey', signingKey), stake]);
}

export async function addValidatorStake(ledger: Ledger, amount: bigint, options: TokenPullOptions = {}): Promise<TxResult> {
  const c = validators(ledger);
  if (options.approve !== false) await ensureAllowance(ledger, c.address, v.amount('amount', amount, 256));
  return sendTx(ledger, c, 'addStake', [amount]);
}

export async function unbondValidator(ledger: Ledger): Promise<TxResult> {
  return sendTx(ledger, validators(ledger), 'unbondValidator', []);
}

export async function withdrawValidatorStake(ledger: Ledger): Promise<TxResult> {
  return sendTx(ledger, validators(ledger), 'withdrawValidatorStake', []);
}

export async function getValidator(ledger: Ledger, address: Address): Promise<ValidatorRecord> {
  const c = validators(ledger);
  const r = await read({ contract: c.name, functionName: 'getValidator' }, () => ledger.publicClient.readContract({ ...c, functionName: 'getValidator', args: [v.address('validator', address)] }));
  return { address, signingKey: r.signingKey, stake: r.stake, status: VALIDATOR_STATUSES[r.status] ?? 'none', unlockAt: r.unlockAt, activeSince: r.activeSince };
}

export async function validatorTotals(ledger: Ledger): Promise<{ totalActiveStake: bigint; totalStaked: bigint; minStake: bigint; unbondingDelay: number }> {
  const c = validators(ledger);
  const site = { contract: c.name, functionName: 'totals' };
  const [totalActiveStake, totalStaked, minStake, unbondingDelay] = await read(site, () =>
    Promise.all([
      ledger.publicClient.readContract({ ...c, functionName: 'totalActiveStake' }),
      ledger.publicClient.readContract({ ...c, functionName: 'totalStaked' }),
      ledger.publicClient.readContract({ ...c, functionName: 'minStake' }),
      ledger.publicClient.readContract({ ...c, functionName: 'unbondingDelay' }),
    ]),
  );
  return { totalActiveStake, totalStaked, minStake, unbondingDelay };
}
