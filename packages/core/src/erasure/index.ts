export { createErasureCoder, erasureBackend } from './coder.js';
export type { ErasureBackend, ErasureCoder, ErasureCoderOptions } from './coder.js';
export { dataParts, joinData, shardSize, splitData } from './split.js';
