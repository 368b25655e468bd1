/** Sends one contract call: simulate first (so reverts come back decoded), send, wait for the receipt. */
import { parseEventLogs, type Abi, type ContractFunctionArgs, type ContractFunctionName, type Hex, type TransactionReceipt, type ContractEventName, type ParseEventLogsReturnType } from 'viem';
import { DdcError } from '@ddc/core';
import { requireSigner, type Ledger } from './connect.js';
import { toLedgerError } from './errors.js';

export interface TxResult {
  hash: Hex;
  blockNumber: bigint;
  gasUsed: bigint;
  receipt: TransactionReceipt;
}

type Writable = 'nonpayable' | 'payable';

export async function sendTx<const abi extends Abi, fn extends ContractFunctionName<abi, Writable>>(
  ledger: Ledger,
  contract: { name: string; address: Hex; abi: abi },
  functionName: fn,
  args: ContractFunctionArgs<abi, Writable, fn>,
): Promise<TxResult> {
  const { wallet, account } = requireSigner(ledger);
  const site = { contract: contract.name, functionName };
  try {
    const params = { account, address: contract.address, abi: contract.abi, functionName, args } as never;
    const { request } = await ledger.publicClient.simulateContract(params);
    const hash = await wallet.writeContract(request as never);
    const receipt = await ledger.publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== 'success') {
      // Passed simulation but reverted when mined: the state changed in between.
      throw new DdcError('DDC_LEDGER_REVERT', `${contract.name}.${functionName} reverted in block ${receipt.blockNumber}`, {
        hint: 'Another transaction changed the state first; read it again and retry',
        details: { contract: contract.name, functionName, errorName: 'unknown', args: {}, hash },
      });
    }
    return { hash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed, receipt };
  } catch (e) {
    throw toLedgerError(e, site);
  }
}

/** The first event of that name the transaction emitted from that contract. */
export function eventOf<const abi extends Abi, name extends ContractEventName<abi>>(
  tx: TxResult,
  contract: { address: Hex; abi: abi },
  eventName: name,
): ParseEventLogsReturnType<abi, name, true, name>[number] {
  const logs = parseEventLogs({ abi: contract.abi, logs: tx.receipt.logs, eventName: eventName as never, strict: true }) as unknown as ParseEventLogsReturnType<abi, name, true, name>;
  const found = logs.find((l) => l.address.toLowerCase() === contract.address.toLowerCase());
  if (!found) throw new DdcError('DDC_INTERNAL', `transaction ${tx.hash} emitted no ${String(eventName)} event`, { hint: 'The deployment may point at a different contract version' });
  return found;
}

/** Runs a read and maps failures (reverts included) to DdcErrors. */
export async function read<T>(site: { contract: string; functionName: string }, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw toLedgerError(e, site);
  }
}
