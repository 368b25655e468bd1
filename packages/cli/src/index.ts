export { main } from './main.js';
export { DevCluster, DDC_BIN, type DevClusterOptions, type DevClusterChainOptions, type DevChainFile, type DevNode } from './dev/cluster-runner.js';
