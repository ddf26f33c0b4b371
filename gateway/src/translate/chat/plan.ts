/**
 * The result of translating one chat request: the Converse body and what the HTTP layer and the
 * response translator need to know about how it was built.
 */
import type { ConverseRequest } from '../../wire/bedrock/index.js';
import type { ChatCompletionRequest } from '../../wire/openai/index.js';

/** How `response_format` was honoured; the response translator turns the output back into content. */
export type StructuredOutputMode = { mode: 'native' } | { mode: 'tool'; toolName: string };

export interface ConversePlan {
  /** Exactly what is sent to Converse / ConverseStream (the model id is the path label, not in the body). */
  body: ConverseRequest;
  stream: boolean;
  /** `stream_options.include_usage`: emit a final usage chunk. */
  includeUsage: boolean;
  /**
   * Set when `response_format` asked for JSON. `native`: Bedrock `outputConfig.textFormat`, the text
   * is the JSON. `tool`: a call of the reserved tool `toolName` carries the JSON as its input and must
   * be turned into `message.content` with `finish_reason: "stop"`.
   */
  structuredOutput?: StructuredOutputMode;
  /** Reasoning (thinking) was requested. */
  reasoning: boolean;
  /** Parameters ignored or adjusted, in words a caller understands (sent back in a response header). */
  warnings: string[];
}

/** The reserved tool name used for `response_format` on models without native structured output. */
export const STRUCTURED_OUTPUT_TOOL_NAME = 'json_response';

/**
 * The distinct `http(s)` image URLs of a request, in order of appearance: the media fetcher resolves
 * them before {@link toConverseRequest} runs, which stays synchronous and free of I/O.
 */
export function remoteMediaUrls(request: ChatCompletionRequest): string[] {
  const urls = new Set<string>();
  for (const message of request.messages) {
    if ((message.role !== 'user' && message.role !== 'tool') || typeof message.content === 'string') continue;
    for (const part of message.content) {
      if (part.type !== 'image_url') continue;
      const url = part.image_url.url;
      if (isRemoteUrl(url)) urls.add(url);
    }
  }
  return [...urls];
}

/** Whether a media URL must be fetched (http or https) rather than decoded inline. */
export function isRemoteUrl(url: string): boolean {
  return /^https?:\/\//i.test(url);
}
