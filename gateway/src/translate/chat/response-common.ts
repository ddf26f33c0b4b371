/**
 * What the non-streaming and streaming response translators share: options, finish-reason and usage
 * mapping (openai-to-bedrock.md §2.2, §2.3, §10).
 */
import { randomFillSync } from 'node:crypto';
import type { ServiceTier, StopReason, TokenUsage } from '../../wire/bedrock/index.js';
import type { CompletionUsage, FinishDetail, FinishReason, ServiceTierResult } from '../../wire/openai/index.js';

/**
 * The parts of the request's `ConversePlan` the response side reads; a whole `ConversePlan` fits.
 * `structuredOutput.mode === 'tool'` means `response_format` was emulated with a forced tool whose input
 * is the answer.
 */
export interface ResponsePlan {
  includeUsage: boolean;
  structuredOutput?: { mode: 'native' } | { mode: 'tool'; toolName: string };
}

/** Options of {@link fromConverseResponse} and {@link ChatStreamTranslator}. */
export interface ChatResponseOptions {
  /** `chatcmpl-…`, see {@link newChatCompletionId}; constant across the chunks of one stream. */
  id: string;
  /** Unix seconds. */
  created: number;
  /** The served model name (`<account>/<model>`). */
  model: string;
  plan: ResponsePlan;
}

const ID_BYTES = 18;
// One CSPRNG call fills ids for 256 requests: a call per id cost more than the rest of the id's work
// (node:crypto's randomUUID batches the same way).
const idPool = Buffer.alloc(ID_BYTES * 256);
let idOffset = idPool.length;

/** A fresh `chatcmpl-` id: 24 random base64url characters (144 bits), like OpenAI's length. */
export function newChatCompletionId(): string {
  if (idOffset === idPool.length) {
    randomFillSync(idPool);
    idOffset = 0;
  }
  const id = idPool.toString('base64url', idOffset, idOffset + ID_BYTES);
  idOffset += ID_BYTES;
  return `chatcmpl-${id}`;
}

/** `finish_reason` plus, where the reason alone hides what happened, a {@link FinishDetail}. */
export interface FinishMapping {
  reason: FinishReason;
  detail?: FinishDetail;
}

const FINISH: Record<StopReason, FinishMapping> = {
  end_turn: { reason: 'stop' },
  stop_sequence: { reason: 'stop' },
  max_tokens: { reason: 'length' },
  tool_use: { reason: 'tool_calls' },
  // OpenAI has one filter reason; the detail tells a configured guardrail from the model's own filter.
  guardrail_intervened: { reason: 'content_filter', detail: 'guardrail_intervened' },
  content_filtered: { reason: 'content_filter' },
  // Output was cut off because the context window filled up: `length` is what clients retry on.
  model_context_window_exceeded: { reason: 'length', detail: 'context_window_exceeded' },
  malformed_model_output: { reason: 'stop', detail: 'malformed_model_output' },
  malformed_tool_use: { reason: 'stop', detail: 'malformed_tool_call' },
};

/**
 * Maps a Bedrock `stopReason`. `tool_use` becomes `tool_calls` only when the message really carries
 * client tool calls: the structured-output tool and server-side tools are not tool calls to the caller.
 * Any other reason wins even with tool calls present (a `max_tokens` cut may have truncated arguments).
 */
export function toFinish(stopReason: StopReason, hasToolCalls: boolean): FinishMapping {
  if (stopReason === 'tool_use') return hasToolCalls ? FINISH.tool_use : FINISH.end_turn;
  // An unknown future value must not leak raw; `stop` is the neutral reading.
  return FINISH[stopReason] ?? FINISH.end_turn;
}

/**
 * Bedrock usage → OpenAI usage. Bedrock's `inputTokens` excludes cache reads and writes, OpenAI's
 * `prompt_tokens` includes cached tokens, so prompt = input + read + write (peers converged on this after
 * LiteLLM #15270, Portkey #1210, Envoy PR #1721). Reasoning tokens are not reported by Converse, so
 * `completion_tokens_details` is omitted rather than guessed.
 */
export function toCompletionUsage(usage: TokenUsage): CompletionUsage {
  const read = usage.cacheReadInputTokens ?? 0;
  const write = usage.cacheWriteInputTokens ?? 0;
  const prompt = usage.inputTokens + read + write;
  return {
    prompt_tokens: prompt,
    completion_tokens: usage.outputTokens,
    total_tokens: prompt + usage.outputTokens,
    prompt_tokens_details: { cached_tokens: read, cache_creation_tokens: write },
    cache_creation_input_tokens: write,
  };
}

/** Bedrock's tier → OpenAI's `service_tier`; `reserved` capacity is reported as `default`. */
export function toServiceTier(tier: ServiceTier | undefined): ServiceTierResult | undefined {
  switch (tier?.type) {
    case undefined:
      return undefined;
    case 'priority':
      return 'priority';
    case 'flex':
      return 'flex';
    case 'default':
    case 'reserved':
      return 'default';
  }
}
