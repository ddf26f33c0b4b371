/**
 * OpenAI API surfaces that Bedrock has no counterpart for. They answer 404 in OpenAI's error shape
 * naming the surface, so a caller sees why instead of a bare "not found" (DESIGN.md, HTTP API).
 */
import { GatewayError } from '../errors/index.js';

interface Surface {
  readonly prefix: string;
  readonly name: string;
  readonly hint?: string;
}

// Longest prefixes first where they overlap (`/v1/chat/completions/` before nothing else needed).
const UNSUPPORTED: readonly Surface[] = [
  { prefix: '/v1/responses', name: 'The Responses API', hint: 'Use POST /v1/chat/completions.' },
  { prefix: '/v1/conversations', name: 'The Conversations API', hint: 'Use POST /v1/chat/completions.' },
  {
    prefix: '/v1/chat/completions/',
    name: 'Stored chat completions',
    hint: 'Completions are not stored by the gateway.',
  },
  { prefix: '/v1/completions', name: 'The legacy Completions API', hint: 'Use POST /v1/chat/completions.' },
  { prefix: '/v1/edits', name: 'The Edits API', hint: 'Use POST /v1/chat/completions.' },
  { prefix: '/v1/engines', name: 'The Engines API', hint: 'Use GET /v1/models.' },
  { prefix: '/v1/audio', name: 'The Audio API (speech, transcriptions, translations)' },
  {
    prefix: '/v1/moderations',
    name: 'The Moderations API',
    hint: 'Bedrock Guardrails are configured on the account instead.',
  },
  { prefix: '/v1/fine_tuning', name: 'Fine-tuning' },
  { prefix: '/v1/fine-tunes', name: 'Fine-tuning' },
  { prefix: '/v1/realtime', name: 'The Realtime API' },
  { prefix: '/v1/assistants', name: 'The Assistants API' },
  { prefix: '/v1/threads', name: 'The Assistants API (threads and runs)' },
  { prefix: '/v1/vector_stores', name: 'Vector stores' },
  { prefix: '/v1/evals', name: 'Evals' },
  { prefix: '/v1/uploads', name: 'The Uploads API', hint: 'Use POST /v1/files.' },
  { prefix: '/v1/containers', name: 'Containers' },
  { prefix: '/v1/videos', name: 'The Videos API' },
  { prefix: '/v1/chatkit', name: 'ChatKit' },
  { prefix: '/v1/organization', name: 'The Administration API' },
  { prefix: '/v1/images/variations', name: 'Image variations', hint: 'Use POST /v1/images/edits.' },
];

/** The unsupported-surface error for a path, or undefined when the path is not a known OpenAI surface. */
export function unsupportedSurfaceError(path: string): GatewayError | undefined {
  for (const surface of UNSUPPORTED) {
    if (
      path === surface.prefix ||
      path.startsWith(surface.prefix.endsWith('/') ? surface.prefix : `${surface.prefix}/`)
    ) {
      return new GatewayError(
        'unsupported_endpoint',
        `${surface.name} (${surface.prefix.replace(/\/$/, '')}) is not supported for Amazon Bedrock by this gateway.${surface.hint ? ` ${surface.hint}` : ''}`,
      );
    }
  }
  return undefined;
}
