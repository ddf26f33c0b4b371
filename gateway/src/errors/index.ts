export * from './bedrock.js';
export * from './registry.js';
