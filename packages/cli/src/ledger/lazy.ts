/** The ledger commands, loaded on first use: viem costs startup time that put/get should not pay. */
type Command = (argv: string[]) => Promise<number>;

export const chainCommand: Command = async (argv) => (await import('../commands/chain.js')).chainCommand(argv);
export const bucketCommand: Command = async (argv) => (await import('../commands/bucket.js')).bucketCommand(argv);
export const depositCommand: Command = async (argv) => (await import('../commands/deposit.js')).depositCommand(argv);
export const unlockCommand: Command = async (argv) => (await import('../commands/deposit.js')).unlockCommand(argv);
export const withdrawCommand: Command = async (argv) => (await import('../commands/deposit.js')).withdrawCommand(argv);
export const balanceCommand: Command = async (argv) => (await import('../commands/deposit.js')).balanceCommand(argv);
export const clusterCreateCommand: Command = async (argv) => (await import('../commands/cluster-chain.js')).clusterCreateCommand(argv);
export const clusterShowCommand: Command = async (argv) => (await import('../commands/cluster-chain.js')).clusterShowCommand(argv);
export const nodeChainCommand = async (sub: string, argv: string[]): Promise<number> => (await import('../commands/node-chain.js')).nodeChainCommand(sub, argv);
