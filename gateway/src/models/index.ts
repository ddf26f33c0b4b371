export * from './naming.js';
export * from './capabilities.js';
export * from './pricing.js';
