/**
 * The edge of the chat surface: an untrusted JSON body becomes a typed {@link ChatCompletionRequest}
 * or a 400 naming the offending `param` (OpenAI style, e.g. `messages[2].content[0].image_url.url`).
 *
 * Unknown top-level fields are ignored, because the OpenAI SDKs add new fields faster than any
 * gateway can follow; known fields with a wrong type are refused. `null` on an optional field means
 * "absent", as in OpenAI's own API. Semantic checks that depend on the model live in the translator.
 */
import {
  echo,
  invalidType,
  invalidValue,
  missingParameter,
  unsupportedParameter,
  unsupportedValue,
} from '../../errors/index.js';
import { JSON_DEFAULTS, jsonTooDeepError, valueNestingExceeds } from '../../json/index.js';
import type {
  AssistantContentPart,
  AssistantMessage,
  BedrockExtension,
  CacheControl,
  ChatCompletionRequest,
  ChatMessage,
  FileContentPart,
  FunctionTool,
  ImageUrlContentPart,
  JsonObject,
  JsonValue,
  ReasoningEffort,
  ResponseFormat,
  ServiceTierOption,
  TextContentPart,
  ThinkingBlock,
  ThinkingParam,
  ToolCall,
  ToolChoiceOption,
  ToolContentPart,
  UserContentPart,
} from '../../wire/openai/index.js';
import { setOwn } from './own-key.js';

type Obj = Record<string, unknown>;

const REASONING_EFFORTS: readonly ReasoningEffort[] = ['none', 'minimal', 'low', 'medium', 'high'];
const SERVICE_TIERS: readonly ServiceTierOption[] = ['auto', 'default', 'flex', 'priority', 'scale'];

/**
 * Fields whose silent omission would change what the caller gets (the model would never see the
 * functions, never search, never speak), refused rather than ignored.
 */
const REFUSED_FIELDS: ReadonlyArray<readonly [string, string]> = [
  ['functions', "is deprecated and not supported; use 'tools'."],
  ['function_call', "is deprecated and not supported; use 'tool_choice'."],
  ['web_search_options', 'is not supported: Bedrock chat models have no built-in web search.'],
  ['audio', 'is not supported: Bedrock chat models produce text only.'],
];

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireObject(value: unknown, param: string): Obj {
  if (!isObject(value)) throw invalidType(param, 'an object');
  return value;
}

function requireString(value: unknown, param: string): string {
  if (typeof value !== 'string') throw invalidType(param, 'a string');
  return value;
}

function requireArray(value: unknown, param: string): unknown[] {
  if (!Array.isArray(value)) throw invalidType(param, 'an array');
  return value;
}

function optString(body: Obj, key: string, param: string): string | undefined {
  const v = body[key];
  return v == null ? undefined : requireString(v, param);
}

function optBoolean(body: Obj, key: string, param: string): boolean | undefined {
  const v = body[key];
  if (v == null) return undefined;
  if (typeof v !== 'boolean') throw invalidType(param, 'a boolean');
  return v;
}

interface NumberRule {
  min?: number;
  max?: number;
  integer?: boolean;
}

function optNumber(body: Obj, key: string, param: string, rule: NumberRule = {}): number | undefined {
  const v = body[key];
  if (v == null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidType(param, rule.integer ? 'an integer' : 'a number');
  if (rule.integer && !Number.isInteger(v)) throw invalidType(param, 'an integer');
  if (rule.min !== undefined && v < rule.min) {
    throw invalidValue(`Invalid value for '${param}': ${v} is less than the minimum of ${rule.min}.`, param);
  }
  if (rule.max !== undefined && v > rule.max) {
    throw invalidValue(`Invalid value for '${param}': ${v} is greater than the maximum of ${rule.max}.`, param);
  }
  return v;
}

/**
 * Whether a free-form field holds only JSON values. Its depth was already bounded when the body was
 * parsed; the check is repeated here (without recursion) for callers that build bodies themselves.
 */
function isJsonValue(value: unknown): value is JsonValue {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v === 'string' || typeof v === 'boolean') continue;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return false;
      continue;
    }
    // A loop, not push(...children): spreading a huge array would exceed the engine's argument limit.
    if (Array.isArray(v)) for (const child of v) stack.push(child);
    else if (isObject(v)) for (const child of Object.values(v)) stack.push(child);
    else return false;
  }
  return true;
}

function optJsonObject(value: unknown, param: string): JsonObject | undefined {
  if (value == null) return undefined;
  if (!isObject(value)) throw invalidType(param, 'a JSON object');
  const maxDepth = JSON_DEFAULTS.maxNestingDepth;
  if (valueNestingExceeds(value, maxDepth)) throw jsonTooDeepError(maxDepth, param);
  if (!isJsonValue(value)) throw invalidType(param, 'a JSON object');
  return value as JsonObject;
}

function parseCacheControl(value: unknown, param: string): CacheControl | undefined {
  if (value == null) return undefined;
  const o = requireObject(value, param);
  if (o.type !== 'ephemeral') {
    throw unsupportedValue(`${param}.type`, `only 'ephemeral' cache control is supported.`);
  }
  const ttl = o.ttl;
  if (ttl == null) return { type: 'ephemeral' };
  if (ttl !== '5m' && ttl !== '1h') throw unsupportedValue(`${param}.ttl`, `expected '5m' or '1h'.`);
  return { type: 'ephemeral', ttl };
}

function withCache<T extends object>(part: T, raw: Obj, param: string): T & { cache_control?: CacheControl } {
  const cc = parseCacheControl(raw.cache_control, `${param}.cache_control`);
  return cc ? { ...part, cache_control: cc } : part;
}

// ---------------------------------------------------------------------------------------------
// Content parts

function parseTextPart(o: Obj, param: string): TextContentPart {
  return withCache({ type: 'text' as const, text: requireString(o.text, `${param}.text`) }, o, param);
}

function parseImagePart(o: Obj, param: string): ImageUrlContentPart {
  const image = requireObject(o.image_url, `${param}.image_url`);
  const url = requireString(image.url, `${param}.image_url.url`);
  const detail = image.detail;
  const part: ImageUrlContentPart = { type: 'image_url', image_url: { url } };
  if (detail === 'auto' || detail === 'low' || detail === 'high') part.image_url.detail = detail;
  else if (detail != null)
    throw invalidValue(`Invalid value for '${param}.image_url.detail'.`, `${param}.image_url.detail`);
  return withCache(part, o, param);
}

function parseFilePart(o: Obj, param: string): FileContentPart {
  const f = requireObject(o.file, `${param}.file`);
  const file: FileContentPart['file'] = {};
  const data = optString(f, 'file_data', `${param}.file.file_data`);
  const id = optString(f, 'file_id', `${param}.file.file_id`);
  const filename = optString(f, 'filename', `${param}.file.filename`);
  const format = optString(f, 'format', `${param}.file.format`);
  if (data !== undefined) file.file_data = data;
  if (id !== undefined) file.file_id = id;
  if (filename !== undefined) file.filename = filename;
  if (format !== undefined) file.format = format;
  if (data === undefined && id === undefined) throw missingParameter(`${param}.file.file_data`);
  return withCache({ type: 'file' as const, file }, o, param);
}

function partType(o: Obj, param: string): string {
  return requireString(o.type, `${param}.type`);
}

function parseUserPart(value: unknown, param: string): UserContentPart {
  const o = requireObject(value, param);
  const type = partType(o, param);
  switch (type) {
    case 'text':
      return parseTextPart(o, param);
    case 'image_url':
      return parseImagePart(o, param);
    case 'file':
      return parseFilePart(o, param);
    case 'input_audio': {
      const audio = requireObject(o.input_audio, `${param}.input_audio`);
      return {
        type: 'input_audio',
        input_audio: {
          data: requireString(audio.data, `${param}.input_audio.data`),
          format: requireString(audio.format, `${param}.input_audio.format`),
        },
      };
    }
    default:
      throw invalidValue(
        `Invalid value for '${param}.type': '${type}'. Supported values are 'text', 'image_url', 'file' and 'input_audio'.`,
        `${param}.type`,
      );
  }
}

function parseTextOnlyPart(value: unknown, param: string): TextContentPart {
  const o = requireObject(value, param);
  const type = partType(o, param);
  if (type !== 'text') {
    throw invalidValue(
      `Invalid value for '${param}.type': '${type}'. Only 'text' parts are allowed here.`,
      `${param}.type`,
    );
  }
  return parseTextPart(o, param);
}

function parseAssistantPart(value: unknown, param: string): AssistantContentPart {
  const o = requireObject(value, param);
  const type = partType(o, param);
  if (type === 'text') return parseTextPart(o, param);
  if (type === 'refusal') return { type: 'refusal', refusal: requireString(o.refusal, `${param}.refusal`) };
  throw invalidValue(
    `Invalid value for '${param}.type': '${type}'. Supported values are 'text' and 'refusal'.`,
    `${param}.type`,
  );
}

function parseToolPart(value: unknown, param: string): ToolContentPart {
  const o = requireObject(value, param);
  const type = partType(o, param);
  if (type === 'text') return parseTextPart(o, param);
  if (type === 'image_url') return parseImagePart(o, param);
  throw invalidValue(
    `Invalid value for '${param}.type': '${type}'. Supported values are 'text' and 'image_url'.`,
    `${param}.type`,
  );
}

function parseContent<T>(value: unknown, param: string, parsePart: (v: unknown, p: string) => T): string | T[] {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map((v, i) => parsePart(v, `${param}[${i}]`));
  throw invalidType(param, 'a string or an array of content parts');
}

// ---------------------------------------------------------------------------------------------
// Messages

function parseToolCall(value: unknown, param: string): ToolCall {
  const o = requireObject(value, param);
  if (o.type != null && o.type !== 'function') {
    throw invalidValue(`Invalid value for '${param}.type': only 'function' tool calls are supported.`, `${param}.type`);
  }
  const fn = requireObject(o.function, `${param}.function`);
  return {
    id: requireString(o.id, `${param}.id`),
    type: 'function',
    function: {
      name: requireString(fn.name, `${param}.function.name`),
      // Some clients send `arguments: null` (or omit it) for argument-less calls.
      arguments: fn.arguments == null ? '' : requireString(fn.arguments, `${param}.function.arguments`),
    },
  };
}

function parseThinkingBlock(value: unknown, param: string): ThinkingBlock {
  const o = requireObject(value, param);
  if (o.type === 'thinking') {
    const block: ThinkingBlock = { type: 'thinking', thinking: requireString(o.thinking, `${param}.thinking`) };
    const signature = optString(o, 'signature', `${param}.signature`);
    if (signature !== undefined) block.signature = signature;
    return block;
  }
  if (o.type === 'redacted_thinking') {
    return { type: 'redacted_thinking', data: requireString(o.data, `${param}.data`) };
  }
  throw invalidValue(`Invalid value for '${param}.type': expected 'thinking' or 'redacted_thinking'.`, `${param}.type`);
}

function parseMessage(value: unknown, param: string): ChatMessage {
  const o = requireObject(value, param);
  const role = o.role;
  const cacheControl = parseCacheControl(o.cache_control, `${param}.cache_control`);
  const name = optString(o, 'name', `${param}.name`);
  let message: ChatMessage;
  switch (role) {
    case 'system':
    case 'developer': {
      if (o.content == null) throw missingParameter(`${param}.content`);
      message = { role, content: parseContent(o.content, `${param}.content`, parseTextOnlyPart) };
      break;
    }
    case 'user': {
      if (o.content == null) throw missingParameter(`${param}.content`);
      message = { role, content: parseContent(o.content, `${param}.content`, parseUserPart) };
      break;
    }
    case 'assistant': {
      const m: AssistantMessage = { role };
      if (o.content != null) m.content = parseContent(o.content, `${param}.content`, parseAssistantPart);
      const refusal = optString(o, 'refusal', `${param}.refusal`);
      if (refusal !== undefined) m.refusal = refusal;
      if (o.tool_calls != null) {
        m.tool_calls = requireArray(o.tool_calls, `${param}.tool_calls`).map((c, i) =>
          parseToolCall(c, `${param}.tool_calls[${i}]`),
        );
      }
      if (o.thinking_blocks != null) {
        m.thinking_blocks = requireArray(o.thinking_blocks, `${param}.thinking_blocks`).map((b, i) =>
          parseThinkingBlock(b, `${param}.thinking_blocks[${i}]`),
        );
      }
      const reasoning = optString(o, 'reasoning_content', `${param}.reasoning_content`);
      if (reasoning !== undefined) m.reasoning_content = reasoning;
      message = m;
      break;
    }
    case 'tool': {
      if (o.content == null) throw missingParameter(`${param}.content`);
      message = {
        role,
        tool_call_id: requireString(o.tool_call_id, `${param}.tool_call_id`),
        content: parseContent(o.content, `${param}.content`, parseToolPart),
      };
      const isError = optBoolean(o, 'is_error', `${param}.is_error`);
      if (isError !== undefined) message.is_error = isError;
      break;
    }
    case 'function':
      throw unsupportedValue(`${param}.role`, `the deprecated 'function' role is not supported; use 'tool' messages.`);
    case undefined:
    case null:
      throw missingParameter(`${param}.role`);
    default:
      throw invalidValue(
        `Invalid value for '${param}.role': supported roles are 'system', 'developer', 'user', 'assistant' and 'tool'.`,
        `${param}.role`,
      );
  }
  if (name !== undefined && message.role !== 'tool') message.name = name;
  if (cacheControl) message.cache_control = cacheControl;
  return message;
}

// ---------------------------------------------------------------------------------------------
// Tools, output format, extensions

function parseTool(value: unknown, param: string): FunctionTool {
  const o = requireObject(value, param);
  if (o.type !== 'function') {
    throw unsupportedValue(`${param}.type`, `only 'function' tools are supported on Bedrock.`);
  }
  const fn = requireObject(o.function, `${param}.function`);
  const tool: FunctionTool = { type: 'function', function: { name: requireString(fn.name, `${param}.function.name`) } };
  const description = optString(fn, 'description', `${param}.function.description`);
  if (description !== undefined) tool.function.description = description;
  const parameters = optJsonObject(fn.parameters, `${param}.function.parameters`);
  if (parameters !== undefined) tool.function.parameters = parameters;
  const strict = optBoolean(fn, 'strict', `${param}.function.strict`);
  if (strict !== undefined) tool.function.strict = strict;
  return withCache(tool, o, param);
}

function parseToolChoice(value: unknown): ToolChoiceOption {
  if (value === 'none' || value === 'auto' || value === 'required') return value;
  if (typeof value === 'string') {
    throw invalidValue(
      `Invalid value for 'tool_choice': '${echo(value)}'. Supported values are 'none', 'auto', 'required' or a named function.`,
      'tool_choice',
    );
  }
  const o = requireObject(value, 'tool_choice');
  if (o.type !== 'function')
    throw invalidValue(`Invalid value for 'tool_choice.type': expected 'function'.`, 'tool_choice.type');
  const fn = requireObject(o.function, 'tool_choice.function');
  return { type: 'function', function: { name: requireString(fn.name, 'tool_choice.function.name') } };
}

function parseResponseFormat(value: unknown): ResponseFormat {
  const o = requireObject(value, 'response_format');
  switch (o.type) {
    case 'text':
      return { type: 'text' };
    case 'json_object':
      return { type: 'json_object' };
    case 'json_schema': {
      const js = requireObject(o.json_schema, 'response_format.json_schema');
      const out: Extract<ResponseFormat, { type: 'json_schema' }> = {
        type: 'json_schema',
        json_schema: { name: requireString(js.name, 'response_format.json_schema.name') },
      };
      const description = optString(js, 'description', 'response_format.json_schema.description');
      if (description !== undefined) out.json_schema.description = description;
      const schema = optJsonObject(js.schema, 'response_format.json_schema.schema');
      if (schema !== undefined) out.json_schema.schema = schema;
      const strict = optBoolean(js, 'strict', 'response_format.json_schema.strict');
      if (strict !== undefined) out.json_schema.strict = strict;
      return out;
    }
    default:
      throw invalidValue(
        `Invalid value for 'response_format.type'. Supported values are 'text', 'json_object' and 'json_schema'.`,
        'response_format.type',
      );
  }
}

function parseThinking(value: unknown): ThinkingParam {
  const o = requireObject(value, 'thinking');
  switch (o.type) {
    case 'enabled': {
      const budget = optNumber(o, 'budget_tokens', 'thinking.budget_tokens', { integer: true, min: 1024 });
      if (budget === undefined) throw missingParameter('thinking.budget_tokens');
      return { type: 'enabled', budget_tokens: budget };
    }
    case 'disabled':
      return { type: 'disabled' };
    case 'adaptive':
      return { type: 'adaptive' };
    default:
      throw invalidValue(
        `Invalid value for 'thinking.type'. Supported values are 'enabled', 'disabled' and 'adaptive'.`,
        'thinking.type',
      );
  }
}

function parseStringMap(value: unknown, param: string): Record<string, string> {
  const o = requireObject(value, param);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(o)) setOwn(out, k, requireString(v, `${param}.${k}`));
  return out;
}

function parseBedrock(value: unknown): BedrockExtension {
  const o = requireObject(value, 'bedrock');
  const out: BedrockExtension = {};
  const fields = optJsonObject(o.additionalModelRequestFields, 'bedrock.additionalModelRequestFields');
  if (fields) out.additionalModelRequestFields = fields;
  if (o.additionalModelResponseFieldPaths != null) {
    const paths = requireArray(o.additionalModelResponseFieldPaths, 'bedrock.additionalModelResponseFieldPaths');
    out.additionalModelResponseFieldPaths = paths.map((p, i) =>
      requireString(p, `bedrock.additionalModelResponseFieldPaths[${i}]`),
    );
    if (paths.length > 10) {
      throw invalidValue(
        `Invalid value for 'bedrock.additionalModelResponseFieldPaths': at most 10 paths are allowed.`,
        'bedrock.additionalModelResponseFieldPaths',
      );
    }
  }
  if (o.guardrailConfig != null) {
    const g = requireObject(o.guardrailConfig, 'bedrock.guardrailConfig');
    const guard: NonNullable<BedrockExtension['guardrailConfig']> = {
      guardrailIdentifier: requireString(g.guardrailIdentifier, 'bedrock.guardrailConfig.guardrailIdentifier'),
      guardrailVersion: requireString(g.guardrailVersion, 'bedrock.guardrailConfig.guardrailVersion'),
    };
    if (g.trace != null) {
      if (g.trace !== 'enabled' && g.trace !== 'disabled' && g.trace !== 'enabled_full') {
        throw invalidValue(`Invalid value for 'bedrock.guardrailConfig.trace'.`, 'bedrock.guardrailConfig.trace');
      }
      guard.trace = g.trace;
    }
    if (g.streamProcessingMode != null) {
      if (g.streamProcessingMode !== 'sync' && g.streamProcessingMode !== 'async') {
        throw invalidValue(
          `Invalid value for 'bedrock.guardrailConfig.streamProcessingMode'.`,
          'bedrock.guardrailConfig.streamProcessingMode',
        );
      }
      guard.streamProcessingMode = g.streamProcessingMode;
    }
    out.guardrailConfig = guard;
  }
  if (o.performanceConfig != null) {
    const p = requireObject(o.performanceConfig, 'bedrock.performanceConfig');
    if (p.latency != null && p.latency !== 'standard' && p.latency !== 'optimized') {
      throw invalidValue(`Invalid value for 'bedrock.performanceConfig.latency'.`, 'bedrock.performanceConfig.latency');
    }
    out.performanceConfig = p.latency == null ? {} : { latency: p.latency };
  }
  if (o.serviceTier != null) {
    const t = requireObject(o.serviceTier, 'bedrock.serviceTier');
    if (t.type !== 'priority' && t.type !== 'default' && t.type !== 'flex' && t.type !== 'reserved') {
      throw invalidValue(`Invalid value for 'bedrock.serviceTier.type'.`, 'bedrock.serviceTier.type');
    }
    out.serviceTier = { type: t.type };
  }
  if (o.promptVariables != null) {
    const vars = requireObject(o.promptVariables, 'bedrock.promptVariables');
    const parsed: Record<string, { text: string }> = {};
    for (const [k, v] of Object.entries(vars)) {
      const entry = requireObject(v, `bedrock.promptVariables.${k}`);
      setOwn(parsed, k, { text: requireString(entry.text, `bedrock.promptVariables.${k}.text`) });
    }
    out.promptVariables = parsed;
  }
  if (o.requestMetadata != null) out.requestMetadata = parseStringMap(o.requestMetadata, 'bedrock.requestMetadata');
  return out;
}

function parseEnum<T extends string>(value: unknown, allowed: readonly T[], param: string): T {
  if (typeof value !== 'string') throw invalidType(param, 'a string');
  if (!(allowed as readonly string[]).includes(value)) {
    throw invalidValue(
      `Invalid value for '${param}': '${value}'. Supported values are ${allowed.map((a) => `'${a}'`).join(', ')}.`,
      param,
    );
  }
  return value as T;
}

// ---------------------------------------------------------------------------------------------

/**
 * Validates an OpenAI chat completions body and returns it typed, keeping only the fields the
 * gateway knows (unknown fields are dropped, not refused).
 *
 * @throws GatewayError (400, with `param`) for a missing `model`/`messages`, wrong types or values
 * outside OpenAI's documented ranges.
 */
export function parseChatCompletionRequest(body: unknown): ChatCompletionRequest {
  const b = requireObject(body, 'body');
  if (b.model == null) throw missingParameter('model');
  const model = requireString(b.model, 'model');
  if (model.length === 0) throw invalidValue(`Invalid value for 'model': it must not be empty.`, 'model');
  if (b.messages == null) throw missingParameter('messages');
  const rawMessages = requireArray(b.messages, 'messages');
  if (rawMessages.length === 0) {
    throw invalidValue(`Invalid value for 'messages': expected an array with at least one message.`, 'messages');
  }
  for (const [key, why] of REFUSED_FIELDS) if (b[key] != null) throw unsupportedParameter(key, why);
  const req: ChatCompletionRequest = {
    model,
    messages: rawMessages.map((m, i) => parseMessage(m, `messages[${i}]`)),
  };

  const maxTokens = optNumber(b, 'max_tokens', 'max_tokens', { integer: true, min: 1 });
  if (maxTokens !== undefined) req.max_tokens = maxTokens;
  const maxCompletion = optNumber(b, 'max_completion_tokens', 'max_completion_tokens', { integer: true, min: 1 });
  if (maxCompletion !== undefined) req.max_completion_tokens = maxCompletion;
  const temperature = optNumber(b, 'temperature', 'temperature', { min: 0, max: 2 });
  if (temperature !== undefined) req.temperature = temperature;
  const topP = optNumber(b, 'top_p', 'top_p', { min: 0, max: 1 });
  if (topP !== undefined) req.top_p = topP;

  if (b.stop != null) {
    if (typeof b.stop === 'string') req.stop = b.stop;
    else if (Array.isArray(b.stop)) req.stop = b.stop.map((s, i) => requireString(s, `stop[${i}]`));
    else throw invalidType('stop', 'a string or an array of strings');
  }
  const stream = optBoolean(b, 'stream', 'stream');
  if (stream !== undefined) req.stream = stream;
  if (b.stream_options != null) {
    const so = requireObject(b.stream_options, 'stream_options');
    const include = optBoolean(so, 'include_usage', 'stream_options.include_usage');
    req.stream_options = include === undefined ? {} : { include_usage: include };
  }

  if (b.tools != null) req.tools = requireArray(b.tools, 'tools').map((t, i) => parseTool(t, `tools[${i}]`));
  if (b.tool_choice != null) req.tool_choice = parseToolChoice(b.tool_choice);
  const parallel = optBoolean(b, 'parallel_tool_calls', 'parallel_tool_calls');
  if (parallel !== undefined) req.parallel_tool_calls = parallel;
  if (b.response_format != null) req.response_format = parseResponseFormat(b.response_format);
  if (b.reasoning_effort != null)
    req.reasoning_effort = parseEnum(b.reasoning_effort, REASONING_EFFORTS, 'reasoning_effort');

  const n = optNumber(b, 'n', 'n', { integer: true, min: 1, max: 128 });
  if (n !== undefined) req.n = n;
  const seed = optNumber(b, 'seed', 'seed', { integer: true });
  if (seed !== undefined) req.seed = seed;
  const logprobs = optBoolean(b, 'logprobs', 'logprobs');
  if (logprobs !== undefined) req.logprobs = logprobs;
  const topLogprobs = optNumber(b, 'top_logprobs', 'top_logprobs', { integer: true, min: 0, max: 20 });
  if (topLogprobs !== undefined) req.top_logprobs = topLogprobs;
  const presence = optNumber(b, 'presence_penalty', 'presence_penalty', { min: -2, max: 2 });
  if (presence !== undefined) req.presence_penalty = presence;
  const frequency = optNumber(b, 'frequency_penalty', 'frequency_penalty', { min: -2, max: 2 });
  if (frequency !== undefined) req.frequency_penalty = frequency;
  if (b.logit_bias != null) {
    const bias = requireObject(b.logit_bias, 'logit_bias');
    const parsed: Record<string, number> = {};
    for (const [k, v] of Object.entries(bias)) {
      if (typeof v !== 'number') throw invalidType(`logit_bias.${k}`, 'a number');
      setOwn(parsed, k, v);
    }
    req.logit_bias = parsed;
  }
  const user = optString(b, 'user', 'user');
  if (user !== undefined) req.user = user;
  if (b.metadata != null) req.metadata = parseStringMap(b.metadata, 'metadata');
  if (b.service_tier != null) req.service_tier = parseEnum(b.service_tier, SERVICE_TIERS, 'service_tier');
  const store = optBoolean(b, 'store', 'store');
  if (store !== undefined) req.store = store;
  if (b.modalities != null) {
    req.modalities = requireArray(b.modalities, 'modalities').map((m, i) => requireString(m, `modalities[${i}]`));
  }

  const topK = optNumber(b, 'top_k', 'top_k', { integer: true, min: 0 });
  if (topK !== undefined) req.top_k = topK;
  if (b.thinking != null) req.thinking = parseThinking(b.thinking);
  if (b.bedrock != null) req.bedrock = parseBedrock(b.bedrock);
  return req;
}
