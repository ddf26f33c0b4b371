/**
 * OpenAI chat completions request → Bedrock Converse request (pure and synchronous).
 *
 * The field-by-field mapping, with what is refused and what is ignored, is documented in
 * docs/chat-request-mapping.md; each decision below cites the Bedrock behaviour behind it.
 */
import type { CompiledModel } from '../../config/index.js';
import { invalidValue, unsupportedParameter, unsupportedValue } from '../../errors/index.js';
import type { ModelCapabilities } from '../../models/index.js';
import type {
  ConverseRequest,
  InferenceConfiguration,
  JsonObject,
  JsonValue,
  Message,
  SystemContentBlock,
} from '../../wire/bedrock/index.js';
import type { ChatCompletionRequest } from '../../wire/openai/index.js';
import { CachePoints } from './cache-points.js';
import type { ResolvedMedia } from './media.js';
import { toConversation } from './messages.js';
import { setOwn } from './own-key.js';
import type { ConversePlan } from './plan.js';
import { planReasoning, type ReasoningPlan } from './reasoning.js';
import { planStructuredOutput } from './structured-output.js';
import { toToolConfig } from './tools.js';

export interface ChatTranslationContext {
  model: CompiledModel;
  capabilities: ModelCapabilities;
  /** Bytes of the request's http(s) image URLs, fetched beforehand (see `remoteMediaUrls`). */
  resolvedMedia?: ResolvedMedia;
}

/** Bedrock `requestMetadata` limits: 16 pairs, keys 1–256 and values 0–256 characters of this set. */
const MAX_METADATA_ENTRIES = 16;
const MAX_METADATA_LENGTH = 256;
const METADATA_ILLEGAL_RE = /[^a-zA-Z0-9\s:_@$#=/+,.-]/g;

/**
 * OpenAI parameters Converse has no equivalent for. Refused when honouring them silently would
 * change what the caller receives (`n`, `logprobs`); ignored with a warning when they only tune
 * sampling (seed, penalties, logit bias).
 */
function checkUnsupported(request: ChatCompletionRequest, modelName: string, warnings: string[]): void {
  if (request.n != null && request.n > 1) {
    throw unsupportedValue('n', `Bedrock returns one choice per request; 'n' must be 1 for model '${modelName}'.`);
  }
  if (request.logprobs === true) {
    throw unsupportedParameter('logprobs', 'is not supported: Bedrock Converse returns no token log probabilities.');
  }
  if (request.top_logprobs != null && request.top_logprobs > 0) {
    throw unsupportedParameter(
      'top_logprobs',
      'is not supported: Bedrock Converse returns no token log probabilities.',
    );
  }
  if (request.modalities?.some((m) => m !== 'text')) {
    throw unsupportedValue('modalities', `model '${modelName}' produces text only on Bedrock.`);
  }
  if (request.seed != null) warnings.push('seed ignored: Bedrock Converse has no seed.');
  if (request.presence_penalty) warnings.push('presence_penalty ignored: Bedrock Converse has no penalties.');
  if (request.frequency_penalty) warnings.push('frequency_penalty ignored: Bedrock Converse has no penalties.');
  if (request.logit_bias && Object.keys(request.logit_bias).length > 0) {
    warnings.push('logit_bias ignored: Bedrock Converse has no logit bias.');
  }
  if (request.parallel_tool_calls === false) {
    warnings.push('parallel_tool_calls=false ignored: Bedrock Converse cannot limit a turn to one tool call.');
  }
}

/** The caller's output limit (`max_completion_tokens` preferred over `max_tokens`), clamped to the model maximum. */
function outputLimit(request: ChatCompletionRequest, caps: ModelCapabilities, modelName: string, warnings: string[]) {
  const requested = request.max_completion_tokens ?? request.max_tokens ?? undefined;
  if (requested === undefined) return undefined;
  // Unknown models are not clamped: their maximum is a guess.
  if (caps.family !== 'unknown' && requested > caps.maxOutputTokens) {
    const param = request.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens';
    warnings.push(
      `${param} lowered from ${requested} to ${caps.maxOutputTokens}, the maximum of model '${modelName}'.`,
    );
    return caps.maxOutputTokens;
  }
  return requested;
}

function isPlainObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge of JSON objects; `source` wins on conflicts. */
function mergeFields(target: JsonObject, source: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(target)) setOwn(out, key, value);
  for (const [key, value] of Object.entries(source)) {
    const existing = Object.hasOwn(out, key) ? out[key] : undefined;
    setOwn(out, key, isPlainObject(existing) && isPlainObject(value) ? mergeFields(existing, value) : value);
  }
  return out;
}

function sanitiseMetadata(text: string): string {
  return text.replace(METADATA_ILLEGAL_RE, '_').slice(0, MAX_METADATA_LENGTH);
}

/**
 * `user` and `metadata` → `requestMetadata` (used by Bedrock invocation logs). Characters outside
 * Bedrock's set become `_` and over-long strings are cut to 256, with a warning; more than 16 pairs
 * cannot be made to fit and are a 400.
 */
function requestMetadata(request: ChatCompletionRequest, warnings: string[]): Record<string, string> | undefined {
  const raw: Array<[string, string]> = [];
  if (request.metadata) raw.push(...Object.entries(request.metadata));
  if (request.user !== undefined && request.user.length > 0) raw.push(['user', request.user]);
  let changed = false;
  const out: Record<string, string> = {};
  for (const [k, v] of raw) {
    const key = sanitiseMetadata(k);
    const value = sanitiseMetadata(v);
    if (key !== k || value !== v) changed = true;
    if (key.length > 0) setOwn(out, key, value);
  }
  const extra = request.bedrock?.requestMetadata;
  if (extra) for (const [key, value] of Object.entries(extra)) setOwn(out, key, value);
  const count = Object.keys(out).length;
  if (count > MAX_METADATA_ENTRIES) {
    throw invalidValue(
      `Too many metadata entries: ${count}; Bedrock accepts at most ${MAX_METADATA_ENTRIES} (including 'user').`,
      'metadata',
    );
  }
  if (changed) {
    warnings.push(
      'metadata/user adjusted to Bedrock requestMetadata limits (characters outside [a-zA-Z0-9 :_@$#=/+,.-] replaced by _, at most 256 characters).',
    );
  }
  return count > 0 ? out : undefined;
}

/**
 * Folds system text into the first user turn for models without system prompts (Titan Text,
 * Mistral 7B/Mixtral, Cohere Command): the instructions still reach the model, ahead of the user's
 * words, instead of being dropped.
 */
function foldSystem(system: SystemContentBlock[], messages: Message[], modelName: string, warnings: string[]): void {
  const text = system.flatMap((b) => ('text' in b ? [b.text] : [])).join('\n\n');
  const first = messages[0];
  if (text.length === 0 || !first) return;
  first.content.unshift({ text });
  warnings.push(
    `system prompt sent as the start of the first user message: model '${modelName}' has no system prompt.`,
  );
}

/** `inferenceConfig`, or undefined when nothing is set. Converse caps temperature at 1 (OpenAI allows 2). */
function inferenceConfig(
  request: ChatCompletionRequest,
  caps: ModelCapabilities,
  reasoning: ReasoningPlan,
  modelName: string,
  warnings: string[],
): InferenceConfiguration | undefined {
  const inference: InferenceConfiguration = {};
  if (reasoning.maxTokens !== undefined) inference.maxTokens = reasoning.maxTokens;
  const temperature = request.temperature ?? undefined;
  const topP = request.top_p ?? undefined;
  if (reasoning.anthropicThinking) {
    // Extended thinking refuses modified temperature / top_p / top_k (Anthropic docs).
    if (temperature !== undefined) warnings.push('temperature ignored: not allowed with extended thinking.');
    if (topP !== undefined) warnings.push('top_p ignored: not allowed with extended thinking.');
  } else {
    if (temperature !== undefined) {
      if (temperature > 1) {
        throw unsupportedValue(
          'temperature',
          `${temperature} is above 1, the maximum Bedrock accepts for model '${modelName}'.`,
        );
      }
      inference.temperature = temperature;
    }
    if (topP !== undefined) {
      if (caps.exclusiveTemperatureTopP && inference.temperature !== undefined) {
        warnings.push(`top_p ignored: model '${modelName}' accepts temperature or top_p, not both.`);
      } else inference.topP = topP;
    }
  }
  if (request.stop != null) {
    const list = (typeof request.stop === 'string' ? [request.stop] : request.stop).filter((s) => s.length > 0);
    if (list.length > 0) inference.stopSequences = list;
  }
  return Object.keys(inference).length > 0 ? inference : undefined;
}

/**
 * `additionalModelRequestFields`: the reasoning fields, `top_k` where the family reads it, then the
 * caller's explicit `bedrock.additionalModelRequestFields`, which wins on conflicts.
 */
function additionalFields(
  request: ChatCompletionRequest,
  caps: ModelCapabilities,
  reasoning: ReasoningPlan,
  modelName: string,
  warnings: string[],
): JsonObject | undefined {
  let fields: JsonObject = reasoning.fields;
  if (request.top_k !== undefined) {
    if (reasoning.anthropicThinking) {
      warnings.push('top_k ignored: not allowed with extended thinking.');
    } else {
      switch (caps.topK) {
        case 'top_k':
          fields = mergeFields(fields, { top_k: request.top_k });
          break;
        case 'nova-inference-config':
          fields = mergeFields(fields, { inferenceConfig: { topK: request.top_k } });
          break;
        case 'k':
          fields = mergeFields(fields, { k: request.top_k });
          break;
        case 'none':
          throw unsupportedParameter('top_k', `is not supported by model '${modelName}'.`);
        default: {
          const never: never = caps.topK;
          return never;
        }
      }
    }
  }
  const extra = request.bedrock?.additionalModelRequestFields;
  if (extra) fields = mergeFields(fields, extra);
  return Object.keys(fields).length > 0 ? fields : undefined;
}

/** The rest of the `bedrock` extension and `service_tier`, copied into the body. */
function applyBedrockExtension(body: ConverseRequest, request: ChatCompletionRequest): void {
  const ext = request.bedrock;
  if (ext?.additionalModelResponseFieldPaths && ext.additionalModelResponseFieldPaths.length > 0) {
    body.additionalModelResponseFieldPaths = ext.additionalModelResponseFieldPaths;
  }
  if (ext?.guardrailConfig) {
    const { streamProcessingMode, ...guardrail } = ext.guardrailConfig;
    // streamProcessingMode exists on ConverseStream only.
    body.guardrailConfig = request.stream && streamProcessingMode ? { ...guardrail, streamProcessingMode } : guardrail;
  }
  if (ext?.performanceConfig) body.performanceConfig = ext.performanceConfig;
  if (ext?.promptVariables) body.promptVariables = ext.promptVariables;
  const tier = request.service_tier ?? undefined;
  if (ext?.serviceTier) body.serviceTier = ext.serviceTier;
  else if (tier === 'scale') {
    throw unsupportedValue('service_tier', `'scale' has no Bedrock equivalent; use 'default', 'flex' or 'priority'.`);
  } else if (tier !== undefined && tier !== 'auto') body.serviceTier = { type: tier };
}

/**
 * Why the conversation cannot be sent with extended thinking on, if it cannot. Anthropic does not allow
 * pre-filled assistant text with thinking (a trailing assistant message, even one that starts with
 * thinking blocks), and it requires the last assistant turn of an ongoing tool loop to start with its
 * thinking blocks ("Expected `thinking` or `redacted_thinking`, but found `tool_use`").
 */
function thinkingConflict(messages: Message[]): 'prefill' | 'tool-turn' | undefined {
  if (messages.at(-1)?.role === 'assistant') return 'prefill';
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!;
    if (message.role !== 'assistant') continue;
    const first = message.content[0];
    const lacks = message.content.some((b) => 'toolUse' in b) && !(first && 'reasoningContent' in first);
    return lacks ? 'tool-turn' : undefined;
  }
  return undefined;
}

/**
 * Translates a parsed chat request into the Converse body for `ctx.model`.
 *
 * @throws GatewayError (400) when the request asks for something the model cannot do, naming the
 * model and the parameter.
 */
export function toConverseRequest(request: ChatCompletionRequest, ctx: ChatTranslationContext): ConversePlan {
  const caps = ctx.capabilities;
  const modelName = ctx.model.servedName;
  const warnings: string[] = [];

  checkUnsupported(request, modelName, warnings);
  const requestedMax = outputLimit(request, caps, modelName, warnings);
  let reasoning = planReasoning(request, caps, requestedMax, modelName, warnings);
  const cache = new CachePoints(caps, modelName, warnings);
  const conversation = toConversation({
    request,
    caps,
    modelName,
    cache,
    warnings,
    resolvedMedia: ctx.resolvedMedia,
  });
  const conflict = reasoning.anthropicThinking ? thinkingConflict(conversation.messages) : undefined;
  if (conflict) {
    // Bedrock would answer 400 for the whole request; the conversation is what the caller cannot change
    // mid-loop, so reasoning gives way for this turn (docs/chat-request-mapping.md, Reasoning). Clients
    // that do not send `thinking_blocks` back would otherwise fail on every tool follow-up, and a prefill
    // is an explicit instruction about the answer's start.
    warnings.push(
      conflict === 'prefill'
        ? 'reasoning turned off for this turn: the conversation ends with an assistant message (prefill), which extended thinking does not allow.'
        : 'reasoning turned off for this turn: the last assistant tool call came without its thinking_blocks, which extended thinking requires.',
    );
    reasoning = { fields: {}, maxTokens: requestedMax, enabled: false, anthropicThinking: false };
  }
  const structured = planStructuredOutput({
    request,
    caps,
    modelName,
    warnings,
    thinking: reasoning.anthropicThinking,
  });
  const toolConfig = toToolConfig({
    request,
    caps,
    modelName,
    cache,
    warnings,
    historyToolNames: conversation.historyToolNames,
    structuredTool: structured.tool,
    thinking: reasoning.anthropicThinking,
  });

  const { system, messages } = conversation;
  if (structured.instruction) system.push({ text: structured.instruction });
  if (messages.length === 0) {
    throw invalidValue(`'messages' must contain at least one user message with non-empty content.`, 'messages');
  }
  if (messages[0]!.role !== 'user') {
    throw invalidValue(
      `Bedrock requires the conversation to start with a user message; the first non-system message is from the assistant.`,
      'messages',
    );
  }
  if (!caps.systemPrompt) foldSystem(system, messages, modelName, warnings);

  const body: ConverseRequest = { messages };
  if (caps.systemPrompt && system.length > 0) body.system = system;

  const inference = inferenceConfig(request, caps, reasoning, modelName, warnings);
  if (inference) body.inferenceConfig = inference;
  if (toolConfig) body.toolConfig = toolConfig;
  if (structured.outputConfig) body.outputConfig = structured.outputConfig;
  const fields = additionalFields(request, caps, reasoning, modelName, warnings);
  if (fields) body.additionalModelRequestFields = fields;
  applyBedrockExtension(body, request);

  const metadata = requestMetadata(request, warnings);
  if (metadata) body.requestMetadata = metadata;

  const stream = request.stream === true;
  const plan: ConversePlan = {
    body,
    stream,
    includeUsage: stream && request.stream_options?.include_usage === true,
    reasoning: reasoning.enabled,
    warnings,
  };
  if (structured.mode) plan.structuredOutput = structured.mode;
  return plan;
}
