/**
 * What an application using the official openai SDK sees of the chat response translators: a local HTTP
 * server plays the gateway's writer (JSON or SSE built from the translators' output) and the SDK reads it.
 * - non-streaming fixtures arrive unchanged through `chat.completions.create`;
 * - the SDK's stream accumulator (`chat.completions.stream(...).finalChatCompletion()`) rebuilds, from our
 *   chunks, the same message, tool calls and finish reason that the non-streaming translator returns for
 *   the same Bedrock output;
 * - a Bedrock exception in the middle of a stream surfaces as an SDK `APIError`, not as a normal end.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isGatewayError } from '../gateway/src/errors/index.js';
import {
  ChatStreamTranslator,
  fromConverseResponse,
  type ResponsePlan,
  streamErrorPayload,
} from '../gateway/src/translate/chat/index.js';
import type {
  ContentBlock,
  ConverseResponse,
  ConverseStreamEvent,
  StopReason,
} from '../gateway/src/wire/bedrock/index.js';
import type { ChatCompletion } from '../gateway/src/wire/openai/index.js';

interface ResponseFixture {
  name: string;
  plan: ResponsePlan;
  bedrock: ConverseResponse;
  openai: ChatCompletion;
}
interface StreamFixture {
  name: string;
  plan: ResponsePlan;
  events: ConverseStreamEvent[];
}

const fixtureDir = join(import.meta.dirname, '..', 'gateway', 'src', 'translate', 'chat', 'fixtures');
function load<T>(kind: string): T[] {
  const dir = join(fixtureDir, kind);
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as T);
}
const responseFixtures = load<ResponseFixture>('response');
const streamFixtures = load<StreamFixture>('stream');

const throttledMidStream: StreamFixture = {
  name: 'throttled-mid-stream',
  plan: { includeUsage: false },
  events: [
    { messageStart: { role: 'assistant' } },
    { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'Partial' } } },
    { throttlingException: { message: 'Too many tokens, please wait before trying again.' } },
  ],
};

const options = (plan: ResponsePlan, model: string) => ({ id: 'chatcmpl-sdk', created: 1700000000, model, plan });

/** The gateway's writer, reduced to what the translators need: JSON, or SSE ending in [DONE] or an error. */
async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let raw = '';
  for await (const chunk of req) raw += String(chunk);
  const body = JSON.parse(raw) as { model: string; stream?: boolean };
  if (!body.stream) {
    const fixture = responseFixtures.find((f) => f.name === body.model);
    if (fixture === undefined) return void res.writeHead(404).end();
    const completion = fromConverseResponse(fixture.bedrock, options(fixture.plan, body.model));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(completion));
    return;
  }
  const fixture = [...streamFixtures, throttledMidStream].find((f) => f.name === body.model);
  if (fixture === undefined) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const translator = new ChatStreamTranslator(options(fixture.plan, body.model));
  try {
    for (const event of fixture.events) {
      for (const payload of translator.push(event)) res.write(`data: ${payload}\n\n`);
    }
    for (const payload of translator.end()) res.write(`data: ${payload}\n\n`);
    res.end('data: [DONE]\n\n');
  } catch (error) {
    if (!isGatewayError(error)) throw error;
    res.end(`data: ${streamErrorPayload(error)}\n\n`);
  }
}

/** The Converse response Bedrock would have returned for a stream's events, for comparison. */
function aggregate(events: readonly ConverseStreamEvent[]): ConverseResponse {
  const blocks = new Map<number, ContentBlock>();
  const inputs = new Map<number, string>();
  let stopReason: StopReason = 'end_turn';
  for (const event of events) {
    if ('contentBlockStart' in event && 'toolUse' in event.contentBlockStart.start) {
      blocks.set(event.contentBlockStart.contentBlockIndex, {
        toolUse: { ...event.contentBlockStart.start.toolUse, input: {} },
      });
      inputs.set(event.contentBlockStart.contentBlockIndex, '');
    } else if ('contentBlockDelta' in event) {
      const { contentBlockIndex: index, delta } = event.contentBlockDelta;
      const block = blocks.get(index);
      if ('text' in delta) {
        blocks.set(index, { text: (block !== undefined && 'text' in block ? block.text : '') + delta.text });
      } else if ('toolUse' in delta) {
        inputs.set(index, (inputs.get(index) ?? '') + delta.toolUse.input);
      } else if ('reasoningContent' in delta) {
        const reasoning = delta.reasoningContent;
        if ('redactedContent' in reasoning) {
          blocks.set(index, { reasoningContent: { redactedContent: reasoning.redactedContent } });
          continue;
        }
        const previous =
          block !== undefined && 'reasoningContent' in block && 'reasoningText' in block.reasoningContent
            ? block.reasoningContent.reasoningText
            : { text: '' };
        const next =
          'text' in reasoning
            ? { ...previous, text: previous.text + reasoning.text }
            : { ...previous, signature: reasoning.signature };
        blocks.set(index, { reasoningContent: { reasoningText: next } });
      }
    } else if ('messageStop' in event) {
      stopReason = event.messageStop.stopReason;
    }
  }
  for (const [index, input] of inputs) {
    const block = blocks.get(index);
    if (block !== undefined && 'toolUse' in block) block.toolUse.input = input === '' ? {} : JSON.parse(input);
  }
  const content = [...blocks.entries()].sort(([a], [b]) => a - b).map(([, block]) => block);
  return {
    output: { message: { role: 'assistant', content } },
    stopReason,
    usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 },
    metrics: { latencyMs: 1 },
  };
}

let server: Server;
let client: OpenAI;

beforeAll(async () => {
  server = createServer((req, res) => {
    serve(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  client = new OpenAI({ apiKey: 'sk-test', baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('chat responses through the official openai SDK', () => {
  it.each(responseFixtures.map((f) => [f.name, f] as const))(
    'non-streaming %s arrives intact',
    async (name, fixture) => {
      const completion = await client.chat.completions.create({
        model: name,
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(completion).toStrictEqual({ ...fixture.openai, id: 'chatcmpl-sdk', model: name });
    },
  );

  it.each(streamFixtures.map((f) => [f.name, f] as const))(
    'streamed %s accumulates to the non-streaming answer',
    async (name, fixture) => {
      const stream = client.chat.completions.stream({ model: name, messages: [{ role: 'user', content: 'hi' }] });
      const final = await stream.finalChatCompletion();
      const expected = fromConverseResponse(aggregate(fixture.events), options(fixture.plan, name));
      const choice = final.choices[0]!;
      const want = expected.choices[0]!;
      expect(choice.finish_reason).toBe(want.finish_reason);
      expect(choice.message.content).toBe(want.message.content ?? null);
      const calls = (choice.message.tool_calls ?? []).map((call) =>
        call.type === 'function'
          ? { id: call.id, type: call.type, function: { name: call.function.name, arguments: call.function.arguments } }
          : call,
      );
      expect(calls).toStrictEqual(want.message.tool_calls ?? []);
      expect(final.id).toBe('chatcmpl-sdk');
      expect(final.model).toBe(name);
    },
  );

  it('raises an APIError for an exception in the middle of a stream, after the content sent so far', async () => {
    const stream = await client.chat.completions.create({
      model: 'throttled-mid-stream',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const received: string[] = [];
    let thrown: unknown;
    try {
      for await (const chunk of stream) received.push(chunk.choices[0]?.delta.content ?? '');
    } catch (error) {
      thrown = error;
    }
    expect(received.join('')).toBe('Partial');
    expect(thrown).toBeInstanceOf(OpenAI.APIError);
    expect(thrown).toMatchObject({ code: 'rate_limit_exceeded', type: 'rate_limit_error' });
    expect((thrown as Error).message).toContain('Too many tokens, please wait before trying again.');
  });
});
