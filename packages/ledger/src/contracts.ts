/** Address + ABI handles for the contracts a deployment names. */
import { bucketRegistryAbi, cereTokenAbi, clusterRegistryAbi, depositVaultAbi, nodeRegistryAbi, validatorRegistryAbi } from './abis.js';
import type { Ledger } from './connect.js';

export const token = (l: Ledger) => ({ name: 'CereToken', address: l.deployment.contracts.token, abi: cereTokenAbi }) as const;
export const clusters = (l: Ledger) => ({ name: 'ClusterRegistry', address: l.deployment.contracts.clusters, abi: clusterRegistryAbi }) as const;
export const nodes = (l: Ledger) => ({ name: 'NodeRegistry', address: l.deployment.contracts.nodes, abi: nodeRegistryAbi }) as const;
export const buckets = (l: Ledger) => ({ name: 'BucketRegistry', address: l.deployment.contracts.buckets, abi: bucketRegistryAbi }) as const;
export const deposits = (l: Ledger) => ({ name: 'DepositVault', address: l.deployment.contracts.deposits, abi: depositVaultAbi }) as const;
export const validators = (l: Ledger) => ({ name: 'ValidatorRegistry', address: l.deployment.contracts.validators, abi: validatorRegistryAbi }) as const;
