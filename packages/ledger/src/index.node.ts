/** Node entry: everything in the isomorphic entry, plus the dev chain and deployment files. */
export * from './index.js';
export { DevChain, DEV_MNEMONIC, DEV_CHAIN_ID, devAccounts, type DevAccount, type DevChainOptions } from './dev-chain.js';
export { anvilPath } from './anvil-bin.js';
export { readDeploymentFile, writeDeploymentFile } from './deployment-file.js';
export { ensureDevCluster, DEV_CLUSTER_TERMS, type DevClusterSpec, type DevNodeSpec } from './dev-cluster.js';
