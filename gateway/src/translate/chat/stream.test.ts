import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../errors/index.js';
import type { ConverseStreamEvent } from '../../wire/bedrock/index.js';
import type { ChatCompletionChunk } from '../../wire/openai/index.js';
import type { ChatResponseOptions, ResponsePlan } from './response-common.js';
import { ChatStreamTranslator, streamErrorPayload } from './stream.js';

interface StreamFixture {
  name: string;
  description: string;
  plan: ResponsePlan;
  events: ConverseStreamEvent[];
  chunks: ChatCompletionChunk[];
}

const MODEL = 'tfy-ai-bedrock/global-anthropic-claude-sonnet-4-5-20250929-v1-0';
const dir = join(import.meta.dirname, 'fixtures', 'stream');
const fixtures = readdirSync(dir)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as StreamFixture);

function options(plan: ResponsePlan = { includeUsage: false }): ChatResponseOptions {
  return { id: 'chatcmpl-fixture', created: 1700000000, model: MODEL, plan };
}

function run(translator: ChatStreamTranslator, events: readonly ConverseStreamEvent[]): string[] {
  const out: string[] = [];
  for (const event of events) out.push(...translator.push(event));
  out.push(...translator.end());
  return out;
}

const start: ConverseStreamEvent = { messageStart: { role: 'assistant' } };
const hello: ConverseStreamEvent = { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'Hello' } } };

describe('ChatStreamTranslator golden fixtures', () => {
  it('has the fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(20);
  });

  it.each(fixtures.map((fixture) => [fixture.name, fixture] as const))('%s', (_name, fixture) => {
    const payloads = run(new ChatStreamTranslator(options(fixture.plan)), fixture.events);
    expect(payloads.map((payload) => JSON.parse(payload) as unknown)).toStrictEqual(fixture.chunks);
    // Each payload becomes one SSE `data:` line; a raw line break would split the event.
    for (const payload of payloads) expect(payload).not.toMatch(/[\r\n]/);
  });
});

describe('ChatStreamTranslator', () => {
  it('throws the mapped error on a mid-stream throttling exception, after the content so far', () => {
    const translator = new ChatStreamTranslator(options());
    const sent = [...translator.push(start), ...translator.push(hello)];
    expect(sent).toHaveLength(2);
    let thrown: unknown;
    try {
      translator.push({ throttlingException: { message: 'Too many tokens, please wait before trying again.' } });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(GatewayError);
    const error = thrown as GatewayError;
    expect(error.code).toBe('rate_limit_exceeded');
    expect(error.status).toBe(429);
    expect(error.message).toBe('Too many tokens, please wait before trying again.');
    // No finish chunk was produced: the stream must end with an error event, not a fake stop.
    expect(translator.finishReason).toBeUndefined();
  });

  it.each([
    ['internalServerException', 'upstream_error'],
    ['modelStreamErrorException', 'upstream_error'],
    ['serviceUnavailableException', 'upstream_unavailable'],
    ['validationException', 'invalid_request'],
  ] as const)('maps %s to %s', (type, code) => {
    const translator = new ChatStreamTranslator(options());
    translator.push(start);
    const event = { [type]: { message: 'boom' } } as ConverseStreamEvent;
    expect(() => translator.push(event)).toThrow(expect.objectContaining({ code }));
  });

  it('reports a context-window validation exception as context_length_exceeded', () => {
    const translator = new ChatStreamTranslator(options());
    expect(() =>
      translator.push({ validationException: { message: 'Input is too long for requested model.' } }),
    ).toThrow(expect.objectContaining({ code: 'context_length_exceeded' }));
  });

  it('refuses to end normally when Bedrock never sent messageStop', () => {
    const translator = new ChatStreamTranslator(options());
    translator.push(start);
    translator.push(hello);
    expect(() => translator.end()).toThrow(expect.objectContaining({ code: 'upstream_error', status: 502 }));
  });

  it('exposes the finish reason and usage for metrics even without include_usage', () => {
    const translator = new ChatStreamTranslator(options());
    run(translator, [
      start,
      hello,
      { contentBlockStop: { contentBlockIndex: 0 } },
      { messageStop: { stopReason: 'max_tokens' } },
      { metadata: { usage: { inputTokens: 7, outputTokens: 9, totalTokens: 16 }, metrics: { latencyMs: 5 } } },
    ]);
    expect(translator.finishReason).toBe('length');
    expect(translator.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 9, total_tokens: 16 });
  });

  it('keeps the id, created and model constant across chunks', () => {
    const translator = new ChatStreamTranslator({
      id: 'chatcmpl-abc',
      created: 1712345678,
      model: 'acct/model "quoted"',
      plan: { includeUsage: true },
    });
    const chunks = run(translator, [
      start,
      hello,
      { messageStop: { stopReason: 'end_turn' } },
      { metadata: { usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 }, metrics: { latencyMs: 5 } } },
    ]).map((payload) => JSON.parse(payload) as ChatCompletionChunk);
    expect(chunks).toHaveLength(4);
    for (const chunk of chunks) {
      expect(chunk).toMatchObject({
        id: 'chatcmpl-abc',
        object: 'chat.completion.chunk',
        created: 1712345678,
        model: 'acct/model "quoted"',
      });
    }
  });

  it('ignores a repeated messageStop', () => {
    const translator = new ChatStreamTranslator(options());
    const stop: ConverseStreamEvent = { messageStop: { stopReason: 'end_turn' } };
    expect(run(translator, [start, stop, stop])).toHaveLength(2);
  });
});

describe('ChatStreamTranslator.pushEvent', () => {
  it('gives exactly what push gives for every golden fixture', () => {
    for (const fixture of fixtures) {
      const byObject = run(new ChatStreamTranslator(options(fixture.plan)), fixture.events);
      const byType = new ChatStreamTranslator(options(fixture.plan));
      const out: string[] = [];
      for (const event of fixture.events) {
        const [type, payload] = Object.entries(event)[0]!;
        out.push(...byType.pushEvent(type, payload));
      }
      out.push(...byType.end());
      expect(out, fixture.name).toEqual(byObject);
    }
  });

  it('throws the mapped error of an exception event and ignores unknown types', () => {
    const translator = new ChatStreamTranslator(options());
    expect(translator.pushEvent('someFutureEvent', { x: 1 })).toEqual([]);
    expect(translator.pushEvent('messageStart', { role: 'assistant' })).toHaveLength(1);
    expect(() => translator.pushEvent('throttlingException', { message: 'Too many tokens.' })).toThrow(
      expect.objectContaining({ code: 'rate_limit_exceeded', message: 'Too many tokens.' }),
    );
  });
});

describe('streamErrorPayload', () => {
  it("is OpenAI's error envelope", () => {
    const error = new GatewayError('rate_limit_exceeded', 'Slow down.');
    expect(JSON.parse(streamErrorPayload(error))).toStrictEqual({
      error: { message: 'Slow down.', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' },
    });
  });
});
