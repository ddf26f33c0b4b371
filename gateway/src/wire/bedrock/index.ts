export * from './converse.js';
