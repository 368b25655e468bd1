/** The contracts' ABIs and bytecode, generated from contracts/*.sol by scripts/compile.mjs. */
export {
  cereTokenAbi,
  cereTokenBytecode,
  clusterRegistryAbi,
  clusterRegistryBytecode,
  nodeRegistryAbi,
  nodeRegistryBytecode,
  bucketRegistryAbi,
  bucketRegistryBytecode,
  depositVaultAbi,
  depositVaultBytecode,
  validatorRegistryAbi,
  validatorRegistryBytecode,
  ledgerErrorsAbi,
} from './generated/contracts.js';
