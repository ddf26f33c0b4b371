export * from './batch.js';
export * from './chat-request.js';
export * from './chat-response.js';
export * from './embeddings.js';
export * from './images.js';
