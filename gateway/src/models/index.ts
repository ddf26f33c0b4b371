export * from './naming.js';
