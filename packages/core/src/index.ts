export * from './errors.js';
export * from './hash.js';
export * from './bytes.js';
