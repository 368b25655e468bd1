/** @ddc/ledger: the DDC contracts' ABIs, a typed client for them, and deployment records. Isomorphic. */
export * from './abis.js';
export * from './types.js';
export * from './deployment.js';
export { connectLedger, assertChain, ledgerChain, type Ledger, type LedgerOptions } from './connect.js';
export { toLedgerError, decodeRevertData, CERE_DECIMALS, type RevertDetails, type CallSite } from './errors.js';
export type { TxResult } from './tx.js';
export { deployAll, type DeployOptions } from './deploy.js';
export { nodeIdFromKey } from './node-id.js';
export { parseCere, formatCere } from './amounts.js';
export * from './actions/clusters.js';
export * from './actions/nodes.js';
export * from './actions/buckets.js';
export * from './actions/deposits.js';
export * from './actions/validators.js';
export * from './actions/token.js';
