/**
 * OpenAI chat completion responses as the gateway writes them: `chat.completion` objects and
 * `chat.completion.chunk` stream events. Types only. Fields marked "Extension" are not in OpenAI's API;
 * they carry Bedrock information OpenAI has no place for and are documented in
 * docs/chat-response-mapping.md. OpenAI SDKs ignore unknown fields, so they are safe to add.
 */
import type { ThinkingBlock, ToolCall } from './chat-request.js';

/** OpenAI's finish reasons (`function_call` is legacy and never produced). */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

/**
 * Extension: why the turn ended when `finish_reason` alone hides it. `length` covers both the token
 * limit and the model's context window; `stop` covers output the model could not produce well-formed;
 * `content_filter` covers both a configured guardrail and the model's own filter.
 */
export type FinishDetail =
  | 'context_window_exceeded'
  | 'malformed_model_output'
  | 'malformed_tool_call'
  | 'guardrail_intervened';

export interface PromptTokensDetails {
  /** Prompt tokens read from the prompt cache (Bedrock `cacheReadInputTokens`). */
  cached_tokens: number;
  /** Extension: prompt tokens written to the prompt cache (Bedrock `cacheWriteInputTokens`). */
  cache_creation_tokens?: number;
}

export interface CompletionTokensDetails {
  /** Output tokens spent on reasoning; only present when the upstream reports it. */
  reasoning_tokens?: number;
}

/**
 * Token usage. `prompt_tokens` counts every prompt token, cached or not (Bedrock's `inputTokens` excludes
 * cache reads and writes), so `prompt_tokens + completion_tokens = total_tokens` as in OpenAI.
 */
export interface CompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: PromptTokensDetails;
  completion_tokens_details?: CompletionTokensDetails;
  /** Extension (the Anthropic spelling many clients read): same value as `prompt_tokens_details.cache_creation_tokens`. */
  cache_creation_input_tokens?: number;
}

export interface ChatCompletionMessage {
  role: 'assistant';
  content: string | null;
  refusal: string | null;
  tool_calls?: ToolCall[];
  /** Extension: the model's reasoning text, all reasoning blocks joined. */
  reasoning_content?: string;
  /** Extension: reasoning blocks with their signatures, to send back unchanged in a tool loop. */
  thinking_blocks?: ThinkingBlock[];
}

export interface ChatCompletionChoice {
  index: number;
  message: ChatCompletionMessage;
  finish_reason: FinishReason;
  logprobs: null;
  /** Extension, see {@link FinishDetail}. Present only when it says more than `finish_reason`. */
  finish_detail?: FinishDetail;
}

export type ServiceTierResult = 'default' | 'priority' | 'flex';

/** A `chat.completion` object (non-streaming response). */
export interface ChatCompletion {
  /** `chatcmpl-…`. */
  id: string;
  object: 'chat.completion';
  /** Unix seconds. */
  created: number;
  /** The served model name (`<account>/<model>`), never the Bedrock id. */
  model: string;
  choices: ChatCompletionChoice[];
  usage: CompletionUsage;
  /** The tier Bedrock actually served the request on, when it said. */
  service_tier?: ServiceTierResult;
}

/** One tool-call fragment of a streamed delta. `index` is dense from 0 within the message. */
export interface ChatCompletionChunkToolCall {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export interface ChatCompletionChunkDelta {
  role?: 'assistant';
  content?: string | null;
  refusal?: string | null;
  tool_calls?: ChatCompletionChunkToolCall[];
  /** Extension: a fragment of reasoning text. */
  reasoning_content?: string;
  /** Extension: a finished reasoning block's signature (`thinking` empty) or a redacted block. */
  thinking_blocks?: ThinkingBlock[];
}

export interface ChatCompletionChunkChoice {
  index: number;
  delta: ChatCompletionChunkDelta;
  logprobs: null;
  finish_reason: FinishReason | null;
  /** Extension, see {@link FinishDetail}. */
  finish_detail?: FinishDetail;
}

/**
 * A `chat.completion.chunk` event. With `stream_options.include_usage` every chunk carries
 * `usage: null` and one final chunk with `choices: []` carries the usage, as OpenAI does.
 */
export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: ChatCompletionChunkChoice[];
  usage?: CompletionUsage | null;
}
