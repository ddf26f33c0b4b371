/**
 * What each Bedrock chat model accepts through Converse, so the chat translator can refuse an
 * unsupported feature with a clear 400 before any upstream call instead of letting Bedrock fail
 * with a provider-specific ValidationException (or, worse, silently ignoring it).
 *
 * Rows are keyed by family and refined by foundation-model id patterns; the first matching
 * pattern of a family wins, on top of the family's defaults. Sources: the Bedrock user guide
 * ("Supported models and model features" of the Converse API, prompt caching, structured output,
 * extended thinking) and each provider's model card on Bedrock.
 */
import type { CompiledModel } from '../config/types.js';
import { inferFamily, type ModelFamily, parseModelId } from './naming.js';

/**
 * How a model is asked to reason.
 * - `anthropic-thinking`: `additionalModelRequestFields.thinking {type: "enabled", budget_tokens}`.
 * - `nova-reasoning-config`: `additionalModelRequestFields.reasoningConfig {type, maxReasoningEffort}` (Nova 2).
 * - `reasoning-effort`: `additionalModelRequestFields.reasoning_effort: "low"|"medium"|"high"` (gpt-oss).
 * - `reasoning-config-string`: `additionalModelRequestFields.reasoning_config: "low"|"medium"|"high"` (DeepSeek V3.x).
 * - `always-on`: the model always reasons and offers no control (DeepSeek R1).
 * - `none`: no reasoning.
 */
export type ReasoningStyle =
  | 'anthropic-thinking'
  | 'nova-reasoning-config'
  | 'reasoning-effort'
  | 'reasoning-config-string'
  | 'always-on'
  | 'none';

/** Where a family takes `top_k` inside `additionalModelRequestFields`, if anywhere. */
export type TopKField = 'top_k' | 'nova-inference-config' | 'k' | 'none';

export interface PromptCachingCapability {
  /** Minimum tokens before a checkpoint for it to be cached (informational: Bedrock ignores shorter prefixes). */
  readonly minTokens: number;
  /** Checkpoints allowed in one request (system + messages + tools). */
  readonly maxCheckpoints: number;
  /** `ttl: "1h"` accepted on cache points. */
  readonly ttl1h: boolean;
  /** Cache points accepted inside `toolConfig.tools`. */
  readonly tools: boolean;
}

export interface ModelCapabilities {
  readonly family: ModelFamily;
  /** Converse `system` accepted; when false, system text is folded into the first user turn. */
  readonly systemPrompt: boolean;
  readonly tools: boolean;
  /** `toolChoice: {any: {}}` accepted (forced call of some tool). */
  readonly toolChoiceAny: boolean;
  /** `toolChoice: {tool: {name}}` accepted (forced call of one tool). */
  readonly toolChoiceTool: boolean;
  /** `json` members accepted inside `toolResult.content`. */
  readonly toolResultJson: boolean;
  readonly images: boolean;
  readonly documents: boolean;
  readonly reasoning: ReasoningStyle;
  /** Reasoning blocks of earlier assistant turns may be sent back (`reasoningContent`). */
  readonly reasoningReplay: boolean;
  /** Prompt caching (`cachePoint` blocks); undefined when the model does not cache. */
  readonly promptCaching: PromptCachingCapability | undefined;
  /** `outputConfig.textFormat` (native JSON-schema output) and `strict` tool specs accepted. */
  readonly nativeStructuredOutput: boolean;
  /**
   * JSON-schema keywords the model's native structured output refuses; they are stripped from the
   * schema before sending (and named in a warning).
   */
  readonly unsupportedSchemaKeywords: readonly string[];
  readonly topK: TopKField;
  /**
   * `temperature` and `topP` may not be sent together (Claude 4.5 and Opus 4.1 reject the pair);
   * the gateway then keeps `temperature` and drops `topP` with a warning.
   */
  readonly exclusiveTemperatureTopP: boolean;
  readonly maxOutputTokens: number;
  readonly contextWindow: number;
}

type CapabilityOverrides = Partial<ModelCapabilities>;

interface FamilyRow {
  readonly defaults: ModelCapabilities;
  /** Refinements by foundation-model id (lower case, without a geography prefix); first match wins. */
  readonly patterns: ReadonlyArray<readonly [RegExp, CapabilityOverrides]>;
  /**
   * Overrides for ids that do not reveal the foundation model (application inference profiles,
   * provisioned models): assume the family's current generation rather than its oldest, so a
   * profile in front of a current model is not held to an old model's limits.
   */
  readonly opaque?: CapabilityOverrides;
}

const NO_CHAT: Omit<ModelCapabilities, 'family'> = {
  systemPrompt: false,
  tools: false,
  toolChoiceAny: false,
  toolChoiceTool: false,
  toolResultJson: false,
  images: false,
  documents: false,
  reasoning: 'none',
  reasoningReplay: false,
  promptCaching: undefined,
  nativeStructuredOutput: false,
  unsupportedSchemaKeywords: [],
  topK: 'none',
  exclusiveTemperatureTopP: false,
  maxOutputTokens: 4096,
  contextWindow: 8192,
};

// Anthropic structured outputs refuse numeric and string-length constraints and most array
// constraints (Anthropic "Structured outputs: JSON Schema limitations"); tool input schemas accept them.
const ANTHROPIC_REFUSED_KEYWORDS = [
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'patternProperties',
] as const;

const CLAUDE_CACHE: PromptCachingCapability = { minTokens: 1024, maxCheckpoints: 4, ttl1h: false, tools: true };
// Claude 4.5 models cache with a 1-hour TTL as well; Haiku and Opus 4.5 need 4096-token prefixes.
const CLAUDE_45_CACHE: PromptCachingCapability = { minTokens: 1024, maxCheckpoints: 4, ttl1h: true, tools: true };
const CLAUDE_45_LARGE_MIN_CACHE: PromptCachingCapability = { ...CLAUDE_45_CACHE, minTokens: 4096 };
// Nova (Micro, Lite, Pro, Premier) caches system and messages, not tool definitions, with the 5-minute TTL
// only (Bedrock prompt-caching page: "fields that accept cache checkpoints" and the 1-hour TTL models).
const NOVA_CACHE: PromptCachingCapability = { minTokens: 1000, maxCheckpoints: 4, ttl1h: false, tools: false };

// Claude 4.5 and later: extended thinking, native structured output, 1-hour cache, and no
// temperature + top_p together.
const CLAUDE_45: CapabilityOverrides = {
  reasoning: 'anthropic-thinking',
  nativeStructuredOutput: true,
  exclusiveTemperatureTopP: true,
  maxOutputTokens: 64_000,
  promptCaching: CLAUDE_45_CACHE,
};

const ROWS: Partial<Record<ModelFamily, FamilyRow>> = {
  anthropic: {
    defaults: {
      family: 'anthropic',
      systemPrompt: true,
      tools: true,
      toolChoiceAny: true,
      toolChoiceTool: true,
      toolResultJson: true,
      images: true,
      documents: true,
      reasoning: 'none',
      reasoningReplay: true,
      promptCaching: undefined,
      nativeStructuredOutput: false,
      unsupportedSchemaKeywords: ANTHROPIC_REFUSED_KEYWORDS,
      topK: 'top_k',
      exclusiveTemperatureTopP: false,
      maxOutputTokens: 4096,
      contextWindow: 200_000,
    },
    opaque: CLAUDE_45,
    patterns: [
      // Minimum cacheable prefix (Anthropic / Bedrock prompt-caching pages): 4,096 tokens for Haiku 4.5 and
      // Opus 4.5 / 4.6, 2,048 for Sonnet 4.6.
      [/claude-(haiku|opus)-4-5|claude-opus-4-6/, { ...CLAUDE_45, promptCaching: CLAUDE_45_LARGE_MIN_CACHE }],
      [/claude-sonnet-4-6/, { ...CLAUDE_45, promptCaching: { ...CLAUDE_45_CACHE, minTokens: 2048 } }],
      [/claude-(sonnet|haiku|opus)-4-[5-9]|claude-(sonnet|haiku|opus)-[5-9]/, CLAUDE_45],
      [
        /claude-opus-4-1/,
        {
          reasoning: 'anthropic-thinking',
          nativeStructuredOutput: true,
          exclusiveTemperatureTopP: true,
          maxOutputTokens: 32_000,
          promptCaching: CLAUDE_CACHE,
        },
      ],
      [/claude-opus-4-20/, { reasoning: 'anthropic-thinking', maxOutputTokens: 32_000, promptCaching: CLAUDE_CACHE }],
      [/claude-sonnet-4-20/, { reasoning: 'anthropic-thinking', maxOutputTokens: 64_000, promptCaching: CLAUDE_CACHE }],
      [/claude-3-7-sonnet/, { reasoning: 'anthropic-thinking', maxOutputTokens: 64_000, promptCaching: CLAUDE_CACHE }],
      [
        /claude-3-5-haiku/,
        { maxOutputTokens: 8192, documents: true, images: false, promptCaching: { ...CLAUDE_CACHE, minTokens: 2048 } },
      ],
      [/claude-3-5-sonnet/, { maxOutputTokens: 8192 }],
      [/claude-3-/, { maxOutputTokens: 4096 }],
      // Claude 2.x and Instant: text only, no tools.
      [
        /claude-v2|claude-instant/,
        {
          tools: false,
          toolChoiceAny: false,
          toolChoiceTool: false,
          images: false,
          documents: false,
          contextWindow: 100_000,
        },
      ],
    ],
  },
  'amazon-nova': {
    defaults: {
      family: 'amazon-nova',
      systemPrompt: true,
      tools: true,
      toolChoiceAny: true,
      toolChoiceTool: true,
      toolResultJson: true,
      images: true,
      documents: true,
      reasoning: 'none',
      reasoningReplay: false,
      promptCaching: NOVA_CACHE,
      nativeStructuredOutput: false,
      unsupportedSchemaKeywords: [],
      topK: 'nova-inference-config',
      exclusiveTemperatureTopP: false,
      maxOutputTokens: 10_000,
      contextWindow: 300_000,
    },
    patterns: [
      // Nova 2 Lite reasons through reasoningConfig and returns reasoning blocks it does not take back.
      [/nova-2-lite/, { reasoning: 'nova-reasoning-config', maxOutputTokens: 65_536, contextWindow: 1_000_000 }],
      [/nova-micro/, { images: false, documents: false, contextWindow: 128_000 }],
      [/nova-premier/, { maxOutputTokens: 32_000, contextWindow: 1_000_000 }],
      [
        /nova-sonic/,
        {
          tools: false,
          toolChoiceAny: false,
          toolChoiceTool: false,
          images: false,
          documents: false,
          promptCaching: undefined,
        },
      ],
    ],
  },
  'titan-text': {
    // Titan Text: no system prompt, no tools, no images; document chat works (Converse feature table).
    defaults: { ...NO_CHAT, family: 'titan-text', documents: true, maxOutputTokens: 8192, contextWindow: 8192 },
    patterns: [
      [/titan-text-lite/, { maxOutputTokens: 4096, contextWindow: 4096 }],
      [/titan-text-premier/, { maxOutputTokens: 3072, contextWindow: 32_000 }],
    ],
  },
  meta: {
    defaults: {
      ...NO_CHAT,
      family: 'meta',
      systemPrompt: true,
      tools: true,
      documents: true,
      maxOutputTokens: 2048,
      contextWindow: 128_000,
    },
    patterns: [
      [/llama4-/, { images: true, maxOutputTokens: 8192, contextWindow: 1_000_000 }],
      [/llama3-3-/, { maxOutputTokens: 8192 }],
      [/llama3-1-405b/, { maxOutputTokens: 4096 }],
      [/llama3-2-(11b|90b)/, { images: true }],
      // Llama 3.0 and 3.2 1B/3B take no tools through Converse.
      [/llama3-(8b|70b)|llama3-2-(1b|3b)/, { tools: false, contextWindow: 8192 }],
      [/llama2-/, { tools: false, documents: false, contextWindow: 4096 }],
    ],
  },
  mistral: {
    defaults: {
      ...NO_CHAT,
      family: 'mistral',
      systemPrompt: true,
      tools: true,
      toolChoiceAny: true,
      documents: true,
      // Mistral's chat-completion body (Large 24.07, Pixtral and later) has no top_k; only the
      // text-completion models below take it (Bedrock "Mistral AI" inference parameter pages).
      topK: 'none',
      maxOutputTokens: 8192,
      contextWindow: 128_000,
    },
    patterns: [
      // Mistral 7B / Mixtral instruct: no system prompt, no tools.
      [/mistral-7b/, { systemPrompt: false, tools: false, toolChoiceAny: false, topK: 'top_k', contextWindow: 32_000 }],
      [
        /mixtral-8x7b/,
        {
          systemPrompt: false,
          tools: false,
          toolChoiceAny: false,
          topK: 'top_k',
          maxOutputTokens: 4096,
          contextWindow: 32_000,
        },
      ],
      [/mistral-large-2402/, { topK: 'top_k', contextWindow: 32_000 }],
      [/pixtral/, { images: true }],
      [/mistral-small-2402/, { toolChoiceAny: false, topK: 'top_k', contextWindow: 32_000 }],
      [/mistral-small/, { toolChoiceAny: false, contextWindow: 32_000 }],
    ],
  },
  cohere: {
    defaults: {
      ...NO_CHAT,
      family: 'cohere',
      systemPrompt: true,
      tools: true,
      documents: true,
      topK: 'k',
      maxOutputTokens: 4000,
      contextWindow: 128_000,
    },
    patterns: [
      // Command (text) and Command Light: no system prompt, no tools.
      [/command-text|command-light/, { systemPrompt: false, tools: false, documents: false, contextWindow: 4000 }],
    ],
  },
  deepseek: {
    defaults: {
      ...NO_CHAT,
      family: 'deepseek',
      systemPrompt: true,
      tools: true,
      documents: true,
      reasoning: 'reasoning-config-string',
      nativeStructuredOutput: true,
      maxOutputTokens: 8192,
      contextWindow: 128_000,
    },
    patterns: [
      [
        /deepseek\.r1/,
        { tools: false, reasoning: 'always-on', nativeStructuredOutput: false, maxOutputTokens: 32_768 },
      ],
    ],
  },
  openai: {
    defaults: {
      ...NO_CHAT,
      family: 'openai',
      systemPrompt: true,
      tools: true,
      documents: true,
      reasoning: 'reasoning-effort',
      nativeStructuredOutput: true,
      maxOutputTokens: 32_768,
      contextWindow: 128_000,
    },
    patterns: [],
  },
  qwen: {
    defaults: {
      ...NO_CHAT,
      family: 'qwen',
      systemPrompt: true,
      tools: true,
      documents: true,
      nativeStructuredOutput: true,
      maxOutputTokens: 32_768,
      contextWindow: 128_000,
    },
    patterns: [[/qwen3-vl/, { images: true }]],
  },
  ai21: {
    defaults: {
      ...NO_CHAT,
      family: 'ai21',
      systemPrompt: true,
      tools: true,
      documents: true,
      maxOutputTokens: 4096,
      contextWindow: 256_000,
    },
    patterns: [],
  },
  writer: {
    defaults: {
      ...NO_CHAT,
      family: 'writer',
      systemPrompt: true,
      tools: true,
      documents: true,
      maxOutputTokens: 8192,
      contextWindow: 128_000,
    },
    patterns: [],
  },
};

/**
 * Models the gateway cannot place (application inference profiles, imported or provisioned models
 * behind an opaque ARN): the request goes through as asked and Bedrock is the judge, because
 * refusing features of a model we cannot identify would block legitimate use.
 */
const PERMISSIVE: Omit<ModelCapabilities, 'family'> = {
  systemPrompt: true,
  tools: true,
  toolChoiceAny: true,
  toolChoiceTool: true,
  toolResultJson: true,
  images: true,
  documents: true,
  reasoning: 'none',
  reasoningReplay: true,
  promptCaching: { minTokens: 1024, maxCheckpoints: 4, ttl1h: true, tools: true },
  nativeStructuredOutput: false,
  unsupportedSchemaKeywords: [],
  topK: 'top_k',
  exclusiveTemperatureTopP: false,
  maxOutputTokens: 8192,
  contextWindow: 128_000,
};

const cache = new Map<string, ModelCapabilities>();

/** Capabilities of a Bedrock model id (foundation id, inference-profile id or ARN) and its family. */
export function capabilitiesFor(modelId: string, family: ModelFamily = inferFamily(modelId)): ModelCapabilities {
  const key = `${family}\u0000${modelId}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const parsed = parseModelId(modelId);
  const row = ROWS[family];
  let caps: ModelCapabilities;
  if (!row) {
    caps = { ...PERMISSIVE, family };
  } else if (parsed && parsed.kind === 'arn' && parsed.foundationModelId === undefined) {
    caps = { ...row.defaults, ...row.opaque };
  } else {
    const foundation = (parsed?.foundationModelId ?? modelId).toLowerCase();
    const match = row.patterns.find(([re]) => re.test(foundation));
    caps = match ? { ...row.defaults, ...match[1] } : row.defaults;
  }
  caps = Object.freeze(caps);
  // Model ids come from config, so the cache is bounded by the number of configured models.
  cache.set(key, caps);
  return caps;
}

const byModel = new WeakMap<CompiledModel, ModelCapabilities>();

/**
 * Capabilities of a configured model (its `family` as compiled, refined by its model id). Kept per compiled
 * model, which lives as long as its config snapshot: a chat request looks them up by the object instead of
 * joining and hashing a key string each time.
 */
export function getCapabilities(model: CompiledModel): ModelCapabilities {
  let caps = byModel.get(model);
  if (!caps) {
    caps = capabilitiesFor(model.modelId, model.family);
    byModel.set(model, caps);
  }
  return caps;
}
