/** Deploys the DDC contracts to any EVM chain and returns the deployment record. */
import { createPublicClient, createWalletClient, http, type Abi, type Account, type Address, type Hex } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { DdcError } from '@ddc/core';
import {
  bucketRegistryAbi, bucketRegistryBytecode, cereTokenAbi, cereTokenBytecode, clusterRegistryAbi, clusterRegistryBytecode,
  depositVaultAbi, depositVaultBytecode, nodeRegistryAbi, nodeRegistryBytecode, validatorRegistryAbi, validatorRegistryBytecode,
} from './abis.js';
import { ledgerChain } from './connect.js';
import { DEPLOYMENT_FORMAT, DEPLOYMENT_VERSION, parseDeployment, type Deployment } from './deployment.js';
import { toLedgerError } from './errors.js';
import * as v from './validate.js';

export interface DeployOptions {
  rpcUrl: string;
  /** The deployer: admin of the contracts and owner of the dev token. */
  account: Account | Hex;
  /** An existing ERC-20 to use instead of deploying the dev CERE token. */
  token?: Address;
  /** Minimum validator stake in token base units. Default 0 (any stake above zero). */
  validatorMinStake?: bigint;
  /** Seconds a validator's stake stays locked after unbonding. Default 7 days. */
  validatorUnbondingDelay?: number;
  /** Progress lines ("deploying NodeRegistry..."). */
  log?: (line: string) => void;
}

const KEYS = ['rpcUrl', 'account', 'token', 'validatorMinStake', 'validatorUnbondingDelay', 'log'];

export async function deployAll(options: DeployOptions): Promise<Deployment> {
  for (const k of Object.keys(options)) if (!KEYS.includes(k)) throw new DdcError('DDC_INVALID_CONFIG', `unknown deploy option "${k}"`, { hint: `Allowed: ${KEYS.join(', ')}` });
  const account = typeof options.account === 'string' ? privateKeyToAccount(options.account) : options.account;
  const minStake = v.amount('validatorMinStake', options.validatorMinStake ?? 0n, 256);
  const delay = v.uintN('validatorUnbondingDelay', options.validatorUnbondingDelay ?? 7 * 24 * 3600, 32);
  const log = options.log ?? (() => undefined);
  const probe = createPublicClient({ transport: http(options.rpcUrl) });
  let chainId: number;
  try {
    chainId = await probe.getChainId();
  } catch (e) {
    throw toLedgerError(e, { contract: 'chain', functionName: 'eth_chainId' });
  }
  const chain = ledgerChain(chainId, options.rpcUrl);
  const publicClient = createPublicClient({ chain, transport: http(options.rpcUrl), pollingInterval: 250 });
  const wallet = createWalletClient({ chain, transport: http(options.rpcUrl), account });
  let firstBlock: bigint | undefined;

  async function deploy(name: string, abi: Abi, bytecode: Hex, args: readonly unknown[]): Promise<Address> {
    log(`deploying ${name}...`);
    try {
      const hash = await wallet.deployContract({ abi, bytecode, args } as never);
      const receipt = await publicClient.waitForTransactionReceipt({ hash });
      if (receipt.status !== 'success' || !receipt.contractAddress) throw new DdcError('DDC_LEDGER_DEPLOYMENT', `deploying ${name} failed in block ${receipt.blockNumber}`, { hint: 'Check the chain supports the cancun EVM version and the deployer has gas' });
      firstBlock ??= receipt.blockNumber;
      return receipt.contractAddress;
    } catch (e) {
      throw toLedgerError(e, { contract: name, functionName: 'constructor' });
    }
  }

  const admin = account.address;
  const token = options.token !== undefined ? v.address('token', options.token) : await deploy('CereToken', cereTokenAbi, cereTokenBytecode, [admin]);
  const clusters = await deploy('ClusterRegistry', clusterRegistryAbi, clusterRegistryBytecode, []);
  const nodes = await deploy('NodeRegistry', nodeRegistryAbi, nodeRegistryBytecode, [token, clusters, admin]);
  const buckets = await deploy('BucketRegistry', bucketRegistryAbi, bucketRegistryBytecode, [clusters]);
  const deposits = await deploy('DepositVault', depositVaultAbi, depositVaultBytecode, [token, clusters, admin]);
  const validators = await deploy('ValidatorRegistry', validatorRegistryAbi, validatorRegistryBytecode, [token, minStake, delay, admin]);
  // Through the parser: addresses come back checksummed, as a file read later has them.
  return parseDeployment({
    format: DEPLOYMENT_FORMAT,
    version: DEPLOYMENT_VERSION,
    chainId,
    deployBlock: Number(firstBlock ?? 0n),
    deployer: admin,
    devToken: options.token === undefined,
    contracts: { token, clusters, nodes, buckets, deposits, validators },
  });
}
