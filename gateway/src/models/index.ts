export * from './naming.js';
export * from './capabilities.js';
