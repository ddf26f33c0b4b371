import { anthropicMessagesHandler } from './anthropic-messages.js';
import { cohereEmbedHandler } from './cohere-embed.js';
import { novaCanvasHandler } from './nova-canvas.js';
import { stabilityHandler } from './stability.js';
import { titanEmbedHandler } from './titan-embed.js';
import { titanImageHandler } from './titan-image.js';
import type { InvokeHandler } from './types.js';

/**
 * Native InvokeModel body handlers keyed by catalog family name (e.g. 'anthropic', 'titan-embed', 'cohere-embed',
 * 'amazon-nova-canvas', 'titan-image', 'stability'). A family without an entry is not invokable.
 */
export const INVOKE_HANDLERS: Partial<Record<string, InvokeHandler>> = {
  anthropic: anthropicMessagesHandler,
  'titan-embed': titanEmbedHandler,
  'cohere-embed': cohereEmbedHandler,
  'amazon-nova-canvas': novaCanvasHandler,
  'titan-image': titanImageHandler,
  stability: stabilityHandler,
};
