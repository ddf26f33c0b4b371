/**
 * The emulator's model catalog: every model it serves, with the limits and capabilities real Bedrock
 * enforces for it. Data only; the validators and the InvokeModel handlers read it.
 *
 * Capabilities follow the Bedrock User Guide table "Supported models and model features" (Converse) and
 * the providers' model cards; `cacheMinTokens` follows the prompt-caching page (1,024 tokens per
 * checkpoint for Claude Sonnet/Opus, 1,000 for Nova, 2,048 for Claude 3.5 Haiku, 4,096 for Claude Haiku 4.5
 * and Opus 4.5). The same page lists the fields that take checkpoints (Claude: system, messages and tools;
 * Nova Micro / Lite / Pro / Premier: system and messages only) and the models with the 1-hour TTL (Claude
 * 4.5 and later). `additionalFields` follows each provider's native request body on the Bedrock "Inference
 * request parameters" pages: Converse merges `additionalModelRequestFields` into that body, and Bedrock's
 * schema check rejects keys the body does not have.
 */

import { type BedrockException, INVALID_MODEL_MESSAGE, validationException } from './errors.js';

/**
 * The emulator's own reading of Bedrock: nothing here is imported from the gateway, so a stand-in that
 * shared the gateway's tables could not hide the gateway misreading Bedrock (a test keeps the two apart).
 */

/** What a model does; the operations a model accepts follow from it. */
export type ModelType = 'chat' | 'embedding' | 'image';

/** The model's provider family: which native InvokeModel body it takes and which provider rules apply. */
export type ModelFamily =
  | 'anthropic'
  | 'amazon-nova'
  | 'amazon-nova-canvas'
  | 'titan-text'
  | 'titan-embed'
  | 'titan-image'
  | 'cohere'
  | 'cohere-embed'
  | 'meta'
  | 'mistral'
  | 'deepseek'
  | 'openai'
  | 'stability';

/** How a model produces reasoning (`reasoningContent`). */
export type ReasoningMode =
  /** Only when `additionalModelRequestFields.thinking` enables it (Claude 3.7 / 4.x). */
  | 'configurable'
  /** Always emits reasoning, no request switch (DeepSeek R1, gpt-oss). */
  | 'always'
  | 'none';

/** One catalog entry. */
export interface CatalogModel {
  /** Foundation model id. */
  readonly id: string;
  readonly family: ModelFamily;
  readonly type: ModelType;
  /** Context window, tokens. */
  readonly contextWindow: number;
  /** Largest accepted `maxTokens` (also the default). 0 for non-text models. */
  readonly maxOutputTokens: number;
  readonly system: boolean;
  readonly tools: boolean;
  /** `toolChoice` `any` / `tool` (bedrock-wire.md §2.2: Anthropic, Mistral Large, Nova). */
  readonly toolChoiceAnyTool: boolean;
  readonly images: boolean;
  readonly documents: boolean;
  readonly reasoning: ReasoningMode;
  /** Minimum tokens per prompt-cache checkpoint; undefined when the model has no prompt caching. */
  readonly cacheMinTokens: number | undefined;
  /** Native structured output (`outputConfig.textFormat`). */
  readonly structuredOutput: boolean;
  /** On-demand calls need an inference profile id (the foundation id is rejected). */
  readonly requiresProfile: boolean;
  /** Geography prefixes of the system inference profiles that contain the model. */
  readonly profiles: readonly string[];
  /** Whether the streaming operations accept the model. */
  readonly streaming: boolean;
  /** Claude 4.6+: `thinking: {"type": "adaptive"}` (the model picks its own budget) is accepted. */
  readonly adaptiveThinking?: boolean;
  /** Video content blocks (Nova Lite / Pro / Premier). */
  readonly video?: boolean;
  /** `cachePoint` entries accepted in `toolConfig.tools` (Claude; not Nova). */
  readonly cacheTools?: boolean;
  /** `cachePoint.ttl: "1h"` accepted (Claude 4.5 and later). */
  readonly cacheTtl1h?: boolean;
  /**
   * `inferenceConfig.temperature` and `topP` may not both be set (Claude Sonnet 4.5, Haiku 4.5, Opus 4.1
   * and later: "`temperature` and `top_p` cannot both be specified for this model").
   */
  readonly exclusiveTemperatureTopP?: boolean;
  /**
   * Top-level keys the model's native body takes through `additionalModelRequestFields` (any other key is
   * extraneous); undefined when the emulator does not check them (Titan Text, gpt-oss).
   */
  readonly additionalFields?: readonly string[];
}

type Entry = Omit<CatalogModel, 'id'>;

const CHAT_DEFAULTS = {
  type: 'chat',
  system: true,
  tools: false,
  toolChoiceAnyTool: false,
  images: false,
  documents: true,
  reasoning: 'none',
  cacheMinTokens: undefined,
  structuredOutput: false,
  requiresProfile: false,
  profiles: [],
  streaming: true,
} as const satisfies Partial<Entry>;

const NON_CHAT = {
  contextWindow: 0,
  maxOutputTokens: 0,
  system: false,
  tools: false,
  toolChoiceAnyTool: false,
  images: false,
  documents: false,
  reasoning: 'none',
  cacheMinTokens: undefined,
  structuredOutput: false,
  requiresProfile: false,
  profiles: [],
  streaming: false,
} as const satisfies Partial<Entry>;

/** Anthropic Messages body keys Converse does not set itself. */
const CLAUDE_FIELDS = ['top_k', 'thinking', 'anthropic_beta', 'reasoning_config', 'output_config'] as const;
/** Nova: only `inferenceConfig` (its `topK`) is merged from `additionalModelRequestFields`. */
const NOVA_FIELDS = ['inferenceConfig'] as const;
/** Llama native body: prompt, temperature, top_p, max_gen_len (and images); no top_k. */
const LLAMA_FIELDS = ['temperature', 'top_p', 'max_gen_len'] as const;
/** Mistral text-completion body (7B, Mixtral, Small and Large 24.02): prompt, max_tokens, stop, temperature, top_p, top_k. */
const MISTRAL_TEXT_FIELDS = ['max_tokens', 'stop', 'temperature', 'top_p', 'top_k'] as const;
/** Mistral chat-completion body (Large 24.07, Pixtral): messages, tools, tool_choice, max_tokens, top_p, temperature; no top_k. */
const MISTRAL_CHAT_FIELDS = ['max_tokens', 'temperature', 'top_p'] as const;
/** Cohere Command R / R+ chat body. */
const COHERE_FIELDS = [
  'documents',
  'search_queries_only',
  'preamble',
  'max_tokens',
  'temperature',
  'p',
  'k',
  'prompt_truncation',
  'frequency_penalty',
  'presence_penalty',
  'seed',
  'return_prompt',
  'stop_sequences',
  'raw_prompting',
] as const;
/** DeepSeek R1 native body: prompt, temperature, top_p, max_tokens, stop. */
const DEEPSEEK_FIELDS = ['temperature', 'top_p', 'max_tokens', 'stop'] as const;

const CLAUDE = {
  ...CHAT_DEFAULTS,
  family: 'anthropic',
  contextWindow: 200_000,
  tools: true,
  toolChoiceAnyTool: true,
  images: true,
  documents: true,
  additionalFields: CLAUDE_FIELDS,
} as const;
/** Claude models whose prompt cache takes checkpoints in tools (every Claude model that caches). */
const CLAUDE_CACHE = { cacheTools: true } as const;
/** Claude 4.5 and later: 1-hour cache TTL, and temperature / top_p mutually exclusive. */
const CLAUDE_45 = { cacheTools: true, cacheTtl1h: true, exclusiveTemperatureTopP: true } as const;

const GEO = ['us', 'eu', 'apac'] as const;
const GEO_GLOBAL = ['us', 'eu', 'apac', 'global'] as const;

const ENTRIES: Readonly<Record<string, Entry>> = {
  // Anthropic Claude
  'anthropic.claude-3-haiku-20240307-v1:0': { ...CLAUDE, maxOutputTokens: 4096, profiles: GEO },
  'anthropic.claude-3-sonnet-20240229-v1:0': { ...CLAUDE, maxOutputTokens: 4096, profiles: GEO },
  'anthropic.claude-3-5-sonnet-20240620-v1:0': { ...CLAUDE, maxOutputTokens: 8192, profiles: GEO },
  'anthropic.claude-3-5-sonnet-20241022-v2:0': {
    ...CLAUDE,
    maxOutputTokens: 8192,
    requiresProfile: true,
    profiles: GEO,
  },
  'anthropic.claude-3-5-haiku-20241022-v1:0': {
    ...CLAUDE,
    maxOutputTokens: 8192,
    documents: true,
    images: false,
    cacheMinTokens: 2048,
    requiresProfile: true,
    profiles: ['us'],
    ...CLAUDE_CACHE,
  },
  'anthropic.claude-3-7-sonnet-20250219-v1:0': {
    ...CLAUDE,
    maxOutputTokens: 64_000,
    reasoning: 'configurable',
    cacheMinTokens: 1024,
    requiresProfile: true,
    profiles: GEO,
    ...CLAUDE_CACHE,
  },
  'anthropic.claude-sonnet-4-20250514-v1:0': {
    ...CLAUDE,
    maxOutputTokens: 64_000,
    reasoning: 'configurable',
    cacheMinTokens: 1024,
    requiresProfile: true,
    profiles: GEO_GLOBAL,
    ...CLAUDE_CACHE,
  },
  'anthropic.claude-sonnet-4-5-20250929-v1:0': {
    ...CLAUDE,
    maxOutputTokens: 64_000,
    reasoning: 'configurable',
    cacheMinTokens: 1024,
    structuredOutput: true,
    requiresProfile: true,
    profiles: [...GEO_GLOBAL, 'jp', 'au'],
    ...CLAUDE_45,
  },
  'anthropic.claude-haiku-4-5-20251001-v1:0': {
    ...CLAUDE,
    maxOutputTokens: 64_000,
    reasoning: 'configurable',
    cacheMinTokens: 4096,
    structuredOutput: true,
    requiresProfile: true,
    profiles: [...GEO_GLOBAL, 'jp', 'au'],
    ...CLAUDE_45,
  },
  'anthropic.claude-opus-4-20250514-v1:0': {
    ...CLAUDE,
    maxOutputTokens: 32_000,
    reasoning: 'configurable',
    cacheMinTokens: 1024,
    requiresProfile: true,
    profiles: ['us'],
    ...CLAUDE_CACHE,
  },
  'anthropic.claude-opus-4-1-20250805-v1:0': {
    ...CLAUDE,
    maxOutputTokens: 32_000,
    reasoning: 'configurable',
    cacheMinTokens: 1024,
    structuredOutput: true,
    requiresProfile: true,
    profiles: ['us'],
    ...CLAUDE_CACHE,
    exclusiveTemperatureTopP: true,
  },
  'anthropic.claude-opus-4-5-20251101-v1:0': {
    ...CLAUDE,
    maxOutputTokens: 64_000,
    reasoning: 'configurable',
    cacheMinTokens: 4096,
    structuredOutput: true,
    requiresProfile: true,
    profiles: GEO_GLOBAL,
    ...CLAUDE_45,
  },
  // Claude 4.6: ids without a date or `:0` suffix; 1M-token context; adaptive thinking.
  'anthropic.claude-sonnet-4-6': {
    ...CLAUDE,
    contextWindow: 1_000_000,
    maxOutputTokens: 64_000,
    reasoning: 'configurable',
    adaptiveThinking: true,
    cacheMinTokens: 2048,
    structuredOutput: true,
    requiresProfile: true,
    profiles: ['us', 'eu', 'jp', 'global'],
    ...CLAUDE_45,
  },
  'anthropic.claude-opus-4-6-v1': {
    ...CLAUDE,
    contextWindow: 1_000_000,
    // Anthropic lists 128K output for its own API; 64K is what the gateway capability table uses too.
    maxOutputTokens: 64_000,
    reasoning: 'configurable',
    adaptiveThinking: true,
    cacheMinTokens: 4096,
    structuredOutput: true,
    requiresProfile: true,
    profiles: ['us', 'eu', 'jp', 'apac', 'global'],
    ...CLAUDE_45,
  },
  // Amazon Nova
  'amazon.nova-micro-v1:0': {
    ...CHAT_DEFAULTS,
    family: 'amazon-nova',
    contextWindow: 128_000,
    maxOutputTokens: 10_000,
    tools: true,
    toolChoiceAnyTool: true,
    documents: false,
    cacheMinTokens: 1000,
    profiles: GEO,
    additionalFields: NOVA_FIELDS,
  },
  'amazon.nova-lite-v1:0': {
    ...CHAT_DEFAULTS,
    family: 'amazon-nova',
    contextWindow: 300_000,
    maxOutputTokens: 10_000,
    tools: true,
    toolChoiceAnyTool: true,
    images: true,
    video: true,
    cacheMinTokens: 1000,
    profiles: GEO,
    additionalFields: NOVA_FIELDS,
  },
  'amazon.nova-pro-v1:0': {
    ...CHAT_DEFAULTS,
    family: 'amazon-nova',
    contextWindow: 300_000,
    maxOutputTokens: 10_000,
    tools: true,
    toolChoiceAnyTool: true,
    images: true,
    video: true,
    cacheMinTokens: 1000,
    profiles: GEO,
    additionalFields: NOVA_FIELDS,
  },
  'amazon.nova-premier-v1:0': {
    ...CHAT_DEFAULTS,
    family: 'amazon-nova',
    contextWindow: 1_000_000,
    maxOutputTokens: 32_000,
    tools: true,
    toolChoiceAnyTool: true,
    images: true,
    video: true,
    // Listed with Micro / Lite / Pro on the prompt-caching page (system and messages checkpoints).
    cacheMinTokens: 1000,
    requiresProfile: true,
    profiles: ['us'],
    additionalFields: NOVA_FIELDS,
  },
  // Amazon Titan Text: no system prompt and no tools through Converse.
  'amazon.titan-text-express-v1': {
    ...CHAT_DEFAULTS,
    family: 'titan-text',
    contextWindow: 8192,
    maxOutputTokens: 8192,
    system: false,
  },
  'amazon.titan-text-lite-v1': {
    ...CHAT_DEFAULTS,
    family: 'titan-text',
    contextWindow: 4096,
    maxOutputTokens: 4096,
    system: false,
  },
  'amazon.titan-text-premier-v1:0': {
    ...CHAT_DEFAULTS,
    family: 'titan-text',
    contextWindow: 32_000,
    maxOutputTokens: 3072,
    system: false,
  },
  // Meta Llama
  'meta.llama3-8b-instruct-v1:0': {
    ...CHAT_DEFAULTS,
    family: 'meta',
    contextWindow: 8192,
    maxOutputTokens: 2048,
    additionalFields: LLAMA_FIELDS,
  },
  'meta.llama3-70b-instruct-v1:0': {
    ...CHAT_DEFAULTS,
    family: 'meta',
    contextWindow: 8192,
    maxOutputTokens: 2048,
    additionalFields: LLAMA_FIELDS,
  },
  'meta.llama3-1-8b-instruct-v1:0': {
    ...CHAT_DEFAULTS,
    family: 'meta',
    contextWindow: 128_000,
    maxOutputTokens: 2048,
    tools: true,
    profiles: ['us'],
    additionalFields: LLAMA_FIELDS,
  },
  'meta.llama3-1-70b-instruct-v1:0': {
    ...CHAT_DEFAULTS,
    family: 'meta',
    contextWindow: 128_000,
    maxOutputTokens: 2048,
    tools: true,
    profiles: ['us'],
    additionalFields: LLAMA_FIELDS,
  },
  'meta.llama3-1-405b-instruct-v1:0': {
    ...CHAT_DEFAULTS,
    family: 'meta',
    contextWindow: 128_000,
    maxOutputTokens: 4096,
    tools: true,
    additionalFields: LLAMA_FIELDS,
  },
  'meta.llama3-2-11b-instruct-v1:0': {
    ...CHAT_DEFAULTS,
    family: 'meta',
    contextWindow: 128_000,
    maxOutputTokens: 2048,
    tools: true,
    images: true,
    requiresProfile: true,
    profiles: ['us'],
    additionalFields: LLAMA_FIELDS,
  },
  'meta.llama3-2-90b-instruct-v1:0': {
    ...CHAT_DEFAULTS,
    family: 'meta',
    contextWindow: 128_000,
    maxOutputTokens: 2048,
    tools: true,
    images: true,
    requiresProfile: true,
    profiles: ['us'],
    additionalFields: LLAMA_FIELDS,
  },
  'meta.llama3-3-70b-instruct-v1:0': {
    ...CHAT_DEFAULTS,
    family: 'meta',
    contextWindow: 128_000,
    maxOutputTokens: 8192,
    tools: true,
    requiresProfile: true,
    profiles: ['us'],
    additionalFields: LLAMA_FIELDS,
  },
  // Mistral
  'mistral.mistral-7b-instruct-v0:2': {
    ...CHAT_DEFAULTS,
    family: 'mistral',
    contextWindow: 32_000,
    maxOutputTokens: 8192,
    system: false,
    additionalFields: MISTRAL_TEXT_FIELDS,
  },
  'mistral.mixtral-8x7b-instruct-v0:1': {
    ...CHAT_DEFAULTS,
    family: 'mistral',
    contextWindow: 32_000,
    maxOutputTokens: 4096,
    system: false,
    additionalFields: MISTRAL_TEXT_FIELDS,
  },
  'mistral.mistral-small-2402-v1:0': {
    ...CHAT_DEFAULTS,
    family: 'mistral',
    contextWindow: 32_000,
    maxOutputTokens: 8192,
    tools: true,
    additionalFields: MISTRAL_TEXT_FIELDS,
  },
  'mistral.mistral-large-2402-v1:0': {
    ...CHAT_DEFAULTS,
    family: 'mistral',
    contextWindow: 32_000,
    maxOutputTokens: 8192,
    tools: true,
    toolChoiceAnyTool: true,
    additionalFields: MISTRAL_TEXT_FIELDS,
  },
  'mistral.mistral-large-2407-v1:0': {
    ...CHAT_DEFAULTS,
    family: 'mistral',
    contextWindow: 128_000,
    maxOutputTokens: 8192,
    tools: true,
    toolChoiceAnyTool: true,
    additionalFields: MISTRAL_CHAT_FIELDS,
  },
  'mistral.pixtral-large-2502-v1:0': {
    ...CHAT_DEFAULTS,
    family: 'mistral',
    contextWindow: 128_000,
    maxOutputTokens: 8192,
    tools: true,
    toolChoiceAnyTool: true,
    images: true,
    requiresProfile: true,
    profiles: ['us', 'eu'],
    additionalFields: MISTRAL_CHAT_FIELDS,
  },
  // Cohere Command R / R+
  'cohere.command-r-v1:0': {
    ...CHAT_DEFAULTS,
    family: 'cohere',
    contextWindow: 128_000,
    maxOutputTokens: 4000,
    tools: true,
    additionalFields: COHERE_FIELDS,
  },
  'cohere.command-r-plus-v1:0': {
    ...CHAT_DEFAULTS,
    family: 'cohere',
    contextWindow: 128_000,
    maxOutputTokens: 4000,
    tools: true,
    additionalFields: COHERE_FIELDS,
  },
  // DeepSeek R1 always reasons and has no tool use on Bedrock.
  'deepseek.r1-v1:0': {
    ...CHAT_DEFAULTS,
    family: 'deepseek',
    contextWindow: 128_000,
    maxOutputTokens: 32_768,
    reasoning: 'always',
    requiresProfile: true,
    profiles: ['us'],
    additionalFields: DEEPSEEK_FIELDS,
  },
  // OpenAI open-weight models
  'openai.gpt-oss-20b-1:0': {
    ...CHAT_DEFAULTS,
    family: 'openai',
    contextWindow: 128_000,
    maxOutputTokens: 32_768,
    tools: true,
    reasoning: 'always',
    structuredOutput: true,
  },
  'openai.gpt-oss-120b-1:0': {
    ...CHAT_DEFAULTS,
    family: 'openai',
    contextWindow: 128_000,
    maxOutputTokens: 32_768,
    tools: true,
    reasoning: 'always',
    structuredOutput: true,
  },
  // Embeddings
  'amazon.titan-embed-text-v1': { ...NON_CHAT, family: 'titan-embed', type: 'embedding', contextWindow: 8192 },
  'amazon.titan-embed-text-v2:0': { ...NON_CHAT, family: 'titan-embed', type: 'embedding', contextWindow: 8192 },
  'amazon.titan-embed-image-v1': { ...NON_CHAT, family: 'titan-embed', type: 'embedding', contextWindow: 128 },
  'cohere.embed-english-v3': { ...NON_CHAT, family: 'cohere-embed', type: 'embedding', contextWindow: 512 },
  'cohere.embed-multilingual-v3': { ...NON_CHAT, family: 'cohere-embed', type: 'embedding', contextWindow: 512 },
  // Images
  'amazon.titan-image-generator-v1': { ...NON_CHAT, family: 'titan-image', type: 'image' },
  'amazon.titan-image-generator-v2:0': { ...NON_CHAT, family: 'titan-image', type: 'image' },
  'amazon.nova-canvas-v1:0': { ...NON_CHAT, family: 'amazon-nova-canvas', type: 'image' },
  'stability.sd3-large-v1:0': { ...NON_CHAT, family: 'stability', type: 'image' },
  'stability.sd3-5-large-v1:0': { ...NON_CHAT, family: 'stability', type: 'image' },
  'stability.stable-image-core-v1:0': { ...NON_CHAT, family: 'stability', type: 'image' },
  'stability.stable-image-core-v1:1': { ...NON_CHAT, family: 'stability', type: 'image' },
  'stability.stable-image-ultra-v1:0': { ...NON_CHAT, family: 'stability', type: 'image' },
  'stability.stable-image-ultra-v1:1': { ...NON_CHAT, family: 'stability', type: 'image' },
};

/** Every catalog model, keyed by foundation model id. */
export const CATALOG: ReadonlyMap<string, CatalogModel> = new Map(
  Object.entries(ENTRIES).map(([id, entry]) => [id, { id, ...entry }]),
);

/** A foundation model by id, or undefined. */
export function lookupModel(foundationModelId: string): CatalogModel | undefined {
  return CATALOG.get(foundationModelId);
}

/** A model id from a request path resolved against the catalog. */
export interface ResolvedModel {
  readonly model: CatalogModel;
  /** The id as the caller sent it. */
  readonly requestedId: string;
  /** True when the call goes through an inference profile (id or ARN). */
  readonly viaProfile: boolean;
}

/**
 * Geographies of the system-defined cross-region inference profiles (Bedrock User Guide,
 * "Supported Regions and models for inference profiles"): the prefix of the profile id, a display name,
 * and the Regions a profile of that geography routes to. A model's `profiles` lists the geographies that
 * carry it. The global profiles route to any commercial Region; they list their source Region only.
 */
export const GEOGRAPHIES: Readonly<Record<string, { readonly label: string; readonly regions: readonly string[] }>> = {
  us: { label: 'US', regions: ['us-east-1', 'us-east-2', 'us-west-2'] },
  eu: { label: 'EU', regions: ['eu-central-1', 'eu-west-1', 'eu-west-3', 'eu-north-1'] },
  apac: {
    label: 'APAC',
    regions: ['ap-northeast-1', 'ap-northeast-2', 'ap-south-1', 'ap-southeast-1', 'ap-southeast-2'],
  },
  jp: { label: 'JP', regions: ['ap-northeast-1', 'ap-northeast-3'] },
  au: { label: 'AU', regions: ['ap-southeast-2', 'ap-southeast-4'] },
  global: { label: 'Global', regions: [] },
};

/** The model id forms the emulator accepts, once parsed (bedrock-wire.md §1). */
interface ParsedId {
  readonly foundationId: string;
  /** Geography prefix when the id (or ARN) names a system inference profile. */
  readonly geography: string | undefined;
}

// arn:aws:bedrock:{region}::foundation-model/{id} and arn:aws:bedrock:{region}:{account}:inference-profile/{id}.
const FOUNDATION_ARN_RE = /^arn:aws(?:-[a-z-]+)?:bedrock:[a-z0-9-]{1,20}::foundation-model\/(.+)$/;
const PROFILE_ARN_RE = /^arn:aws(?:-[a-z-]+)?:bedrock:[a-z0-9-]{1,20}:\d{12}:inference-profile\/(.+)$/;

/** Splits `us.anthropic.claude-...` into geography and foundation id; a bare foundation id has none. */
function parseProfileOrFoundation(id: string): ParsedId | undefined {
  if (CATALOG.has(id)) return { foundationId: id, geography: undefined };
  const dot = id.indexOf('.');
  const head = id.slice(0, dot);
  if (dot > 0 && GEOGRAPHIES[head] !== undefined) return { foundationId: id.slice(dot + 1), geography: head };
  return undefined;
}

/**
 * Reads a runtime model id: a foundation id, a system inference-profile id, or the ARN of either.
 * Other ARN kinds (application profiles, provisioned throughput, custom and imported models) name
 * resources the emulator does not have, so they are unknown ids like any other.
 */
function parseRuntimeModelId(raw: string): ParsedId | undefined {
  if (raw.length === 0 || raw.length > 2048) return undefined;
  const foundationArn = FOUNDATION_ARN_RE.exec(raw);
  if (foundationArn)
    return CATALOG.has(foundationArn[1] ?? '')
      ? { foundationId: foundationArn[1] ?? '', geography: undefined }
      : undefined;
  const profileArn = PROFILE_ARN_RE.exec(raw);
  if (profileArn) {
    const parsed = parseProfileOrFoundation(profileArn[1] ?? '');
    return parsed?.geography === undefined ? undefined : parsed;
  }
  return parseProfileOrFoundation(raw);
}

/**
 * Resolves a runtime model id (foundation id, system inference-profile id, or their ARNs) as Bedrock does:
 * unknown ids and profiles that do not contain the model are `The provided model identifier is invalid.`;
 * a foundation id of a profile-only model gets the on-demand throughput message (bedrock-wire.md §1),
 * unless `options.countOnly` (CountTokens names the foundation model and runs no inference).
 */
export function resolveModel(requestedId: string, options: { countOnly?: boolean } = {}): ResolvedModel {
  const parsed = parseRuntimeModelId(requestedId);
  if (!parsed) throw validationException(INVALID_MODEL_MESSAGE);
  const model = CATALOG.get(parsed.foundationId);
  if (!model) throw validationException(INVALID_MODEL_MESSAGE);
  const viaProfile = parsed.geography !== undefined;
  if (viaProfile && !model.profiles.includes(parsed.geography ?? '')) {
    throw validationException(INVALID_MODEL_MESSAGE);
  }
  if (!viaProfile && model.requiresProfile && !options.countOnly) {
    throw validationException(
      `Invocation of model ID ${model.id} with on-demand throughput isn\u2019t supported. Retry your request with the ID or ARN of an inference profile that contains this model.`,
    );
  }
  return { model, requestedId, viaProfile };
}

/** One system-defined inference profile: a geography and a model it carries. */
export interface SystemInferenceProfile {
  /** Profile id, e.g. `us.anthropic.claude-sonnet-4-5-20250929-v1:0`. */
  readonly id: string;
  readonly geography: string;
  readonly model: CatalogModel;
}

/** Every system-defined inference profile of the catalog, in catalog order then geography order. */
export function systemInferenceProfiles(): SystemInferenceProfile[] {
  const order = Object.keys(GEOGRAPHIES);
  const out: SystemInferenceProfile[] = [];
  for (const model of CATALOG.values()) {
    for (const geography of order) {
      if (model.profiles.includes(geography)) out.push({ id: `${geography}.${model.id}`, geography, model });
    }
  }
  return out;
}

/** Titan Image Generator's accepted width×height pairs (Bedrock User Guide, model-parameters-titan-image). */
export const TITAN_IMAGE_SIZES: readonly string[] = [
  '1024x1024',
  '768x768',
  '512x512',
  '768x1152',
  '384x576',
  '1152x768',
  '576x384',
  '768x1280',
  '384x640',
  '1280x768',
  '640x384',
  '896x1152',
  '448x576',
  '1152x896',
  '576x448',
  '768x1408',
  '384x704',
  '1408x768',
  '704x384',
  '640x1408',
  '320x704',
  '1408x640',
  '704x320',
  '1152x640',
  '1173x640',
];

/** Thrown by operations that serve only some model types (Converse on an embedding model, ...). */
export function unsupportedOperationForModel(): BedrockException {
  return validationException(
    "This action doesn't support the model that you provided. Try again with a supported text or chat model.",
  );
}
