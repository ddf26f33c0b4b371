export * from './chat-request.js';
