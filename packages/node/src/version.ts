/** The node's release, read once from its package.json (reported by /info). */
import { readFileSync } from 'node:fs';

export const NODE_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
