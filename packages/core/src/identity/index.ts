export * from './keys.js';
export * from './key-file.js';
export * from './challenge.js';
export * from './header-statement.js';
export * from './agreement.js';
export * from './evidence.js';
export { encodeBase64, decodeBase64Strict } from './wire.js';
