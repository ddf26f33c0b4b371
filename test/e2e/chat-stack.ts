/**
 * The stack behind the chat fidelity suites (test/e2e/chat-*.test.ts): the Bedrock emulator, an in-process
 * gateway serving examples/ plus one Model per family the suites need, and an official openai SDK client.
 *
 * The gateway's upstream client is the real one, wrapped so each suite can read the exact Converse body
 * the gateway sent (the emulator validates it, the suites assert what a caller could only infer).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll } from 'vitest';
import type { MediaFetcher } from '../../gateway/src/fetch/index.js';
import type { GatewayEventStream, GatewayUpstream } from '../../gateway/src/server/index.js';
import { BedrockUpstream, type UpstreamCall, type UpstreamResponse } from '../../gateway/src/upstream/index.js';
import { DEMO_KEY } from '../helpers/config-dir.js';
import { type Stack, startStack, TEST_UPSTREAM_OPTIONS } from '../helpers/stack.js';

/** Models the examples do not ship, one per family/generation the chat suites exercise. */
const EXTRA_CHAT_MODELS: Record<string, string> = {
  'us-anthropic-claude-3-7-sonnet-20250219-v1-0': 'us.anthropic.claude-3-7-sonnet-20250219-v1:0',
  'us-meta-llama3-2-11b-instruct-v1-0': 'us.meta.llama3-2-11b-instruct-v1:0',
  'mistral-mistral-7b-instruct-v0-2': 'mistral.mistral-7b-instruct-v0:2',
  'cohere-command-r-v1-0': 'cohere.command-r-v1:0',
  'us-deepseek-r1-v1-0': 'us.deepseek.r1-v1:0',
  'openai-gpt-oss-20b-1-0': 'openai.gpt-oss-20b-1:0',
  'amazon-titan-text-express-v1': 'amazon.titan-text-express-v1',
};

const EXTRA_MANIFEST = Object.entries(EXTRA_CHAT_MODELS)
  .map(
    ([name, id]) => `apiVersion: aigateway.dev/v1alpha1
kind: Model
metadata: { name: ${name}, namespace: default }
spec: { account: demo, modelId: "${id}" }
`,
  )
  .join('---\n');

/** Served model names (`<account>/<Model name>`) by what they stand for in the suites. */
export const M = {
  /** Claude Sonnet 4.5 (global profile): thinking, native structured output, caching (1,024-token minimum), 1 h TTL. */
  sonnet45: 'demo/global-anthropic-claude-sonnet-4-5-20250929-v1-0',
  /** Claude Haiku 4.5: caching with a 4,096-token minimum. */
  haiku45: 'demo/us-anthropic-claude-haiku-4-5-20251001-v1-0',
  /** Claude 3.7 Sonnet: thinking, no native structured output (forced tool). */
  sonnet37: 'demo/us-anthropic-claude-3-7-sonnet-20250219-v1-0',
  /** Claude 3.5 Haiku (assumed-role account): no images, no native structured output. */
  haiku35: 'demo-role/us-anthropic-claude-3-5-haiku-20241022-v1-0',
  novaLite: 'demo/amazon-nova-lite-v1-0',
  novaPro: 'demo/amazon-nova-pro-v1-0',
  /** Nova Micro (Bedrock API-key account): text only. */
  novaMicro: 'demo-apikey/amazon-nova-micro-v1-0',
  llama33: 'demo/us-meta-llama3-3-70b-instruct-v1-0',
  llama32Vision: 'demo/us-meta-llama3-2-11b-instruct-v1-0',
  mistralLarge: 'demo/mistral-mistral-large-2407-v1-0',
  mistral7b: 'demo/mistral-mistral-7b-instruct-v0-2',
  commandR: 'demo/cohere-command-r-v1-0',
  deepseekR1: 'demo/us-deepseek-r1-v1-0',
  gptOss: 'demo/openai-gpt-oss-20b-1-0',
  titanText: 'demo/amazon-titan-text-express-v1',
} as const;

/** One upstream call as the gateway made it. */
export interface RecordedCall {
  readonly modelId: string;
  readonly operation: string;
  /** The Converse body, parsed. */
  readonly body: ConverseBody;
}

/** The parts of a Converse body the suites read (loosely typed: it is whatever the gateway sent). */
export interface ConverseBody {
  messages: { role: string; content: Record<string, unknown>[] }[];
  system?: Record<string, unknown>[];
  inferenceConfig?: Record<string, unknown>;
  toolConfig?: { tools: Record<string, unknown>[]; toolChoice?: Record<string, unknown> };
  additionalModelRequestFields?: Record<string, unknown>;
  outputConfig?: Record<string, unknown>;
  requestMetadata?: Record<string, string>;
  [key: string]: unknown;
}

/** The real Bedrock client with a log of the calls it was asked to make. */
class RecordingUpstream implements GatewayUpstream {
  readonly calls: RecordedCall[] = [];
  constructor(private readonly inner: BedrockUpstream) {}

  private record(call: UpstreamCall): void {
    const text = typeof call.body === 'string' ? call.body : Buffer.from(call.body).toString('utf8');
    this.calls.push({ modelId: call.modelId, operation: call.operation, body: JSON.parse(text) as ConverseBody });
  }

  send(call: UpstreamCall): Promise<UpstreamResponse> {
    this.record(call);
    return this.inner.send(call);
  }

  stream(call: UpstreamCall): Promise<GatewayEventStream> {
    this.record(call);
    return this.inner.stream(call);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

export interface ChatStack {
  readonly stack: Stack;
  readonly client: OpenAI;
  /** Every upstream call so far, oldest first. */
  readonly calls: RecordedCall[];
  /** The Converse body of the most recent upstream call. */
  lastBody(): ConverseBody;
  /** Number of upstream calls so far (to prove a 400 was answered before any upstream call). */
  callCount(): number;
  /** POSTs a raw chat body (for fields the SDK types do not have) and returns status, headers and JSON. */
  raw(body: Record<string, unknown>): Promise<{ status: number; headers: Headers; json: unknown; text: string }>;
}

/**
 * Starts the chat stack in `beforeAll` and closes it in `afterAll`; the returned object is filled in
 * once `beforeAll` has run.
 */
export function useChatStack(options: { mediaFetcher?: MediaFetcher } = {}): ChatStack {
  let stack: Stack | undefined;
  let client: OpenAI | undefined;
  const upstream = new RecordingUpstream(new BedrockUpstream(TEST_UPSTREAM_OPTIONS));
  beforeAll(async () => {
    stack = await startStack({
      extraFiles: { 'chat-models.yaml': EXTRA_MANIFEST },
      gateway: { upstream, mediaFetcher: options.mediaFetcher ?? null, watch: false },
    });
    client = stack.client();
  });
  afterAll(async () => {
    await stack?.close();
  });
  return {
    get stack() {
      if (!stack) throw new Error('chat stack not started');
      return stack;
    },
    get client() {
      if (!client) throw new Error('chat stack not started');
      return client;
    },
    calls: upstream.calls,
    lastBody() {
      const last = upstream.calls.at(-1);
      if (!last) throw new Error('no upstream call was made');
      return last.body;
    },
    callCount: () => upstream.calls.length,
    async raw(body) {
      if (!stack) throw new Error('chat stack not started');
      const res = await fetch(`${stack.gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${DEMO_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, headers: res.headers, json, text };
    },
  };
}

/** Awaits a promise that must reject with an OpenAI APIError, and returns the error. */
export async function apiError(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const outcome = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(outcome instanceof OpenAI.APIError)) {
    throw new Error(`expected an OpenAI APIError, got ${outcome === undefined ? 'success' : String(outcome)}`);
  }
  return outcome;
}

/** What a streamed completion amounts to, with every chunk kept for shape assertions. */
export interface CollectedStream {
  chunks: OpenAI.ChatCompletionChunk[];
  content: string;
  reasoning: string;
  finishReason: string | null;
  usage: OpenAI.CompletionUsage | null;
  /** Tool calls reassembled from the deltas, by their `index`. */
  toolCalls: { index: number; id: string; name: string; arguments: string }[];
  /** Every `delta.tool_calls` entry, in order. */
  toolCallDeltas: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[];
  /** Every `delta.thinking_blocks` entry, in order (gateway extension). */
  thinkingBlocks: Record<string, unknown>[];
}

/** Reads a whole SDK stream. */
export async function collect(stream: AsyncIterable<OpenAI.ChatCompletionChunk>): Promise<CollectedStream> {
  const out: CollectedStream = {
    chunks: [],
    content: '',
    reasoning: '',
    finishReason: null,
    usage: null,
    toolCalls: [],
    toolCallDeltas: [],
    thinkingBlocks: [],
  };
  for await (const chunk of stream) {
    out.chunks.push(chunk);
    if (chunk.usage) out.usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) continue;
    const delta = choice.delta as OpenAI.ChatCompletionChunk.Choice.Delta & {
      reasoning_content?: string;
      thinking_blocks?: Record<string, unknown>[];
    };
    out.content += delta.content ?? '';
    out.reasoning += delta.reasoning_content ?? '';
    if (delta.thinking_blocks) out.thinkingBlocks.push(...delta.thinking_blocks);
    if (choice.finish_reason) out.finishReason = choice.finish_reason;
    for (const call of delta.tool_calls ?? []) {
      out.toolCallDeltas.push(call);
      let entry = out.toolCalls.find((c) => c.index === call.index);
      if (!entry) {
        entry = { index: call.index, id: '', name: '', arguments: '' };
        out.toolCalls.push(entry);
      }
      if (call.id) entry.id = call.id;
      if (call.function?.name) entry.name = call.function.name;
      entry.arguments += call.function?.arguments ?? '';
    }
  }
  return out;
}

/** Fields the gateway adds to an assistant message (extensions the SDK types do not declare). */
export type GatewayMessage = OpenAI.ChatCompletionMessage & {
  reasoning_content?: string;
  thinking_blocks?: (
    | { type: 'thinking'; thinking: string; signature?: string }
    | { type: 'redacted_thinking'; data: string }
  )[];
};

/** Usage with the gateway's cache-write extensions. */
export type GatewayUsage = OpenAI.CompletionUsage & {
  cache_creation_input_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number; cache_creation_tokens?: number };
};

/** The emulator's token count: one token per started group of four characters (docs/emulator.md). */
export function tokens(text: string): number {
  return Math.ceil(text.length / 4);
}
