import type { InvokeHandler } from './types.js';

/**
 * Native InvokeModel body handlers keyed by catalog family name (e.g. 'titan-embed', 'cohere-embed',
 * 'amazon-nova-canvas', 'titan-image', 'stability'). A family without an entry is not invokable.
 */
export const INVOKE_HANDLERS: Partial<Record<string, InvokeHandler>> = {};
