/** A connection to a network's DDC contracts: a public client for reads, an optional signer for writes. */
import { createPublicClient, createWalletClient, defineChain, http, type Account, type Chain, type Hex, type PublicClient, type Transport, type WalletClient } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { DdcError } from '@ddc/core';
import type { Deployment } from './deployment.js';
import { toLedgerError } from './errors.js';

export interface LedgerOptions {
  deployment: Deployment;
  /** The chain's JSON-RPC URL (http or https). */
  rpcUrl: string;
  /** Signs writes: a viem Account or a 32-byte private key as hex. Reads need none. */
  account?: Account | Hex;
  /** How often receipts and blocks are polled, in ms. Default 250 (dev chains mine at once). */
  pollingIntervalMs?: number;
}

export interface Ledger {
  readonly deployment: Deployment;
  readonly chain: Chain;
  readonly publicClient: PublicClient<Transport, Chain>;
  readonly walletClient: WalletClient<Transport, Chain, Account> | undefined;
  readonly account: Account | undefined;
}

const KEYS = ['deployment', 'rpcUrl', 'account', 'pollingIntervalMs'];

export function ledgerChain(chainId: number, rpcUrl: string): Chain {
  return defineChain({ id: chainId, name: `ddc-${chainId}`, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: { default: { http: [rpcUrl] } } });
}

function toAccount(a: Account | Hex): Account {
  if (typeof a !== 'string') return a;
  if (!/^0x[0-9a-fA-F]{64}$/.test(a)) throw new DdcError('DDC_LEDGER_ACCOUNT', 'the private key is not 32 bytes of hex', { hint: 'Give the key as 0x followed by 64 hex digits (in DDC_PRIVATE_KEY or a key file)' });
  return privateKeyToAccount(a);
}

export function connectLedger(options: LedgerOptions): Ledger {
  for (const k of Object.keys(options)) {
    if (!KEYS.includes(k)) throw new DdcError('DDC_INVALID_CONFIG', `unknown ledger option "${k}"`, { hint: `Allowed options are ${KEYS.join(', ')}` });
  }
  let url: URL;
  try {
    url = new URL(options.rpcUrl);
  } catch (cause) {
    throw new DdcError('DDC_INVALID_CONFIG', `rpcUrl "${options.rpcUrl}" is not a URL`, { hint: 'Pass the chain RPC endpoint, e.g. http://127.0.0.1:8545', cause });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new DdcError('DDC_INVALID_CONFIG', `rpcUrl must be http or https, got ${url.protocol}`, { hint: 'Use the HTTP JSON-RPC endpoint of the chain' });
  const pollingInterval = options.pollingIntervalMs ?? 250;
  if (!Number.isInteger(pollingInterval) || pollingInterval < 10) throw new DdcError('DDC_INVALID_CONFIG', `pollingIntervalMs must be an integer >= 10, got ${pollingInterval}`, { hint: 'Leave it out to use 250' });
  const chain = ledgerChain(options.deployment.chainId, options.rpcUrl);
  // Retries hide a flapping endpoint for a moment; the timeout bounds a dead one.
  const transport = http(options.rpcUrl, { retryCount: 2, timeout: 15_000 });
  const publicClient = createPublicClient({ chain, transport, pollingInterval });
  const account = options.account === undefined ? undefined : toAccount(options.account);
  const walletClient = account ? createWalletClient({ chain, transport, account, pollingInterval }) : undefined;
  return { deployment: options.deployment, chain, publicClient, walletClient, account };
}

/** Fails with DDC_LEDGER_DEPLOYMENT unless the RPC endpoint serves the deployment's chain. */
export async function assertChain(ledger: Ledger): Promise<void> {
  let id: number;
  try {
    id = await ledger.publicClient.getChainId();
  } catch (e) {
    throw toLedgerError(e, { contract: 'chain', functionName: 'eth_chainId' });
  }
  if (id !== ledger.deployment.chainId) {
    throw new DdcError('DDC_LEDGER_DEPLOYMENT', `the RPC endpoint serves chain ${id}, but the deployment is for chain ${ledger.deployment.chainId}`, { hint: 'Pass the deployment file for this chain, or the RPC URL of the chain it names' });
  }
}

export function requireSigner(ledger: Ledger): { wallet: WalletClient<Transport, Chain, Account>; account: Account } {
  if (!ledger.walletClient || !ledger.account) {
    throw new DdcError('DDC_LEDGER_ACCOUNT', 'this action writes to the chain but no signing key was given', { hint: 'Set DDC_PRIVATE_KEY, or pass --key-file FILE' });
  }
  return { wallet: ledger.walletClient, account: ledger.account };
}
