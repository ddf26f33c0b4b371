/**
 * Claude through InvokeModel / InvokeModelWithResponseStream: the Anthropic Messages body with
 * `anthropic_version: "bedrock-2023-05-31"` (bedrock-wire.md §6.6) and the Messages response and stream
 * events (§5.1). The body is checked the way Bedrock does (its JSON-schema pass answers `Malformed input
 * request: #/path: reason`), then with Anthropic's own rules, whose messages Bedrock passes through. The
 * validated body becomes the emulator's Converse request, so the reply comes from the same deterministic
 * model as Converse: the same text, token counts, tool calls, reasoning signatures and prompt cache.
 */

import { randomBytes } from 'node:crypto';
import type { CatalogModel } from '../catalog.js';
import {
  type ConverseOutput,
  generateConverseOutput,
  type OutputBlock,
  type StopReason,
} from '../converse/generate.js';
import type {
  ContentBlock,
  ConverseRequest,
  JsonObject,
  Message,
  SystemBlock,
  ToolChoice,
  ToolEntry,
  ToolResultContent,
} from '../converse/types.js';
import {
  checkReasoningBlocks,
  checkThinkingFinalTurn,
  checkToolResultsFirst,
  documentMatchesFormat,
  imageMatchesFormat,
  MAX_CACHE_POINTS,
  MAX_DOCUMENT_BYTES,
  MAX_DOCUMENTS,
  MAX_IMAGE_BYTES,
  MAX_IMAGES,
  parseThinking,
} from '../converse/validate.js';
import { validationException } from '../errors.js';
import { array, boolean, integer, keys, malformed, number, object, oneOf, string } from './body-checks.js';
import type { InvokeContext, InvokeHandler, InvokeResult } from './types.js';

/** The only `anthropic_version` Bedrock accepts for the Messages body. */
export const ANTHROPIC_VERSION = 'bedrock-2023-05-31';

const TOP_LEVEL_KEYS = [
  'anthropic_version',
  'anthropic_beta',
  'max_tokens',
  'messages',
  'system',
  'stop_sequences',
  'temperature',
  'top_p',
  'top_k',
  'tools',
  'tool_choice',
  'thinking',
  'output_config',
];
const IMAGE_MEDIA_TYPES = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];
const TOOL_NAME_RE = /^[a-zA-Z0-9_-]{1,64}$/;
const TOOL_ID_RE = /^[a-zA-Z0-9_-]+$/;

interface Counters {
  images: number;
  documents: number;
  cachePoints: number;
}

/** `cache_control: {"type": "ephemeral", "ttl"?: "5m" | "1h"}` → the checkpoint TTL it asks for. */
function cacheControl(value: unknown, path: string, counters: Counters): '5m' | '1h' | undefined {
  if (value === undefined) return undefined;
  const obj = object(value, path);
  keys(obj, path, ['type', 'ttl'], ['type']);
  oneOf(obj.type, `${path}/type`, ['ephemeral']);
  counters.cachePoints += 1;
  return obj.ttl === undefined ? '5m' : oneOf(obj.ttl, `${path}/ttl`, ['5m', '1h'] as const);
}

/** Anthropic refuses empty and whitespace-only text blocks wherever they sit. */
function nonBlankText(value: unknown, path: string, where: string): string {
  const text = string(value, path);
  if (text === '') throw validationException(`${where}: text content blocks must be non-empty`);
  if (text.trim() === '') throw validationException(`${where}: text content blocks must contain non-whitespace text`);
  return text;
}

function base64Bytes(value: unknown, path: string): Buffer {
  const text = string(value, path, 1);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) malformed(path, 'is not valid base64');
  return Buffer.from(text, 'base64');
}

function parseImage(block: JsonObject, path: string, model: CatalogModel, counters: Counters): ContentBlock {
  if (!model.images) {
    throw validationException(
      "This model doesn't support the image content block that you provided. Try again with a supported content block.",
    );
  }
  const source = object(block.source, `${path}/source`);
  // Bedrock takes inline images only; Anthropic's `url` source is not offered there.
  keys(source, `${path}/source`, ['type', 'media_type', 'data'], ['type', 'media_type', 'data']);
  oneOf(source.type, `${path}/source/type`, ['base64']);
  const mediaType = oneOf(source.media_type, `${path}/source/media_type`, IMAGE_MEDIA_TYPES);
  const bytes = base64Bytes(source.data, `${path}/source/data`);
  const format = mediaType.slice('image/'.length);
  if (bytes.length > MAX_IMAGE_BYTES) {
    throw validationException(`${path.slice(2).replaceAll('/', '.')}: image exceeds 3.75 MB maximum`);
  }
  if (!imageMatchesFormat(bytes, format)) {
    throw validationException(
      `${path.slice(2).replaceAll('/', '.')}.source.base64: The image was specified using the ${mediaType} media type, but the image does not appear to be a valid ${mediaType} image`,
    );
  }
  counters.images += 1;
  if (counters.images > MAX_IMAGES) {
    throw validationException(`Too many images in the request: the maximum is ${MAX_IMAGES}.`);
  }
  return { kind: 'image', format, bytes, raw: block };
}

function parseDocument(block: JsonObject, path: string, model: CatalogModel, counters: Counters): ContentBlock {
  if (!model.documents) {
    throw validationException(
      "This model doesn't support the document content block that you provided. Try again with a supported content block.",
    );
  }
  const source = object(block.source, `${path}/source`);
  const type = oneOf(source.type, `${path}/source/type`, ['base64', 'text']);
  let size: number;
  let text: string | undefined;
  let format: string;
  if (type === 'base64') {
    keys(source, `${path}/source`, ['type', 'media_type', 'data'], ['type', 'media_type', 'data']);
    oneOf(source.media_type, `${path}/source/media_type`, ['application/pdf']);
    const bytes = base64Bytes(source.data, `${path}/source/data`);
    if (!documentMatchesFormat(bytes, 'pdf')) {
      throw validationException(
        `${path.slice(2).replaceAll('/', '.')}.source.base64.data: The PDF specified was not valid.`,
      );
    }
    size = bytes.length;
    format = 'pdf';
  } else {
    keys(source, `${path}/source`, ['type', 'media_type', 'data'], ['type', 'media_type', 'data']);
    oneOf(source.media_type, `${path}/source/media_type`, ['text/plain']);
    text = string(source.data, `${path}/source/data`);
    size = Buffer.byteLength(text);
    format = 'txt';
  }
  if (size > MAX_DOCUMENT_BYTES) {
    throw validationException(`The document at ${path} is ${size} bytes; the maximum document size is 4.5 MB.`);
  }
  counters.documents += 1;
  if (counters.documents > MAX_DOCUMENTS) {
    throw validationException(`Too many documents in the request: the maximum is ${MAX_DOCUMENTS}.`);
  }
  const name = block.title === undefined ? 'document' : string(block.title, `${path}/title`, 1, 500);
  return { kind: 'document', format, name, size, text, raw: block };
}

function parseToolResult(
  block: JsonObject,
  path: string,
  model: CatalogModel,
  counters: Counters,
): Extract<ContentBlock, { kind: 'toolResult' }> {
  const toolUseId = string(block.tool_use_id, `${path}/tool_use_id`, 1);
  if (!TOOL_ID_RE.test(toolUseId))
    malformed(`${path}/tool_use_id`, `string [${toolUseId}] does not match pattern ${TOOL_ID_RE.source}`);
  const where = path.slice(2).replaceAll('/', '.');
  const content: ToolResultContent[] = [];
  if (typeof block.content === 'string') {
    if (block.content !== '') content.push({ kind: 'text', text: block.content });
  } else if (block.content !== undefined) {
    array(block.content, `${path}/content`, 0, Number.MAX_SAFE_INTEGER).forEach((item, k) => {
      const p = `${path}/content/${k}`;
      const inner = object(item, p);
      const type = oneOf(inner.type, `${p}/type`, ['text', 'image', 'document']);
      if (type === 'text') {
        keys(inner, p, ['type', 'text', 'cache_control'], ['type', 'text']);
        content.push({ kind: 'text', text: nonBlankText(inner.text, `${p}/text`, `${where}.content.${k}`) });
      } else if (type === 'image') {
        keys(inner, p, ['type', 'source', 'cache_control'], ['type', 'source']);
        parseImage(inner, p, model, counters);
        content.push({ kind: 'other', member: 'image' });
      } else {
        keys(inner, p, ['type', 'source', 'title', 'context', 'citations', 'cache_control'], ['type', 'source']);
        parseDocument(inner, p, model, counters);
        content.push({ kind: 'other', member: 'document' });
      }
    });
  }
  const isError = block.is_error === undefined ? undefined : boolean(block.is_error, `${path}/is_error`);
  const status = isError === undefined ? undefined : isError ? 'error' : 'success';
  return { kind: 'toolResult', toolUseId, content, status, raw: block };
}

/** One content block of a message; a `cache_control` on it adds a checkpoint right after it. */
function parseBlock(
  value: unknown,
  path: string,
  role: 'user' | 'assistant',
  model: CatalogModel,
  counters: Counters,
): ContentBlock[] {
  const block = object(value, path);
  const type = oneOf(block.type, `${path}/type`, [
    'text',
    'image',
    'document',
    'tool_use',
    'tool_result',
    'thinking',
    'redacted_thinking',
  ]);
  const where = path.slice(2).replaceAll('/', '.');
  let parsed: ContentBlock;
  switch (type) {
    case 'text':
      keys(block, path, ['type', 'text', 'cache_control', 'citations'], ['type', 'text']);
      parsed = { kind: 'text', text: nonBlankText(block.text, `${path}/text`, 'messages'), raw: block };
      break;
    case 'image':
      keys(block, path, ['type', 'source', 'cache_control'], ['type', 'source']);
      parsed = parseImage(block, path, model, counters);
      break;
    case 'document':
      keys(block, path, ['type', 'source', 'title', 'context', 'citations', 'cache_control'], ['type', 'source']);
      parsed = parseDocument(block, path, model, counters);
      break;
    case 'tool_use': {
      keys(block, path, ['type', 'id', 'name', 'input', 'cache_control'], ['type', 'id', 'name', 'input']);
      const id = string(block.id, `${path}/id`, 1);
      if (!TOOL_ID_RE.test(id)) malformed(`${path}/id`, `string [${id}] does not match pattern ${TOOL_ID_RE.source}`);
      const name = string(block.name, `${path}/name`, 1, 64);
      const input = object(block.input, `${path}/input`);
      if (role !== 'assistant') {
        throw validationException(`${where}: \`tool_use\` blocks are only allowed in \`assistant\` messages`);
      }
      parsed = { kind: 'toolUse', toolUseId: id, name, input, raw: block };
      break;
    }
    case 'tool_result':
      keys(block, path, ['type', 'tool_use_id', 'content', 'is_error', 'cache_control'], ['type', 'tool_use_id']);
      if (role !== 'user') {
        throw validationException(`${where}: \`tool_result\` blocks are only allowed in \`user\` messages`);
      }
      parsed = parseToolResult(block, path, model, counters);
      break;
    case 'thinking':
      keys(block, path, ['type', 'thinking', 'signature'], ['type', 'thinking']);
      if (role !== 'assistant') {
        throw validationException(`${where}: \`thinking\` blocks are only allowed in \`assistant\` messages`);
      }
      parsed = {
        kind: 'reasoning',
        text: string(block.thinking, `${path}/thinking`),
        signature: block.signature === undefined ? undefined : string(block.signature, `${path}/signature`),
        redacted: undefined,
        raw: block,
      };
      break;
    case 'redacted_thinking':
      keys(block, path, ['type', 'data'], ['type', 'data']);
      if (role !== 'assistant') {
        throw validationException(`${where}: \`redacted_thinking\` blocks are only allowed in \`assistant\` messages`);
      }
      parsed = {
        kind: 'reasoning',
        text: undefined,
        signature: undefined,
        redacted: string(block.data, `${path}/data`, 1),
        raw: block,
      };
      break;
    default: {
      const never: never = type;
      throw malformed(path, `${String(never)} is not a valid enum value`);
    }
  }
  const ttl = cacheControl(block.cache_control, `${path}/cache_control`, counters);
  return ttl === undefined ? [parsed] : [parsed, { kind: 'cachePoint', ttl, raw: block.cache_control }];
}

function parseMessages(value: unknown, model: CatalogModel, counters: Counters): Message[] {
  const list = array(value, '#/messages', 0, Number.MAX_SAFE_INTEGER);
  if (list.length === 0) throw validationException('messages: at least one message is required');
  const messages = list.map((raw, i): Message => {
    const path = `#/messages/${i}`;
    const obj = object(raw, path);
    keys(obj, path, ['role', 'content'], ['role', 'content']);
    const role = oneOf(obj.role, `${path}/role`, ['user', 'assistant'] as const);
    let content: ContentBlock[];
    if (typeof obj.content === 'string') {
      // A string is shorthand for one text block.
      content = [{ kind: 'text', text: nonBlankText(obj.content, `${path}/content`, 'messages'), raw: obj.content }];
    } else {
      const blocks = array(obj.content, `${path}/content`, 0, Number.MAX_SAFE_INTEGER);
      // Anthropic lets only a final assistant message (a prefill) be empty.
      if (blocks.length === 0 && !(role === 'assistant' && i === list.length - 1)) {
        throw validationException(
          `messages.${i}: all messages must have non-empty content except for the optional final assistant message`,
        );
      }
      content = blocks.flatMap((b, j) => parseBlock(b, `${path}/content/${j}`, role, model, counters));
    }
    return { role, content };
  });
  if (messages[0]?.role !== 'user') throw validationException('messages: first message must use the "user" role');
  for (let i = 1; i < messages.length; i++) {
    const role = messages[i]?.role;
    if (role === messages[i - 1]?.role) {
      throw validationException(
        `messages: roles must alternate between "user" and "assistant", but found multiple "${role}" roles in a row`,
      );
    }
  }
  return messages;
}

function parseSystem(value: unknown, model: CatalogModel, counters: Counters): SystemBlock[] {
  if (!model.system) {
    throw validationException("This model doesn't support system messages. Try again without system messages.");
  }
  if (typeof value === 'string') {
    return value === '' ? [] : [{ kind: 'text', text: nonBlankText(value, '#/system', 'system'), raw: value }];
  }
  return array(value, '#/system', 0, Number.MAX_SAFE_INTEGER).flatMap((item, i): SystemBlock[] => {
    const path = `#/system/${i}`;
    const block = object(item, path);
    keys(block, path, ['type', 'text', 'cache_control', 'citations'], ['type', 'text']);
    oneOf(block.type, `${path}/type`, ['text']);
    const text: SystemBlock = { kind: 'text', text: nonBlankText(block.text, `${path}/text`, 'system'), raw: block };
    const ttl = cacheControl(block.cache_control, `${path}/cache_control`, counters);
    return ttl === undefined ? [text] : [text, { kind: 'cachePoint', ttl, raw: block.cache_control }];
  });
}

function parseTools(value: unknown, model: CatalogModel, counters: Counters): ToolEntry[] {
  if (!model.tools) throw validationException("This model doesn't support tool use.");
  const names = new Set<string>();
  return array(value, '#/tools', 0, Number.MAX_SAFE_INTEGER).flatMap((item, i): ToolEntry[] => {
    const path = `#/tools/${i}`;
    const tool = object(item, path);
    const name = string(tool.name, `${path}/name`);
    let entry: ToolEntry;
    if (tool.type !== undefined && tool.type !== 'custom') {
      // Anthropic-defined tools (bash, text editor, ...) carry a versioned `type` and no schema.
      string(tool.type, `${path}/type`, 1);
      entry = { kind: 'systemTool', name, raw: tool };
    } else {
      keys(tool, path, ['type', 'name', 'description', 'input_schema', 'cache_control'], ['name', 'input_schema']);
      if (!TOOL_NAME_RE.test(name)) {
        throw validationException(`tools.${i}.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`);
      }
      const description = tool.description === undefined ? undefined : string(tool.description, `${path}/description`);
      const schema = object(tool.input_schema, `${path}/input_schema`);
      if (schema.type !== 'object') {
        throw validationException(`tools.${i}.custom.input_schema.type: Input should be 'object'`);
      }
      entry = { kind: 'toolSpec', name, description, schema, raw: tool };
    }
    if (names.has(name)) throw validationException('tools: Tool names must be unique.');
    names.add(name);
    const ttl = cacheControl(tool.cache_control, `${path}/cache_control`, counters);
    return ttl === undefined ? [entry] : [entry, { kind: 'cachePoint', ttl, raw: tool.cache_control }];
  });
}

function parseToolChoice(value: unknown, tools: readonly ToolEntry[]): ToolChoice {
  const obj = object(value, '#/tool_choice');
  const type = oneOf(obj.type, '#/tool_choice/type', ['auto', 'any', 'tool', 'none']);
  if (type === 'tool') {
    keys(obj, '#/tool_choice', ['type', 'name', 'disable_parallel_tool_use'], ['type', 'name']);
    const name = string(obj.name, '#/tool_choice/name', 1);
    if (!tools.some((t) => t.kind !== 'cachePoint' && t.name === name)) {
      throw validationException(`tool_choice.tool.name: Tool '${name}' not found in \`tools\``);
    }
    return { kind: 'tool', name };
  }
  keys(obj, '#/tool_choice', ['type', 'disable_parallel_tool_use']);
  if (type !== 'none' && tools.length === 0) {
    throw validationException('tool_choice may only be specified while providing tools.');
  }
  return { kind: type };
}

/** Anthropic: each `tool_result` answers a `tool_use` of the assistant message right before it. */
function checkToolResultIds(messages: readonly Message[]): void {
  messages.forEach((message, i) => {
    const prev = messages[i - 1];
    const uses = new Set(prev?.content.flatMap((b) => (b.kind === 'toolUse' ? [b.toolUseId] : [])) ?? []);
    message.content.forEach((block, j) => {
      if (block.kind === 'toolResult' && !uses.has(block.toolUseId)) {
        throw validationException(
          `messages.${i}.content.${j}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${block.toolUseId}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
        );
      }
    });
  });
}

/**
 * Validates an Anthropic Messages body for `model` and returns it as the emulator's Converse request
 * (cache_control marks become cachePoint entries right after the block that carries them).
 */
export function anthropicBodyToConverse(body: unknown, model: CatalogModel, signatureSecret: string): ConverseRequest {
  const root = object(body, '#');
  keys(root, '#', TOP_LEVEL_KEYS, ['anthropic_version', 'max_tokens', 'messages']);
  oneOf(root.anthropic_version, '#/anthropic_version', [ANTHROPIC_VERSION]);
  const maxTokens = integer(root.max_tokens, '#/max_tokens', 1, Number.MAX_SAFE_INTEGER);
  if (maxTokens > model.maxOutputTokens) {
    throw validationException(
      `The maximum tokens you requested exceeds the model limit of ${model.maxOutputTokens}. Try again with a maximum tokens value that is lower than ${model.maxOutputTokens}.`,
    );
  }
  if (root.anthropic_beta !== undefined) {
    array(root.anthropic_beta, '#/anthropic_beta', 0, 64).forEach((b, i) => {
      string(b, `#/anthropic_beta/${i}`, 1);
    });
  }
  const counters: Counters = { images: 0, documents: 0, cachePoints: 0 };
  const messages = parseMessages(root.messages, model, counters);
  const system = root.system === undefined ? [] : parseSystem(root.system, model, counters);
  const temperature = root.temperature === undefined ? undefined : number(root.temperature, '#/temperature', 0, 1);
  const topP = root.top_p === undefined ? undefined : number(root.top_p, '#/top_p', 0, 1);
  if (root.top_k !== undefined) integer(root.top_k, '#/top_k', 0, Number.MAX_SAFE_INTEGER);
  if (model.exclusiveTemperatureTopP && temperature !== undefined && topP !== undefined) {
    throw validationException(
      '`temperature` and `top_p` cannot both be specified for this model. Please use only one.',
    );
  }
  const stopSequences =
    root.stop_sequences === undefined
      ? []
      : array(root.stop_sequences, '#/stop_sequences', 0, 8191).map((s, i) => string(s, `#/stop_sequences/${i}`, 1));
  const tools = root.tools === undefined ? [] : parseTools(root.tools, model, counters);
  const toolChoice = root.tool_choice === undefined ? undefined : parseToolChoice(root.tool_choice, tools);
  const hasToolBlocks = messages.some((m) => m.content.some((b) => b.kind === 'toolUse' || b.kind === 'toolResult'));
  if (hasToolBlocks && root.tools === undefined) {
    throw validationException('Requests which include `tool_use` or `tool_result` blocks must define tools.');
  }
  checkToolResultIds(messages);
  checkToolResultsFirst(messages);

  if (counters.cachePoints > MAX_CACHE_POINTS) {
    throw validationException(
      `A maximum of ${MAX_CACHE_POINTS} blocks with cache_control may be provided. Found ${counters.cachePoints}.`,
    );
  }
  // The native body's own keys (`thinking`, `top_k`, `anthropic_beta`) are what Converse merges in from
  // additionalModelRequestFields, so the same rules apply to both.
  const thinkingBudget = parseThinking(root, model, { maxTokens, temperature, topP }, toolChoice);
  checkReasoningBlocks(messages, model, signatureSecret);
  if (thinkingBudget !== undefined) checkThinkingFinalTurn(messages);

  let outputSchema: JsonObject | undefined;
  if (root.output_config !== undefined) {
    if (!model.structuredOutput) throw validationException('output_config: Extra inputs are not permitted');
    const config = object(root.output_config, '#/output_config');
    keys(config, '#/output_config', ['format'], ['format']);
    const format = object(config.format, '#/output_config/format');
    keys(format, '#/output_config/format', ['type', 'schema'], ['type', 'schema']);
    oneOf(format.type, '#/output_config/format/type', ['json_schema']);
    outputSchema = object(format.schema, '#/output_config/format/schema');
  }
  return {
    messages,
    system,
    maxTokens,
    maxTokensSet: true,
    temperature,
    topP,
    stopSequences,
    tools,
    toolChoice,
    thinkingBudget,
    additionalModelResponseFieldPaths: [],
    outputSchema,
    performanceConfig: undefined,
    serviceTier: undefined,
  };
}

/** Anthropic's model name as the Messages API reports it (`claude-sonnet-4-5-20250929`). */
export function anthropicModelName(foundationId: string): string {
  return foundationId.replace(/^anthropic\./, '').replace(/-v\d+(:\d+)?$/, '');
}

/** An id in Bedrock's form for Claude messages (`msg_bdrk_01…`) or tool uses (`toolu_bdrk_01…`). */
function bedrockId(prefix: 'msg' | 'toolu'): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(24);
  let tail = '';
  for (const b of bytes) tail += alphabet[b % alphabet.length];
  return `${prefix}_bdrk_01${tail}`;
}

/**
 * Anthropic's stop reason for the emulator's Converse one: Converse renames Anthropic's reasons, so this
 * is the inverse; the Bedrock-only reasons have no native counterpart and end the turn normally.
 */
function anthropicStopReason(reason: StopReason): string {
  switch (reason) {
    case 'end_turn':
    case 'tool_use':
    case 'max_tokens':
    case 'stop_sequence':
    case 'model_context_window_exceeded':
      return reason;
    case 'content_filtered':
      return 'refusal';
    case 'guardrail_intervened':
    case 'malformed_model_output':
    case 'malformed_tool_use':
      return 'end_turn';
  }
}

/** A native content block of the reply. */
type AnthropicBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string };

function toAnthropicBlock(block: OutputBlock): AnthropicBlock {
  if ('text' in block) return { type: 'text', text: block.text };
  if ('toolUse' in block) {
    return { type: 'tool_use', id: bedrockId('toolu'), name: block.toolUse.name, input: block.toolUse.input };
  }
  if ('redactedContent' in block.reasoningContent) {
    return { type: 'redacted_thinking', data: block.reasoningContent.redactedContent };
  }
  const { text, signature } = block.reasoningContent.reasoningText;
  return { type: 'thinking', thinking: text, signature: signature ?? '' };
}

function usageOf(output: ConverseOutput): Record<string, number> {
  return {
    input_tokens: output.usage.inputTokens,
    cache_creation_input_tokens: output.usage.cacheWriteInputTokens ?? 0,
    cache_read_input_tokens: output.usage.cacheReadInputTokens ?? 0,
    output_tokens: output.usage.outputTokens,
  };
}

/** Splits text into deltas of two words, as the Converse stream does. */
function splitText(text: string): string[] {
  const words = text.match(/\s*\S+\s*/g) ?? [text];
  const chunks: string[] = [];
  for (let i = 0; i < words.length; i += 2) chunks.push(words.slice(i, i + 2).join(''));
  return chunks.length > 0 ? chunks : [text];
}

/** The stream events of a reply (Anthropic's Messages streaming order), one `chunk` each. */
function streamEvents(
  message: { id: string; model: string; stop_reason: string; stop_sequence: string | null },
  blocks: readonly AnthropicBlock[],
  usage: Record<string, number>,
): JsonObject[] {
  const events: JsonObject[] = [
    {
      type: 'message_start',
      message: {
        id: message.id,
        type: 'message',
        role: 'assistant',
        model: message.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 1 },
      },
    },
  ];
  blocks.forEach((block, index) => {
    const delta = (d: JsonObject): JsonObject => ({ type: 'content_block_delta', index, delta: d });
    switch (block.type) {
      case 'text':
        events.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
        for (const chunk of splitText(block.text)) events.push(delta({ type: 'text_delta', text: chunk }));
        break;
      case 'thinking':
        events.push({ type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '' } });
        for (const chunk of splitText(block.thinking)) events.push(delta({ type: 'thinking_delta', thinking: chunk }));
        events.push(delta({ type: 'signature_delta', signature: block.signature }));
        break;
      case 'redacted_thinking':
        events.push({ type: 'content_block_start', index, content_block: block });
        break;
      case 'tool_use': {
        events.push({
          type: 'content_block_start',
          index,
          content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
        });
        const json = JSON.stringify(block.input);
        const third = Math.ceil(json.length / 3);
        for (let at = 0; at < json.length; at += third) {
          events.push(delta({ type: 'input_json_delta', partial_json: json.slice(at, at + third) }));
        }
        break;
      }
    }
    events.push({ type: 'content_block_stop', index });
  });
  events.push({
    type: 'message_delta',
    delta: { stop_reason: message.stop_reason, stop_sequence: message.stop_sequence },
    usage: { output_tokens: usage.output_tokens ?? 0 },
  });
  events.push({ type: 'message_stop' });
  return events;
}

/** The InvokeModel handler of the `anthropic` family. */
export const anthropicMessagesHandler: InvokeHandler = (body, ctx: InvokeContext): InvokeResult => {
  const request = anthropicBodyToConverse(body, ctx.model, ctx.state.signatureSecret);
  const output = generateConverseOutput(ctx.state, ctx.model, request, ctx.where);
  const blocks = output.content.map(toAnthropicBlock);
  const usage = usageOf(output);
  const message = {
    id: bedrockId('msg'),
    model: anthropicModelName(ctx.model.id),
    stop_reason: anthropicStopReason(output.stopReason),
    stop_sequence: output.stopSequence,
  };
  return {
    body: {
      id: message.id,
      type: 'message',
      role: 'assistant',
      model: message.model,
      content: blocks,
      stop_reason: message.stop_reason,
      stop_sequence: message.stop_sequence,
      usage,
    },
    inputTokens:
      output.usage.inputTokens + (output.usage.cacheReadInputTokens ?? 0) + (output.usage.cacheWriteInputTokens ?? 0),
    outputTokens: output.usage.outputTokens,
    streamChunks: streamEvents(message, blocks, usage),
  };
};
