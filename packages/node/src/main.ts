/**
 * Process entry for `ddc node start --config FILE`: start the node, announce it on stdout
 * with one JSON line (a parent process reads the port from it), stop on SIGINT/SIGTERM.
 */
import { loadNodeConfig } from './config.js';
import { startNode, type RunningNode, type StartNodeOptions } from './node.js';

export async function runNodeFromConfigFile(path: string, options: StartNodeOptions = {}): Promise<RunningNode> {
  const config = await loadNodeConfig(path);
  const node = await startNode(config, options);
  const stop = () => void node.close().catch(() => undefined);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  void node.closed.finally(() => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }).catch(() => undefined);
  process.stdout.write(`${JSON.stringify({ event: 'listening', id: node.id, url: node.url, publicKey: node.publicKey })}\n`);
  return node;
}
