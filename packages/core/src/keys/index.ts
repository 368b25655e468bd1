export * from './mnemonic.js';
export * from './slip10.js';
export * from './derive.js';
export * from './public-id.js';
export * from './keystore.js';
