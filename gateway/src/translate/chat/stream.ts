/**
 * ConverseStream events → OpenAI `chat.completion.chunk` payloads (openai-to-bedrock.md §2.4, §3.2, §10).
 * One small state machine per request; all state lives in fields. Chunks are built by concatenating a
 * pre-serialised head and tail around the delta, so the per-event cost is one `JSON.stringify` of the
 * fragment, with no closures or regular expressions.
 */
import { fromBedrockStreamException, GatewayError } from '../../errors/index.js';
import type {
  ContentBlockDeltaEvent,
  ContentBlockStartEvent,
  ConverseStreamEvent,
  ConverseStreamMetadataEvent,
  MessageStopEvent,
  TokenUsage,
} from '../../wire/bedrock/index.js';
import type { CompletionUsage, FinishReason } from '../../wire/openai/index.js';
import { type ChatResponseOptions, toCompletionUsage, toFinish } from './response-common.js';

/**
 * How the deltas of one tool-use content block are forwarded: `client` as `delta.tool_calls[]` with a dense
 * index; `structured` (the structured-output tool) as `delta.content`, its input being the answer;
 * `server` (a tool Bedrock runs itself, `server_tool_use`) not at all.
 */
type ToolKind = 'client' | 'structured' | 'server';

interface ToolBlock {
  readonly kind: ToolKind;
  /** Dense `tool_calls[].index` (client tools only). */
  readonly index: number;
  /** Whether any non-empty input fragment was forwarded. */
  hasInput: boolean;
}

/** The serialised chunk of a text delta around its JSON string body (between, not including, the quotes). */
export interface TextSplice {
  before: string;
  after: string;
}

/**
 * Turns ConverseStream events into serialised `chat.completion.chunk` JSON payloads (without the
 * `data: ` prefix; the SSE writer adds framing and the final `[DONE]`).
 *
 * Order produced: a role chunk (`{role:"assistant",content:""}`) on `messageStart`; content, reasoning and
 * tool-call deltas; a finish chunk (empty delta + `finish_reason`) on `messageStop`; with
 * `plan.includeUsage`, a usage chunk (`choices: []`) once `metadata` arrives.
 *
 * Tool calls get dense indexes from 0 in the order they start, whatever their `contentBlockIndex` (a tool
 * call that follows a reasoning or text block is still index 0: BAG #203, LiteLLM #32759). The first delta
 * of each call carries id, type, name and `arguments: ""`; argument fragments follow. A call whose input
 * stayed empty gets `arguments: "{}"` when its block stops, matching the non-streaming response.
 *
 * Exception events throw the mapped {@link GatewayError}; the caller writes it with
 * {@link streamErrorPayload} as the last SSE event instead of pretending the turn stopped.
 */
export class ChatStreamTranslator {
  private readonly head: string;
  private readonly tail: string;
  private readonly usageNull: string;
  private readonly usageHead: string;
  private readonly includeUsage: boolean;
  private readonly structuredTool: string | undefined;
  private readonly tools = new Map<number, ToolBlock>();
  private started = false;
  private stopped = false;
  private usageSent = false;
  private nextToolIndex = 0;
  private structuredSeen = false;
  /** Text seen in structured tool mode before the tool started; sent only if the tool never comes. */
  private heldText = '';
  /**
   * Reasoning text of the open reasoning block. The signature chunk repeats it so that its
   * `thinking_blocks` entry is complete: the openai SDK's stream accumulator keeps only the last value of
   * a non-standard delta field, and Anthropic refuses a replayed block whose text differs from what it signed.
   */
  private reasoningText = '';
  private finish: FinishReason | undefined;
  private openaiUsage: CompletionUsage | undefined;
  private upstreamUsage: TokenUsage | undefined;

  constructor(options: ChatResponseOptions) {
    const envelope = `{"id":${JSON.stringify(options.id)},"object":"chat.completion.chunk","created":${Math.trunc(options.created)},"model":${JSON.stringify(options.model)},"choices":`;
    this.includeUsage = options.plan.includeUsage;
    // OpenAI sends `usage: null` on every chunk when include_usage is on, and the usage on the last one.
    this.usageNull = this.includeUsage ? ',"usage":null' : '';
    this.head = `${envelope}[{"index":0,"delta":`;
    this.tail = `,"logprobs":null,"finish_reason":null}]${this.usageNull}}`;
    this.usageHead = `${envelope}[],"usage":`;
    const structured = options.plan.structuredOutput;
    this.structuredTool = structured?.mode === 'tool' ? structured.toolName : undefined;
  }

  /**
   * Whether a text delta may skip {@link pushEvent}: its chunk is then exactly {@link TextSplice}'s `before`,
   * the text's JSON string body and `after` (the role chunk went out already, and text is not held back for
   * structured output).
   */
  get splicesText(): boolean {
    return this.started && this.structuredTool === undefined;
  }

  /** What surrounds the JSON string body of a text delta in its chunk (see {@link splicesText}). */
  textSplice(): TextSplice {
    return { before: `${this.head}{"content":"`, after: `"}${this.tail}` };
  }

  /** `finish_reason` once `messageStop` has been seen (for metrics and traces). */
  get finishReason(): FinishReason | undefined {
    return this.finish;
  }

  /** Usage once `metadata` has been seen, whether or not the caller asked for it in the stream. */
  get usage(): CompletionUsage | undefined {
    return this.openaiUsage;
  }

  /** Bedrock's own usage from `metadata` (input excludes cache tokens), for metrics and cost. */
  get bedrockUsage(): TokenUsage | undefined {
    return this.upstreamUsage;
  }

  /** Feeds one event; returns the chunk payloads it produces (often one, sometimes none). */
  push(event: ConverseStreamEvent): string[] {
    const out: string[] = [];
    if ('contentBlockDelta' in event) {
      this.onDelta(event.contentBlockDelta, out);
    } else if ('messageStart' in event) {
      this.ensureStarted(out);
    } else if ('contentBlockStart' in event) {
      this.onBlockStart(event.contentBlockStart, out);
    } else if ('contentBlockStop' in event) {
      this.onBlockStop(event.contentBlockStop.contentBlockIndex, out);
    } else if ('messageStop' in event) {
      this.onMessageStop(event.messageStop, out);
    } else if ('metadata' in event) {
      this.onMetadata(event.metadata, out);
    } else if ('internalServerException' in event) {
      throw fromBedrockStreamException('internalServerException', event.internalServerException);
    } else if ('modelStreamErrorException' in event) {
      throw fromBedrockStreamException('modelStreamErrorException', event.modelStreamErrorException);
    } else if ('validationException' in event) {
      throw fromBedrockStreamException('validationException', event.validationException);
    } else if ('throttlingException' in event) {
      throw fromBedrockStreamException('throttlingException', event.throttlingException);
    } else if ('serviceUnavailableException' in event) {
      throw fromBedrockStreamException('serviceUnavailableException', event.serviceUnavailableException);
    } else {
      const unhandled: never = event;
      void unhandled;
    }
    return out;
  }

  /**
   * The same as `push({ [type]: payload })` for a decoded upstream event, without building that object (this
   * runs once per streamed token). An unknown type produces nothing, as Converse's union has no such member.
   */
  pushEvent(type: string, payload: unknown): string[] {
    const out: string[] = [];
    switch (type) {
      case 'contentBlockDelta':
        this.onDelta(payload as ContentBlockDeltaEvent, out);
        break;
      case 'messageStart':
        this.ensureStarted(out);
        break;
      case 'contentBlockStart':
        this.onBlockStart(payload as ContentBlockStartEvent, out);
        break;
      case 'contentBlockStop':
        this.onBlockStop((payload as { contentBlockIndex: number }).contentBlockIndex, out);
        break;
      case 'messageStop':
        this.onMessageStop(payload as MessageStopEvent, out);
        break;
      case 'metadata':
        this.onMetadata(payload as ConverseStreamMetadataEvent, out);
        break;
      case 'internalServerException':
      case 'modelStreamErrorException':
      case 'validationException':
      case 'throttlingException':
      case 'serviceUnavailableException':
        throw fromBedrockStreamException(type, payload);
      default:
        break;
    }
    return out;
  }

  /**
   * Called when the upstream stream ends cleanly. Returns anything still owed. Throws `upstream_error` if
   * Bedrock never sent `messageStop`: a truncated answer must surface as an error, not as a normal end.
   */
  end(): string[] {
    if (!this.stopped) {
      throw new GatewayError('upstream_error', 'The Bedrock stream ended before the model finished its message.');
    }
    return [];
  }

  private onDelta(event: ContentBlockDeltaEvent, out: string[]): void {
    const delta = event.delta;
    if ('text' in delta) {
      if (delta.text === '') return;
      this.ensureStarted(out);
      if (this.structuredTool === undefined) {
        out.push(`${this.head}{"content":${JSON.stringify(delta.text)}}${this.tail}`);
      } else if (!this.structuredSeen) {
        this.heldText += delta.text;
      }
    } else if ('toolUse' in delta) {
      const tool = this.tools.get(event.contentBlockIndex);
      const input = delta.toolUse.input;
      if (tool === undefined || input === '') return;
      if (tool.kind === 'client') {
        tool.hasInput = true;
        out.push(
          `${this.head}{"tool_calls":[{"index":${tool.index},"function":{"arguments":${JSON.stringify(input)}}}]}${this.tail}`,
        );
      } else if (tool.kind === 'structured') {
        tool.hasInput = true;
        out.push(`${this.head}{"content":${JSON.stringify(input)}}${this.tail}`);
      }
    } else if ('reasoningContent' in delta) {
      this.ensureStarted(out);
      const reasoning = delta.reasoningContent;
      if ('text' in reasoning) {
        if (reasoning.text !== '') {
          this.reasoningText += reasoning.text;
          out.push(`${this.head}{"reasoning_content":${JSON.stringify(reasoning.text)}}${this.tail}`);
        }
      } else if ('signature' in reasoning) {
        // The signature closes a reasoning block; clients that replay thinking need it (Anthropic verifies it).
        out.push(
          `${this.head}{"thinking_blocks":[{"type":"thinking","thinking":${JSON.stringify(this.reasoningText)},"signature":${JSON.stringify(reasoning.signature)}}]}${this.tail}`,
        );
        this.reasoningText = '';
      } else {
        out.push(
          `${this.head}{"thinking_blocks":[{"type":"redacted_thinking","data":${JSON.stringify(reasoning.redactedContent)}}]}${this.tail}`,
        );
      }
    } else if ('citation' in delta || 'toolResult' in delta || 'image' in delta) {
      // Citations have no chat-completions field; tool results and images belong to server-side tools.
    } else {
      const unhandled: never = delta;
      void unhandled;
    }
  }

  private onBlockStart(event: ContentBlockStartEvent, out: string[]): void {
    const start = event.start;
    if (!('toolUse' in start)) return;
    const use = start.toolUse;
    if (use.type === 'server_tool_use') {
      this.tools.set(event.contentBlockIndex, { kind: 'server', index: -1, hasInput: false });
      return;
    }
    this.ensureStarted(out);
    if (this.structuredTool !== undefined && !this.structuredSeen && use.name === this.structuredTool) {
      // The answer starts here: text the model wrote before the tool call is not part of the JSON.
      this.structuredSeen = true;
      this.heldText = '';
      this.tools.set(event.contentBlockIndex, { kind: 'structured', index: -1, hasInput: false });
      return;
    }
    const index = this.nextToolIndex++;
    this.tools.set(event.contentBlockIndex, { kind: 'client', index, hasInput: false });
    out.push(
      `${this.head}{"tool_calls":[{"index":${index},"id":${JSON.stringify(use.toolUseId)},"type":"function","function":{"name":${JSON.stringify(use.name)},"arguments":""}}]}${this.tail}`,
    );
  }

  private onBlockStop(contentBlockIndex: number, out: string[]): void {
    this.reasoningText = '';
    const tool = this.tools.get(contentBlockIndex);
    if (tool === undefined || tool.hasInput) return;
    // A tool called without arguments streams input "" (bedrock-wire.md §4); OpenAI clients JSON.parse it.
    tool.hasInput = true;
    if (tool.kind === 'client') {
      out.push(`${this.head}{"tool_calls":[{"index":${tool.index},"function":{"arguments":"{}"}}]}${this.tail}`);
    } else if (tool.kind === 'structured') {
      out.push(`${this.head}{"content":"{}"}${this.tail}`);
    }
  }

  private onMessageStop(event: MessageStopEvent, out: string[]): void {
    if (this.stopped) return;
    this.ensureStarted(out);
    if (this.heldText !== '') {
      // Structured mode, but the model answered in text instead of calling the tool.
      out.push(`${this.head}{"content":${JSON.stringify(this.heldText)}}${this.tail}`);
      this.heldText = '';
    }
    this.stopped = true;
    const finish = toFinish(event.stopReason, this.nextToolIndex > 0);
    this.finish = finish.reason;
    const detail = finish.detail === undefined ? '' : `,"finish_detail":"${finish.detail}"`;
    out.push(`${this.head}{},"logprobs":null,"finish_reason":"${finish.reason}"${detail}}]${this.usageNull}}`);
    // Bedrock sends metadata after messageStop; tolerate the reverse order.
    if (this.openaiUsage !== undefined) this.emitUsage(out);
  }

  private onMetadata(event: ConverseStreamMetadataEvent, out: string[]): void {
    this.upstreamUsage = event.usage;
    this.openaiUsage = toCompletionUsage(event.usage);
    if (this.stopped) this.emitUsage(out);
  }

  private emitUsage(out: string[]): void {
    if (!this.includeUsage || this.usageSent || this.openaiUsage === undefined) return;
    this.usageSent = true;
    out.push(`${this.usageHead}${JSON.stringify(this.openaiUsage)}}`);
  }

  private ensureStarted(out: string[]): void {
    if (this.started) return;
    this.started = true;
    out.push(`${this.head}{"role":"assistant","content":""}${this.tail}`);
  }
}

/**
 * The payload of the SSE event that ends a stream which failed after it started: OpenAI's error envelope
 * (`{"error":{"message","type","param","code"}}`), written instead of `[DONE]`.
 */
export function streamErrorPayload(error: GatewayError): string {
  return JSON.stringify(error.toBody());
}
