/**
 * OpenAI messages → Bedrock `system` and `messages`.
 *
 * - system and developer messages are hoisted into `system`, in order (string or text parts).
 * - tool messages become `toolResult` blocks in a user turn; then every run of same-role turns is
 *   merged, because Converse requires strict user/assistant alternation.
 * - blank text is dropped (Bedrock rejects blank text blocks) and turns left empty disappear.
 * - assistant `thinking_blocks` become `reasoningContent` blocks first in their turn, unchanged.
 * - with `tool_choice: "none"` earlier tool calls and results are rendered as text, so the request
 *   needs no `toolConfig` and the model is offered no tool at all (Bedrock has no `none` choice).
 */
import { invalidValue, unsupportedValue } from '../../errors/index.js';
import { JSON_DEFAULTS, jsonNestingExceeds } from '../../json/index.js';
import type { ModelCapabilities } from '../../models/index.js';
import type {
  CachePointBlock,
  ContentBlock,
  ConversationRole,
  DocumentBlock,
  JsonObject,
  Message,
  SystemContentBlock,
  ToolResultContentBlock,
} from '../../wire/bedrock/index.js';
import type {
  AssistantMessage,
  ChatCompletionRequest,
  TextContentPart,
  ToolMessage,
  UserMessage,
} from '../../wire/openai/index.js';
import type { CachePoints } from './cache-points.js';
import {
  MAX_DOCUMENTS_PER_MESSAGE,
  MAX_IMAGES_PER_MESSAGE,
  type ResolvedMedia,
  toFileBlock,
  toImageBlock,
} from './media.js';
import { toToolUse, toToolUseId } from './tools.js';

/** Text added to a user turn that carries documents but no text: Bedrock requires one. */
export const DOCUMENT_TEXT_SIBLING = 'See the attached document.';
/** Content of an error tool result the caller sent empty: Bedrock refuses empty error results. */
export const EMPTY_ERROR_RESULT = 'The tool call failed.';

export interface ConversationInput {
  request: ChatCompletionRequest;
  caps: ModelCapabilities;
  modelName: string;
  cache: CachePoints;
  warnings: string[];
  resolvedMedia: ResolvedMedia | undefined;
}

export interface Conversation {
  system: SystemContentBlock[];
  messages: Message[];
  /** Tool names used by `toolUse` blocks kept in the history, in order of first use. */
  historyToolNames: string[];
}

function isBlank(text: string): boolean {
  return text.trim().length === 0;
}

function looksLikeJsonObject(text: string): JsonObject | undefined {
  const t = text.trim();
  if (!t.startsWith('{') || !t.endsWith('}')) return undefined;
  // Deeper JSON than callers may send stays text: Bedrock gets it verbatim and nothing recurses into it.
  if (jsonNestingExceeds(t, JSON_DEFAULTS.maxNestingDepth)) return undefined;
  try {
    const v: unknown = JSON.parse(t);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonObject) : undefined;
  } catch {
    return undefined;
  }
}

class ConversationBuilder {
  readonly system: SystemContentBlock[] = [];
  readonly messages: Message[] = [];
  /** Index of the first OpenAI message behind each Bedrock turn (for error params). */
  private readonly origins: number[] = [];
  readonly historyToolNames: string[] = [];
  private readonly toolNamesById = new Map<string, string>();
  private readonly documentNames = new Set<string>();
  private readonly flattenTools: boolean;
  private warnedReasoning = false;

  constructor(private readonly input: ConversationInput) {
    this.flattenTools = input.request.tool_choice === 'none';
  }

  build(): Conversation {
    const messages = this.input.request.messages;
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i]!;
      const param = `messages[${i}]`;
      switch (message.role) {
        case 'system':
        case 'developer':
          this.addSystem(message.content, message.cache_control, param);
          break;
        case 'user':
          this.push('user', this.userBlocks(message, param), i);
          break;
        case 'assistant':
          this.push('assistant', this.assistantBlocks(message, param), i);
          break;
        case 'tool':
          this.push('user', this.toolBlocks(message, param), i);
          break;
        default: {
          const never: never = message;
          return never;
        }
      }
    }
    this.finishTurns();
    return { system: this.system, messages: this.messages, historyToolNames: this.historyToolNames };
  }

  /**
   * Appends the cache point for `marker` after the last block. A marker with nothing before it
   * (a dropped blank part) or right after another cache point adds nothing and is not counted.
   */
  private attachCachePoint(blocks: ContentBlock[], marker: TextContentPart['cache_control'], param: string): void {
    if (!marker) return;
    const last = blocks[blocks.length - 1];
    if (!last || 'cachePoint' in last) return;
    const point: CachePointBlock | undefined = this.input.cache.take(marker, `${param}.cache_control`, 'message');
    if (point) blocks.push({ cachePoint: point });
  }

  private addSystem(
    content: string | TextContentPart[],
    marker: TextContentPart['cache_control'],
    param: string,
  ): void {
    const before = this.system.length;
    if (typeof content === 'string') {
      if (!isBlank(content)) this.system.push({ text: content });
    } else {
      content.forEach((part, j) => {
        if (isBlank(part.text)) return;
        this.system.push({ text: part.text });
        const point = this.input.cache.take(part.cache_control, `${param}.content[${j}].cache_control`, 'system');
        if (point) this.system.push({ cachePoint: point });
      });
    }
    const last = this.system[this.system.length - 1];
    if (this.system.length > before && last && !('cachePoint' in last)) {
      const point = this.input.cache.take(marker, `${param}.cache_control`, 'system');
      if (point) this.system.push({ cachePoint: point });
    }
  }

  private userBlocks(message: UserMessage, param: string): ContentBlock[] {
    const blocks: ContentBlock[] = [];
    const { caps, modelName, resolvedMedia } = this.input;
    if (typeof message.content === 'string') {
      if (!isBlank(message.content)) blocks.push({ text: message.content });
    } else {
      message.content.forEach((part, j) => {
        const partParam = `${param}.content[${j}]`;
        switch (part.type) {
          case 'text':
            if (!isBlank(part.text)) blocks.push({ text: part.text });
            break;
          case 'image_url':
            if (!caps.images) throw unsupportedValue(partParam, `model '${modelName}' does not accept image input.`);
            blocks.push({ image: toImageBlock(part.image_url.url, resolvedMedia, `${partParam}.image_url.url`) });
            break;
          case 'file': {
            const block = toFileBlock(part.file, partParam);
            if ('image' in block) {
              if (!caps.images) throw unsupportedValue(partParam, `model '${modelName}' does not accept image input.`);
              blocks.push(block);
            } else {
              if (!caps.documents) {
                throw unsupportedValue(partParam, `model '${modelName}' does not accept document input.`);
              }
              blocks.push({ document: this.uniqueDocument(block.document) });
            }
            break;
          }
          case 'input_audio':
            throw unsupportedValue(partParam, 'audio input is not supported by Bedrock chat models.');
          default: {
            const never: never = part;
            throw unsupportedValue(partParam, `unknown content part ${JSON.stringify(never)}.`);
          }
        }
        this.attachCachePoint(blocks, part.cache_control, partParam);
      });
    }
    this.attachCachePoint(blocks, message.cache_control, param);
    return blocks;
  }

  /** Document names must be unique within a request; a repeat gets ` (2)`, ` (3)`, … deterministically. */
  private uniqueDocument(doc: DocumentBlock): DocumentBlock {
    let name = doc.name;
    for (let n = 2; this.documentNames.has(name); n++) name = `${doc.name.slice(0, 190)} (${n})`;
    this.documentNames.add(name);
    return name === doc.name ? doc : { ...doc, name };
  }

  private assistantBlocks(message: AssistantMessage, param: string): ContentBlock[] {
    const blocks: ContentBlock[] = [];
    const { caps, modelName, warnings } = this.input;
    if (message.thinking_blocks && message.thinking_blocks.length > 0) {
      if (caps.reasoningReplay) {
        for (const block of message.thinking_blocks) {
          if (block.type === 'thinking') {
            const reasoningText: { text: string; signature?: string } = { text: block.thinking };
            if (block.signature !== undefined) reasoningText.signature = block.signature;
            blocks.push({ reasoningContent: { reasoningText } });
          } else {
            blocks.push({ reasoningContent: { redactedContent: block.data } });
          }
        }
      } else if (!this.warnedReasoning) {
        this.warnedReasoning = true;
        warnings.push(`thinking_blocks of earlier turns were not sent: model '${modelName}' does not take them back.`);
      }
    }
    const content = message.content;
    if (typeof content === 'string') {
      if (!isBlank(content)) blocks.push({ text: content });
    } else if (content) {
      content.forEach((part, j) => {
        const text = part.type === 'text' ? part.text : part.refusal;
        if (!isBlank(text)) blocks.push({ text });
        if (part.type === 'text') this.attachCachePoint(blocks, part.cache_control, `${param}.content[${j}]`);
      });
    } else if (message.refusal && !isBlank(message.refusal)) {
      blocks.push({ text: message.refusal });
    }
    message.tool_calls?.forEach((call, j) => {
      const use = toToolUse(call, `${param}.tool_calls[${j}]`);
      this.toolNamesById.set(use.toolUseId, use.name);
      if (this.flattenTools) {
        blocks.push({
          text: `[Called tool ${use.name} (call id ${use.toolUseId}) with input ${JSON.stringify(use.input)}]`,
        });
      } else {
        if (!this.historyToolNames.includes(use.name)) this.historyToolNames.push(use.name);
        blocks.push({ toolUse: use });
      }
    });
    this.attachCachePoint(blocks, message.cache_control, param);
    return blocks;
  }

  private toolBlocks(message: ToolMessage, param: string): ContentBlock[] {
    const { caps, modelName, resolvedMedia } = this.input;
    const content: ToolResultContentBlock[] = [];
    const markers: Array<[TextContentPart['cache_control'], string]> = [];
    const addText = (text: string) => {
      if (isBlank(text)) return;
      const json = caps.toolResultJson && !this.flattenTools ? looksLikeJsonObject(text) : undefined;
      content.push(json ? { json } : { text });
    };
    if (typeof message.content === 'string') {
      addText(message.content);
    } else {
      message.content.forEach((part, j) => {
        const partParam = `${param}.content[${j}]`;
        if (part.type === 'text') addText(part.text);
        else {
          if (!caps.images) throw unsupportedValue(partParam, `model '${modelName}' does not accept image input.`);
          content.push({ image: toImageBlock(part.image_url.url, resolvedMedia, `${partParam}.image_url.url`) });
        }
        if (part.cache_control) markers.push([part.cache_control, partParam]);
      });
    }
    if (message.cache_control) markers.push([message.cache_control, param]);
    const id = toToolUseId(message.tool_call_id);
    const blocks: ContentBlock[] = [];
    if (this.flattenTools) {
      const name = this.toolNamesById.get(id);
      const label = name ? `${name} (call id ${id})` : `call id ${id}`;
      const texts = content.flatMap((c) => ('text' in c ? [c.text] : []));
      const status = message.is_error ? 'error' : 'result';
      blocks.push({ text: `[Tool ${label} ${status}: ${texts.join('\n') || '(empty)'}]` });
      for (const c of content) if ('image' in c) blocks.push(c);
    } else {
      if (message.is_error && content.length === 0) content.push({ text: EMPTY_ERROR_RESULT });
      blocks.push({
        toolResult: message.is_error ? { toolUseId: id, content, status: 'error' } : { toolUseId: id, content },
      });
    }
    // Cache points cannot sit inside a toolResult; they follow it.
    for (const [marker, markerParam] of markers) this.attachCachePoint(blocks, marker, markerParam);
    return blocks;
  }

  private push(role: ConversationRole, blocks: ContentBlock[], origin: number): void {
    if (blocks.length === 0) return;
    const last = this.messages[this.messages.length - 1];
    if (last && last.role === role) {
      last.content.push(...blocks);
      return;
    }
    this.messages.push({ role, content: blocks });
    this.origins.push(origin);
  }

  /** Limits and the text sibling documents need, checked on the merged turns Bedrock will see. */
  private finishTurns(): void {
    this.messages.forEach((message, t) => {
      if (message.role !== 'user') return;
      message.content = toolResultsFirst(message.content);
      const param = `messages[${this.origins[t]}]`;
      let images = 0;
      let documents = 0;
      let hasText = false;
      for (const block of message.content) {
        if ('image' in block) images++;
        else if ('document' in block) documents++;
        else if ('text' in block) hasText = true;
        else if ('toolResult' in block) {
          for (const c of block.toolResult.content) if ('image' in c) images++;
        }
      }
      if (images > MAX_IMAGES_PER_MESSAGE) {
        throw invalidValue(
          `Too many images in one turn (from '${param}'): ${images}; Bedrock accepts at most ${MAX_IMAGES_PER_MESSAGE} per message.`,
          param,
        );
      }
      if (documents > MAX_DOCUMENTS_PER_MESSAGE) {
        throw invalidValue(
          `Too many documents in one turn (from '${param}'): ${documents}; Bedrock accepts at most ${MAX_DOCUMENTS_PER_MESSAGE} per message.`,
          param,
        );
      }
      // Bedrock rejects a message whose documents come without any text (LiteLLM #20426).
      if (documents > 0 && !hasText) message.content.push({ text: DOCUMENT_TEXT_SIBLING });
    });
  }
}

/**
 * Anthropic requires the tool results of a user turn to come before any other content. A user
 * message sent between an assistant's tool calls and the tool messages would merge ahead of the
 * results, so results (each with the cache points that follow it) move to the front, keeping order.
 */
function toolResultsFirst(content: ContentBlock[]): ContentBlock[] {
  const firstResult = content.findIndex((b) => 'toolResult' in b);
  if (firstResult <= 0 || content.slice(0, firstResult).every((b) => 'cachePoint' in b)) return content;
  const results: ContentBlock[] = [];
  const rest: ContentBlock[] = [];
  let target = rest;
  for (const block of content) {
    if ('toolResult' in block) target = results;
    else if (!('cachePoint' in block)) target = rest;
    target.push(block);
  }
  return [...results, ...rest];
}

/** Assembles Bedrock `system` and `messages` from the OpenAI messages. */
export function toConversation(input: ConversationInput): Conversation {
  return new ConversationBuilder(input).build();
}
