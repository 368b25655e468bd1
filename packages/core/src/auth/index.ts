// evm.ts stays internal: keys/ exports the public address helpers.
export * from './delegation.js';
export * from './token.js';
export * from './verify.js';
export * from './request.js';
export * from './replay.js';
