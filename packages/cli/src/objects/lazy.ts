/** The object commands, loaded on first use (they pull in viem for the ledger). */
type Command = (argv: string[]) => Promise<number>;

export const objectPutCommand: Command = async (argv) => (await import('../commands/object-put.js')).objectPutCommand(argv);
export const objectGetCommand: Command = async (argv) => (await import('../commands/object-get.js')).objectGetCommand(argv);
export const lsCommand: Command = async (argv) => (await import('../commands/ls.js')).lsCommand(argv);
export const rmCommand: Command = async (argv) => (await import('../commands/rm.js')).rmCommand(argv);
export const cpCommand: Command = async (argv) => (await import('../commands/cp.js')).cpCommand(argv);
export const shareCommand: Command = async (argv) => (await import('../commands/share.js')).shareCommand(argv);
export const unshareCommand: Command = async (argv) => (await import('../commands/share.js')).unshareCommand(argv);
export const tokenCommand: Command = async (argv) => (await import('../commands/token.js')).tokenCommand(argv);
