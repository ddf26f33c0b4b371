export * from './capabilities.js';
export * from './naming.js';
export * from './pricing.js';
