export * from './record.js';
export * from './list.js';
