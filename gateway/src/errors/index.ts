export * from './registry.js';
export * from './bedrock.js';
