/**
 * Bedrock Converse response → OpenAI `chat.completion` (openai-to-bedrock.md §2.1–§2.3, §10). Pure and
 * synchronous. The mapping table is docs/chat-response-mapping.md.
 */
import type { ConverseResponse, JsonValue } from '../../wire/bedrock/index.js';
import type {
  ChatCompletion,
  ChatCompletionChoice,
  ChatCompletionMessage,
  ThinkingBlock,
  ToolCall,
} from '../../wire/openai/index.js';
import { type ChatResponseOptions, toCompletionUsage, toFinish, toServiceTier } from './response-common.js';

/**
 * Translates a Converse response into a `chat.completion`.
 *
 * - Every text block is concatenated with nothing added between them (peers that keep only the first or
 *   last block, or join with `\n`, change what the model said).
 * - Each client `toolUse` becomes a `tool_calls` entry: Bedrock's `toolUseId` as id, the input as a JSON
 *   string. Server-side tools (`type: "server_tool_use"`) ran inside Bedrock and are not surfaced.
 * - Reasoning: `reasoning_content` joins the reasoning text; `thinking_blocks` carries each block with its
 *   signature (or the redacted bytes, base64) so clients can send them back in a tool loop.
 * - Structured output emulated with a forced tool: that tool's input JSON is `content`, verbatim (no
 *   unwrapping of a `properties` key), with no `tool_calls` and `finish_reason: "stop"`; text the model
 *   wrote around the tool call is dropped so `content` parses as JSON.
 */
export function fromConverseResponse(response: ConverseResponse, options: ChatResponseOptions): ChatCompletion {
  const structured = options.plan.structuredOutput;
  const structuredTool = structured?.mode === 'tool' ? structured.toolName : undefined;
  let text = '';
  let hasText = false;
  let structuredContent: string | undefined;
  let reasoning: string | undefined;
  const thinkingBlocks: ThinkingBlock[] = [];
  const toolCalls: ToolCall[] = [];

  for (const block of response.output.message.content) {
    if ('text' in block) {
      text += block.text;
      hasText = true;
    } else if ('toolUse' in block) {
      const use = block.toolUse;
      if (use.type === 'server_tool_use') continue;
      const args = toolArguments(use.input);
      if (structuredTool !== undefined && structuredContent === undefined && use.name === structuredTool) {
        structuredContent = args;
      } else {
        toolCalls.push({ id: use.toolUseId, type: 'function', function: { name: use.name, arguments: args } });
      }
    } else if ('reasoningContent' in block) {
      const content = block.reasoningContent;
      if ('reasoningText' in content) {
        reasoning = (reasoning ?? '') + content.reasoningText.text;
        const signature = content.reasoningText.signature;
        thinkingBlocks.push(
          signature === undefined
            ? { type: 'thinking', thinking: content.reasoningText.text }
            : { type: 'thinking', thinking: content.reasoningText.text, signature },
        );
      } else {
        thinkingBlocks.push({ type: 'redacted_thinking', data: content.redactedContent });
      }
    } else if ('citationsContent' in block) {
      // With citations enabled the cited answer text arrives inside citationsContent instead of text blocks.
      for (const part of block.citationsContent.content ?? []) {
        text += part.text;
        hasText = true;
      }
    } else if (
      'image' in block ||
      'document' in block ||
      'video' in block ||
      'toolResult' in block ||
      'guardContent' in block ||
      'cachePoint' in block ||
      'searchResult' in block
    ) {
      // Input-side blocks; an assistant message does not carry them to the caller.
    } else {
      const unhandled: never = block;
      void unhandled;
    }
  }

  const finish = toFinish(response.stopReason, toolCalls.length > 0);
  let content: string | null;
  if (structuredContent !== undefined) content = structuredContent;
  else if (hasText || toolCalls.length === 0) content = text;
  else content = null;

  const message: ChatCompletionMessage = { role: 'assistant', content, refusal: null };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (reasoning !== undefined) message.reasoning_content = reasoning;
  if (thinkingBlocks.length > 0) message.thinking_blocks = thinkingBlocks;

  const choice: ChatCompletionChoice = { index: 0, message, logprobs: null, finish_reason: finish.reason };
  if (finish.detail !== undefined) choice.finish_detail = finish.detail;

  const completion: ChatCompletion = {
    id: options.id,
    object: 'chat.completion',
    created: options.created,
    model: options.model,
    choices: [choice],
    usage: toCompletionUsage(response.usage),
  };
  const tier = toServiceTier(response.serviceTier);
  if (tier !== undefined) completion.service_tier = tier;
  return completion;
}

/** Tool input as OpenAI `arguments`: always a JSON object text, `{}` for a tool called without input. */
function toolArguments(input: JsonValue | undefined): string {
  if (input === undefined || input === null || input === '') return '{}';
  return JSON.stringify(input);
}
