export * from './batch.js';
export * from './converse.js';
export * from './converse-stream.js';
export * from './invoke-embeddings.js';
export * from './invoke-images.js';
