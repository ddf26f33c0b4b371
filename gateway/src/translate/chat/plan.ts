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

/** An http(s) image URL and the request parameter it came from, so a failed download names the part. */
export interface RemoteMediaTarget {
  url: string;
  /** e.g. `messages[2].content[1].image_url.url` (the first part that uses the URL). */
  param: string;
}

/**
 * Like {@link remoteMediaUrls}, with the parameter of each URL's first occurrence: a refused or failed
 * download is a 400 whose `param` points at the message part, as for every other content error.
 */
export function remoteMediaTargets(request: ChatCompletionRequest): RemoteMediaTarget[] {
  const targets = new Map<string, string>();
  request.messages.forEach((message, i) => {
    if ((message.role !== 'user' && message.role !== 'tool') || typeof message.content === 'string') return;
    message.content.forEach((part, j) => {
      if (part.type !== 'image_url') return;
      const url = part.image_url.url;
      if (isRemoteUrl(url) && !targets.has(url)) targets.set(url, `messages[${i}].content[${j}].image_url.url`);
    });
  });
  return [...targets].map(([url, param]) => ({ url, param }));
}

/** Whether a media URL must be fetched (http or https) rather than decoded inline. */
export function isRemoteUrl(url: string): boolean {
  return /^https?:\/\//i.test(url);
}
