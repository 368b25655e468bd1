export * from './object-cipher.js';
export * from './edek.js';
export * from './group.js';
export * from './fields.js';
export * from './field-grants.js';
