export * from './converse.js';
export * from './invoke-embeddings.js';
export * from './invoke-images.js';
export * from './converse-stream.js';
