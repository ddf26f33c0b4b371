/**
 * OpenAI `POST /v1/chat/completions` request body, as accepted by the gateway after parsing
 * (`parseChatCompletionRequest`). Types only.
 *
 * Content is kept in the caller's form (string or parts) so translators see what was sent; parts
 * and messages are discriminated unions (`type`, `role`). Gateway extensions are marked
 * "Extension": the official OpenAI SDKs send them when given through `extra_body`.
 */

import type { JsonObject, JsonValue } from '../json.js';

export type { JsonObject, JsonValue };

/**
 * Prompt-cache marker (Anthropic's `cache_control`, as LiteLLM and others accept it on OpenAI
 * bodies). Extension. A cache checkpoint is placed after the marked item.
 */
export interface CacheControl {
  type: 'ephemeral';
  ttl?: '5m' | '1h';
}

// ---------------------------------------------------------------------------------------------
// Content parts

export interface TextContentPart {
  type: 'text';
  text: string;
  cache_control?: CacheControl;
}

export interface ImageUrlContentPart {
  type: 'image_url';
  image_url: {
    /** `data:image/...;base64,...` or an `http(s)://` URL (fetched by the gateway before translation). */
    url: string;
    detail?: 'auto' | 'low' | 'high';
  };
  cache_control?: CacheControl;
}

export interface FileContentPart {
  type: 'file';
  file: {
    /** A data URI (`data:application/pdf;base64,...`) or bare base64. */
    file_data?: string;
    /** An uploaded file id; not supported for chat input on Bedrock. */
    file_id?: string;
    filename?: string;
    /** MIME type hint for bare base64 `file_data`. Extension (as sent by some clients). */
    format?: string;
  };
  cache_control?: CacheControl;
}

export interface InputAudioContentPart {
  type: 'input_audio';
  input_audio: { data: string; format: string };
}

export interface RefusalContentPart {
  type: 'refusal';
  refusal: string;
}

export type UserContentPart = TextContentPart | ImageUrlContentPart | FileContentPart | InputAudioContentPart;
export type AssistantContentPart = TextContentPart | RefusalContentPart;
/** Tool results may carry text and images (Bedrock `toolResult` content). */
export type ToolContentPart = TextContentPart | ImageUrlContentPart;

// ---------------------------------------------------------------------------------------------
// Messages

export interface SystemMessage {
  role: 'system';
  content: string | TextContentPart[];
  name?: string;
  /** Extension: marks the whole message (a checkpoint after its last part). */
  cache_control?: CacheControl;
}

export interface DeveloperMessage {
  role: 'developer';
  content: string | TextContentPart[];
  name?: string;
  cache_control?: CacheControl;
}

export interface UserMessage {
  role: 'user';
  content: string | UserContentPart[];
  name?: string;
  cache_control?: CacheControl;
}

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/**
 * Reasoning blocks returned on an earlier assistant turn (`message.thinking_blocks`), sent back
 * unchanged so Anthropic can verify the signature in tool loops. Extension.
 */
export type ThinkingBlock =
  | { type: 'thinking'; thinking: string; signature?: string }
  | { type: 'redacted_thinking'; data: string };

export interface AssistantMessage {
  role: 'assistant';
  content?: string | AssistantContentPart[] | null;
  name?: string;
  refusal?: string | null;
  tool_calls?: ToolCall[];
  /** Extension, see {@link ThinkingBlock}. */
  thinking_blocks?: ThinkingBlock[];
  /** Reasoning text some clients echo back; informational only (it carries no signature). */
  reasoning_content?: string | null;
  cache_control?: CacheControl;
}

export interface ToolMessage {
  role: 'tool';
  tool_call_id: string;
  content: string | ToolContentPart[];
  /** Extension: the tool failed; becomes Bedrock `toolResult.status: "error"`. */
  is_error?: boolean;
  cache_control?: CacheControl;
}

export type ChatMessage = SystemMessage | DeveloperMessage | UserMessage | AssistantMessage | ToolMessage;

// ---------------------------------------------------------------------------------------------
// Tools and output format

export interface FunctionDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments; absent = no arguments. */
  parameters?: JsonObject;
  strict?: boolean | null;
}

export interface FunctionTool {
  type: 'function';
  function: FunctionDefinition;
  /** Extension: a cache checkpoint after this tool definition. */
  cache_control?: CacheControl;
}

export type ToolChoiceOption = 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      json_schema: { name: string; description?: string; schema?: JsonObject; strict?: boolean | null };
    };

export type ReasoningEffort = 'none' | 'minimal' | 'low' | 'medium' | 'high';

/**
 * Anthropic's native thinking parameter, passed through to Bedrock unchanged. Extension.
 * `adaptive` lets newer Claude models pick their own budget.
 */
export type ThinkingParam = { type: 'enabled'; budget_tokens: number } | { type: 'disabled' } | { type: 'adaptive' };

/**
 * Bedrock-only settings, passed through to the Converse body. Extension (body field `bedrock`).
 * `additionalModelRequestFields` is merged over what the gateway derives (the caller wins).
 */
export interface BedrockExtension {
  additionalModelRequestFields?: JsonObject;
  additionalModelResponseFieldPaths?: string[];
  guardrailConfig?: {
    guardrailIdentifier: string;
    guardrailVersion: string;
    trace?: 'enabled' | 'disabled' | 'enabled_full';
    streamProcessingMode?: 'sync' | 'async';
  };
  performanceConfig?: { latency?: 'standard' | 'optimized' };
  serviceTier?: { type: 'priority' | 'default' | 'flex' | 'reserved' };
  promptVariables?: Record<string, { text: string }>;
  /** Merged with (and overriding) what `user` / `metadata` produce. */
  requestMetadata?: Record<string, string>;
}

export type ServiceTierOption = 'auto' | 'default' | 'flex' | 'priority' | 'scale';

// ---------------------------------------------------------------------------------------------
// Request

export interface ChatCompletionRequest {
  model: string;
  messages: ChatMessage[];

  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  stop?: string | string[] | null;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;

  tools?: FunctionTool[];
  tool_choice?: ToolChoiceOption;
  parallel_tool_calls?: boolean;
  response_format?: ResponseFormat;

  reasoning_effort?: ReasoningEffort | null;

  n?: number | null;
  seed?: number | null;
  logprobs?: boolean | null;
  top_logprobs?: number | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  logit_bias?: Record<string, number> | null;
  user?: string;
  metadata?: Record<string, string> | null;
  service_tier?: ServiceTierOption | null;
  store?: boolean | null;
  modalities?: string[] | null;

  // Extensions
  /** Anthropic-style sampling cut-off; sent as the family's native field. */
  top_k?: number;
  thinking?: ThinkingParam;
  bedrock?: BedrockExtension;
}
