/**
 * The emulator's deterministic model: the reply is a fixed function of the request, so tests can predict
 * every byte except ids, signatures and latency (docs/emulator.md, "Deterministic replies").
 */

import { randomBytes } from 'node:crypto';
import type { CatalogModel } from '../catalog.js';
import { validationException } from '../errors.js';
import type { EmulatorState } from '../state.js';
import { countJsonTokens, countTokens, IMAGE_TOKENS, truncateToTokens } from '../tokens.js';
import { applyPromptCache, type CacheScope, type CacheUsage, type PromptUnit } from './cache.js';
import { makeRedactedContent, signReasoning } from './reasoning.js';
import { sampleFromSchema } from './schema-sample.js';
import type { ContentBlock, ConverseRequest, JsonObject } from './types.js';

/** Converse `stopReason` values (bedrock-wire.md §3). */
export const STOP_REASONS = [
  'end_turn',
  'tool_use',
  'max_tokens',
  'stop_sequence',
  'guardrail_intervened',
  'content_filtered',
  'malformed_model_output',
  'malformed_tool_use',
  'model_context_window_exceeded',
] as const;
export type StopReason = (typeof STOP_REASONS)[number];

/** An output content block. */
export type OutputBlock =
  | { text: string }
  | { toolUse: { toolUseId: string; name: string; input: unknown } }
  | { reasoningContent: { reasoningText: { text: string; signature?: string } } }
  | { reasoningContent: { redactedContent: string } };

/** Converse token usage. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

/** What the model "produced" for a request. */
export interface ConverseOutput {
  content: OutputBlock[];
  stopReason: StopReason;
  usage: Usage;
  additionalModelResponseFields: JsonObject | undefined;
  /** Echo of the request's `performanceConfig` / `serviceTier`: the settings the reply was served with. */
  performanceConfig: { latency?: string } | undefined;
  serviceTier: { type: string } | undefined;
  /** The stop sequence that ended the reply (`stopReason` `stop_sequence`), else null. */
  stopSequence: string | null;
}

/** The text a blocked guardrail returns by default. */
export const GUARDRAIL_MESSAGE = 'Sorry, the model cannot answer this question.';

const DIRECTIVE_RE = /\[\[(\w+)(?::([^\]]*))?\]\]/g;

/** Directives found in the last user text, and that text without them. */
export interface Directives {
  readonly stop: StopReason | undefined;
  readonly tools: number | undefined;
  readonly reply: string | undefined;
  readonly redacted: boolean;
  readonly text: string;
}

/** Parses `[[stop:...]]`, `[[tools:N]]`, `[[reply:...]]`, `[[redacted]]` out of a user text. */
export function parseDirectives(text: string): Directives {
  let stop: StopReason | undefined;
  let tools: number | undefined;
  let reply: string | undefined;
  let redacted = false;
  for (const m of text.matchAll(DIRECTIVE_RE)) {
    const [, name, value] = m;
    if (name === 'stop' && (STOP_REASONS as readonly string[]).includes(value ?? '')) stop = value as StopReason;
    else if (name === 'tools' && /^\d+$/.test(value ?? '')) tools = Number(value);
    else if (name === 'reply') reply = value ?? '';
    else if (name === 'redacted') redacted = true;
  }
  return { stop, tools, reply, redacted, text: text.replace(DIRECTIVE_RE, '').replace(/\s+/g, ' ').trim() };
}

/** A Bedrock-looking tool use id: `tooluse_` + 22 characters. */
export function newToolUseId(): string {
  return `tooluse_${randomBytes(17).toString('base64url').slice(0, 22)}`;
}

function blockTokens(block: ContentBlock): number {
  switch (block.kind) {
    case 'text':
      return countTokens(block.text);
    case 'image':
      return IMAGE_TOKENS;
    case 'document':
      return block.text !== undefined ? countTokens(block.text) : Math.ceil(block.size / 4);
    case 'toolUse':
      return countTokens(block.name) + countJsonTokens(block.input);
    case 'toolResult':
      return block.content.reduce(
        (sum, c) => sum + (c.kind === 'text' ? countTokens(c.text) : c.kind === 'json' ? countJsonTokens(c.json) : 0),
        0,
      );
    case 'reasoning':
      return countTokens(block.text ?? '');
    case 'guardContent':
      return countTokens(block.text);
    case 'cachePoint':
      return 0;
    case 'other':
      return countJsonTokens(block.raw);
  }
}

/** The prompt as cache units, in Bedrock's cache order: tools, system, messages. */
export function promptUnits(request: ConverseRequest): PromptUnit[] {
  const units: PromptUnit[] = [];
  for (const tool of request.tools) {
    const key = JSON.stringify(tool.raw);
    if (tool.kind === 'cachePoint') units.push({ key, tokens: 0, ttl: tool.ttl });
    else units.push({ key, tokens: tool.kind === 'toolSpec' ? countJsonTokens(tool.raw) : countTokens(tool.name) });
  }
  for (const block of request.system) {
    const key = JSON.stringify(block.raw);
    if (block.kind === 'cachePoint') units.push({ key, tokens: 0, ttl: block.ttl });
    else units.push({ key, tokens: countTokens(block.text) });
  }
  for (const message of request.messages) {
    units.push({ key: message.role, tokens: 0 });
    for (const block of message.content) {
      const key = JSON.stringify(block.raw);
      if (block.kind === 'cachePoint') units.push({ key, tokens: 0, ttl: block.ttl });
      else units.push({ key, tokens: blockTokens(block) });
    }
  }
  return units;
}

function pickPointer(doc: JsonObject, pointer: string): { key: string; value: unknown } | undefined {
  const parts = pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let node: unknown = doc;
  for (const part of parts) {
    if (typeof node !== 'object' || node === null || !(part in node)) return undefined;
    node = (node as JsonObject)[part];
  }
  return { key: parts[parts.length - 1] ?? '', value: node };
}

function renderToolResults(blocks: readonly ContentBlock[]): string {
  const parts = blocks.flatMap((b) => {
    if (b.kind !== 'toolResult') return [];
    const body = b.content
      .map((c) => (c.kind === 'text' ? c.text : c.kind === 'json' ? JSON.stringify(c.json) : `[${c.member}]`))
      .join(' ');
    return [`${b.toolUseId}${b.status === 'error' ? ' (error)' : ''}: ${body}`];
  });
  return `Tool results: ${parts.join('; ')}`;
}

function mentioned(text: string, name: string): boolean {
  return new RegExp(`(^|[^A-Za-z0-9_-])${name.replace(/[-]/g, '\\-')}($|[^A-Za-z0-9_-])`).test(text);
}

/**
 * Produces the model's output for a validated request. `where` is the account and region the request was
 * made in: the prompt cache it reads and writes is theirs.
 */
export function generateConverseOutput(
  state: EmulatorState,
  model: CatalogModel,
  request: ConverseRequest,
  where: Omit<CacheScope, 'modelId'>,
): ConverseOutput {
  const units = promptUnits(request);
  const totalInput = units.reduce((sum, u) => sum + u.tokens, 0);
  if (totalInput > model.contextWindow) throw validationException('Input is too long for requested model.');
  const cache: CacheUsage = applyPromptCache(
    state,
    { accountId: where.accountId, region: where.region, modelId: model.id },
    units,
    model.cacheMinTokens,
  );

  const last = request.messages[request.messages.length - 1];
  const lastUserText =
    last?.role === 'user' ? last.content.flatMap((b) => (b.kind === 'text' ? [b.text] : [])).join('\n') : '';
  const directives = parseDirectives(lastUserText);
  const lastHasResults = last?.content.some((b) => b.kind === 'toolResult') ?? false;
  const content: OutputBlock[] = [];
  let outputTokens = 0;
  let stopReason: StopReason = 'end_turn';
  let matchedStop: string | null = null;

  // Reasoning first (bedrock-wire.md §2.3: reasoningContent precedes text and toolUse).
  const reasons = request.thinkingBudget !== undefined || model.reasoning === 'always';
  if (reasons && directives.stop === undefined) {
    if (directives.redacted && model.family === 'anthropic') {
      content.push({ reasoningContent: { redactedContent: makeRedactedContent(state.signatureSecret) } });
    } else {
      let text = `Reasoning about: ${directives.text || 'the request'}`;
      if (request.thinkingBudget !== undefined) text = truncateToTokens(text, request.thinkingBudget);
      const reasoningText: { text: string; signature?: string } = { text };
      if (model.family === 'anthropic') reasoningText.signature = signReasoning(text, state.signatureSecret);
      content.push({ reasoningContent: { reasoningText } });
      outputTokens += countTokens(text);
    }
  }

  const toolSpecs = request.tools.flatMap((t) => (t.kind === 'toolSpec' ? [t] : []));
  let calls: typeof toolSpecs = [];
  const choice = request.toolChoice ?? { kind: 'auto' };
  if (!lastHasResults && directives.stop === undefined && toolSpecs.length > 0 && choice.kind !== 'none') {
    const named = toolSpecs.filter((t) => mentioned(directives.text, t.name));
    if (choice.kind === 'tool') calls = toolSpecs.filter((t) => t.name === choice.name);
    else if (directives.tools !== undefined) calls = toolSpecs.slice(0, directives.tools);
    else if (named.length > 0) calls = named;
    // `any` must call at least one tool (bedrock-wire.md §2.2).
    if (choice.kind === 'any' && calls.length === 0) calls = toolSpecs.slice(0, 1);
  }

  if (directives.stop !== undefined) {
    stopReason = directives.stop;
    if (stopReason === 'guardrail_intervened') content.push({ text: GUARDRAIL_MESSAGE });
    else if (
      stopReason !== 'content_filtered' &&
      stopReason !== 'malformed_model_output' &&
      stopReason !== 'malformed_tool_use'
    ) {
      content.push({ text: `Echo: ${directives.text}` });
    }
    for (const block of content) if ('text' in block) outputTokens += countTokens(block.text);
  } else if (calls.length > 0) {
    if ((request.toolChoice?.kind ?? 'auto') === 'auto') {
      const text = `Calling ${calls.map((c) => c.name).join(', ')}.`;
      content.push({ text });
      outputTokens += countTokens(text);
    }
    for (const tool of calls) {
      const input = sampleFromSchema(tool.schema);
      content.push({ toolUse: { toolUseId: newToolUseId(), name: tool.name, input } });
      outputTokens += countJsonTokens(input);
    }
    stopReason = 'tool_use';
  } else {
    let text: string;
    if (directives.reply !== undefined) text = directives.reply;
    else if (request.outputSchema !== undefined) text = JSON.stringify(sampleFromSchema(request.outputSchema));
    else if (lastHasResults && last) text = renderToolResults(last.content);
    else text = `Echo: ${directives.text || '(no text)'}`;
    let cut = -1;
    for (const seq of request.stopSequences) {
      const at = text.indexOf(seq);
      if (at >= 0 && (cut < 0 || at < cut)) {
        cut = at;
        matchedStop = seq;
      }
    }
    if (cut >= 0) {
      text = text.slice(0, cut);
      stopReason = 'stop_sequence';
    }
    const budget = request.maxTokens - outputTokens;
    if (countTokens(text) > budget) {
      text = truncateToTokens(text, budget);
      stopReason = 'max_tokens';
      matchedStop = null;
    }
    if (text.length > 0) content.push({ text });
    outputTokens += countTokens(text);
  }

  const usage: Usage = {
    inputTokens: cache.inputTokens,
    outputTokens,
    totalTokens: cache.inputTokens + cache.cacheReadInputTokens + cache.cacheWriteInputTokens + outputTokens,
  };
  if (cache.used) {
    usage.cacheReadInputTokens = cache.cacheReadInputTokens;
    usage.cacheWriteInputTokens = cache.cacheWriteInputTokens;
  }

  let additionalModelResponseFields: JsonObject | undefined;
  if (request.additionalModelResponseFieldPaths.length > 0) {
    // The native response the pointers select from (Anthropic Messages shape for Claude).
    const native: JsonObject = { stop_sequence: matchedStop, stop_reason: stopReason, model: model.id };
    additionalModelResponseFields = {};
    for (const pointer of request.additionalModelResponseFieldPaths) {
      const hit = pickPointer(native, pointer);
      if (hit) additionalModelResponseFields[hit.key] = hit.value;
    }
  }
  return {
    content,
    stopReason,
    usage,
    additionalModelResponseFields,
    performanceConfig: request.performanceConfig,
    serviceTier: request.serviceTier,
    stopSequence: matchedStop,
  };
}
