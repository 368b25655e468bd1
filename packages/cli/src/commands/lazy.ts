/**
 * The commands, each loaded on first use (as ledger/lazy.ts does for the ledger's): `ddc get`
 * should not pay at start-up for the node's LMDB, the gateway or the dev cluster's modules.
 */
type Command = (argv: string[]) => Promise<number>;

export const putCommand: Command = async (argv) => (await import('./put.js')).putCommand(argv);
export const getCommand: Command = async (argv) => (await import('./get.js')).getCommand(argv);
export const statCommand: Command = async (argv) => (await import('./stat.js')).statCommand(argv);
export const verifyCommand: Command = async (argv) => (await import('./stat.js')).verifyCommand(argv);
export const devCommand: Command = async (argv) => (await import('./dev.js')).devCommand(argv);
export const nodeCommand: Command = async (argv) => (await import('./node.js')).nodeCommand(argv);
export const clusterCommand: Command = async (argv) => (await import('./cluster.js')).clusterCommand(argv);
export const auditCommand: Command = async (argv) => (await import('./audit.js')).auditCommand(argv);
export const keysCommand: Command = async (argv) => (await import('./keys.js')).keysCommand(argv);
export const gatewayCommand: Command = async (argv) => (await import('./gateway.js')).gatewayCommand(argv);
