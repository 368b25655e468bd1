import './platform/node-crypto.js';
export * from './index.js';
