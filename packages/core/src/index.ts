export * from './errors.js';
export * from './hash.js';
export * from './bytes.js';
export * from './merkle.js';
export * from './shard.js';
export * from './placement.js';
export * from './cluster.js';
export * from './unixfs/index.js';
