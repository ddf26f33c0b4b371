/**
 * `response_format` through the official openai SDK: native `outputConfig.textFormat` where the model has
 * it, the forced-tool technique elsewhere. Either way the JSON is `message.content`, `finish_reason` is
 * `stop`, the reserved tool never shows as `tool_calls`, and streams deliver the JSON as content deltas.
 *
 * The emulator answers native structured output, and fills forced tool calls, with a value generated
 * from the schema: a string property `p` gets `"p"`, an integer `max(minimum, 1)`, arrays one item.
 * That makes schema stripping visible: `minimum: 5` kept gives 5, stripped gives 1.
 */
import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { apiError, collect, M, useChatStack } from './chat-stack.js';

const chat = useChatStack();

const PERSON = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    age: { type: 'integer', minimum: 5, maximum: 120 },
    tags: { type: 'array', items: { type: 'string' } },
  },
  required: ['name', 'age', 'tags'],
  additionalProperties: false,
};

const SCHEMA_FORMAT: OpenAI.ResponseFormatJSONSchema = {
  type: 'json_schema',
  json_schema: { name: 'person', schema: PERSON, strict: true },
};

/** What the emulator produces for PERSON with `minimum` honoured (tool input schemas keep it). */
const WITH_MINIMUM = { name: 'name', age: 5, tags: ['tags'] };
/** ... and with `minimum`/`maximum` stripped (Anthropic native structured output refuses them). */
const STRIPPED = { name: 'name', age: 1, tags: ['tags'] };

const MESSAGES: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Describe a person as JSON' }];

async function both(
  model: string,
  response_format: OpenAI.ChatCompletionCreateParams['response_format'],
  extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {},
) {
  const { data, response } = await chat.client.chat.completions
    .create({ model, messages: MESSAGES, response_format, ...extra })
    .withResponse();
  const nonStream = { completion: data, warnings: response.headers.get('x-aigateway-warnings'), body: chat.lastBody() };
  const stream = await collect(
    await chat.client.chat.completions.create({
      model,
      messages: MESSAGES,
      response_format,
      ...extra,
      stream: true,
    } as OpenAI.ChatCompletionCreateParamsStreaming),
  );
  return { nonStream, stream, streamBody: chat.lastBody() };
}

describe('native structured output (outputConfig.textFormat)', () => {
  it.each([
    ['Claude Sonnet 4.5', M.sonnet45, STRIPPED],
    ['gpt-oss', M.gptOss, WITH_MINIMUM],
  ])('%s: JSON in content, finish stop, stream and not', async (_name, model, expected) => {
    const { nonStream, stream, streamBody } = await both(model, SCHEMA_FORMAT);
    const choice = nonStream.completion.choices[0]!;
    expect(choice.finish_reason).toBe('stop');
    expect(JSON.parse(choice.message.content!)).toEqual(expected);
    expect(choice.message.tool_calls ?? []).toEqual([]);
    const textFormat = (nonStream.body.outputConfig as { textFormat: Record<string, unknown> }).textFormat;
    expect(textFormat).toMatchObject({ type: 'json_schema', structure: { jsonSchema: { name: 'person' } } });
    // Bedrock takes the schema as a JSON string, not an object (bedrock-wire.md §2).
    const sentSchema = (textFormat.structure as { jsonSchema: { schema: unknown } }).jsonSchema.schema;
    expect(typeof sentSchema).toBe('string');
    expect(nonStream.body.toolConfig).toBeUndefined();

    expect(stream.finishReason).toBe('stop');
    expect(JSON.parse(stream.content)).toEqual(expected);
    expect(stream.toolCallDeltas).toEqual([]);
    expect(streamBody.outputConfig).toEqual(nonStream.body.outputConfig);
  });

  it('Anthropic: minimum/maximum are stripped from the schema and named in the warnings header', async () => {
    const { nonStream } = await both(M.sonnet45, SCHEMA_FORMAT);
    const textFormat = (
      nonStream.body.outputConfig as { textFormat: { structure: { jsonSchema: { schema: string } } } }
    ).textFormat;
    const sent = JSON.parse(textFormat.structure.jsonSchema.schema) as { properties: { age: Record<string, unknown> } };
    expect(sent.properties.age).toEqual({ type: 'integer' });
    expect(nonStream.warnings).toMatch(/maximum, minimum/);
    expect(nonStream.warnings).toContain(M.sonnet45);
  });
});

describe.each([
  ['Claude 3.7 Sonnet (Anthropic without native output)', M.sonnet37, { tool: { name: 'json_response' } }],
  ['Claude 3.5 Haiku', M.haiku35, { tool: { name: 'json_response' } }],
  ['Nova Lite', M.novaLite, { tool: { name: 'json_response' } }],
  ['Mistral Large (no named tool choice: any)', M.mistralLarge, { any: {} }],
])('forced-tool structured output on %s', (_name, model, choice) => {
  it('json_schema: the tool input is the content, finish stop, no tool_calls, streamed as content deltas', async () => {
    const { nonStream, stream, streamBody } = await both(model, SCHEMA_FORMAT);
    const choice0 = nonStream.completion.choices[0]!;
    expect(choice0.finish_reason).toBe('stop');
    expect(choice0.message.tool_calls ?? []).toEqual([]);
    expect(JSON.parse(choice0.message.content!)).toEqual(WITH_MINIMUM);
    const toolConfig = nonStream.body.toolConfig!;
    expect(toolConfig.toolChoice).toEqual(choice);
    expect(toolConfig.tools).toHaveLength(1);
    expect(toolConfig.tools[0]).toMatchObject({ toolSpec: { name: 'json_response', inputSchema: { json: PERSON } } });
    expect(nonStream.body.outputConfig).toBeUndefined();

    expect(stream.finishReason).toBe('stop');
    expect(stream.toolCallDeltas).toEqual([]);
    expect(JSON.parse(stream.content)).toEqual(WITH_MINIMUM);
    // Real streaming: the emulator sends the tool input in three fragments, each forwarded as it arrives.
    const contentChunks = stream.chunks.filter((c) => (c.choices[0]?.delta.content ?? '') !== '');
    expect(contentChunks.length).toBeGreaterThanOrEqual(3);
    expect(streamBody.toolConfig).toEqual(toolConfig);
  });

  it('json_object: any JSON object, through the same tool', async () => {
    const { nonStream, stream } = await both(model, { type: 'json_object' });
    expect(nonStream.completion.choices[0]!.finish_reason).toBe('stop');
    expect(JSON.parse(nonStream.completion.choices[0]!.message.content!)).toEqual({});
    expect(nonStream.completion.choices[0]!.message.tool_calls ?? []).toEqual([]);
    expect(JSON.parse(stream.content)).toEqual({});
    expect(stream.finishReason).toBe('stop');
  });
});

describe('structured output edge cases', () => {
  it('json_object on a native model still uses the tool (no schema to enforce natively)', async () => {
    const res = await chat.client.chat.completions.create({
      model: M.sonnet45,
      messages: MESSAGES,
      response_format: { type: 'json_object' },
    });
    expect(res.choices[0]!.message.content).toBe('{}');
    expect(res.choices[0]!.finish_reason).toBe('stop');
  });

  it('response_format text is a no-op', async () => {
    const res = await chat.client.chat.completions.create({
      model: M.novaLite,
      messages: MESSAGES,
      response_format: { type: 'text' },
    });
    expect(res.choices[0]!.message.content).toBe('Echo: Describe a person as JSON');
    expect(chat.lastBody().toolConfig).toBeUndefined();
  });

  it('with caller tools too: the caller’s tool call stays a tool_call, the JSON tool never leaks', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      {
        type: 'function',
        function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } },
      },
    ];
    const res = await chat.client.chat.completions.create({
      model: M.novaLite,
      tools,
      messages: [{ role: 'user', content: 'first lookup then answer [[tools:2]]' }],
      response_format: SCHEMA_FORMAT,
    });
    const calls = (res.choices[0]!.message.tool_calls ?? []) as OpenAI.ChatCompletionMessageFunctionToolCall[];
    expect(calls.map((c) => c.function.name)).toEqual(['lookup']);
    expect(res.choices[0]!.finish_reason).toBe('tool_calls');
    expect(chat.lastBody().toolConfig!.toolChoice).toEqual({ any: {} });
    const got = await collect(
      await chat.client.chat.completions.create({
        model: M.novaLite,
        tools,
        stream: true,
        messages: [{ role: 'user', content: 'first lookup then answer [[tools:2]]' }],
        response_format: SCHEMA_FORMAT,
      }),
    );
    expect(got.toolCalls.map((c) => [c.index, c.name])).toEqual([[0, 'lookup']]);
  });

  it('a non-object root schema is refused where the schema must become a tool input (400 before upstream)', async () => {
    const before = chat.callCount();
    const err = await apiError(
      chat.client.chat.completions.create({
        model: M.novaLite,
        messages: MESSAGES,
        response_format: { type: 'json_schema', json_schema: { name: 'list', schema: { type: 'array' } } },
      }),
    );
    expect(err.status).toBe(400);
    expect(err.param).toBe('response_format.json_schema.schema');
    expect(chat.callCount()).toBe(before);
  });

  it('a caller tool named like the reserved tool is refused', async () => {
    const err = await apiError(
      chat.client.chat.completions.create({
        model: M.novaLite,
        messages: MESSAGES,
        tools: [{ type: 'function', function: { name: 'json_response' } }],
        response_format: SCHEMA_FORMAT,
      }),
    );
    expect(err.status).toBe(400);
    expect(err.param).toBe('tools[0].function.name');
  });

  it('the SDK parse helper reads the content of either mode', async () => {
    for (const model of [M.sonnet45, M.novaLite]) {
      const parsed = await chat.client.chat.completions.parse({
        model,
        messages: MESSAGES,
        response_format: SCHEMA_FORMAT,
      });
      expect(parsed.choices[0]!.message.parsed).toMatchObject({ name: 'name', tags: ['tags'] });
    }
  });
});

describe('structured output with reasoning', () => {
  it('native output with thinking on Sonnet 4.5: reasoning_content plus JSON content (stream and not)', async () => {
    const request = {
      model: M.sonnet45,
      reasoning_effort: 'low' as const,
      messages: MESSAGES,
      response_format: SCHEMA_FORMAT,
    };
    const res = await chat.client.chat.completions.create(request);
    const message = res.choices[0]!.message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
    expect(message.reasoning_content).toBe('Reasoning about: Describe a person as JSON');
    expect(JSON.parse(message.content!)).toEqual(STRIPPED);
    const got = await collect(await chat.client.chat.completions.create({ ...request, stream: true }));
    expect(got.reasoning).toBe('Reasoning about: Describe a person as JSON');
    expect(JSON.parse(got.content)).toEqual(STRIPPED);
    expect(got.finishReason).toBe('stop');
  });

  it('forced-tool output with thinking (tool choice auto): the preamble text is dropped, stream and not', async () => {
    const request = {
      model: M.sonnet37,
      reasoning_effort: 'low' as const,
      // Under `auto` the emulator calls the tools the text names, after a "Calling …" preamble.
      messages: [{ role: 'user' as const, content: 'answer via json_response' }],
      response_format: SCHEMA_FORMAT,
    };
    const res = await chat.client.chat.completions.create(request);
    expect(JSON.parse(res.choices[0]!.message.content!)).toEqual(WITH_MINIMUM);
    expect(res.choices[0]!.finish_reason).toBe('stop');
    const got = await collect(await chat.client.chat.completions.create({ ...request, stream: true }));
    expect(got.reasoning).toBe('Reasoning about: answer via json_response');
    expect(JSON.parse(got.content)).toEqual(WITH_MINIMUM);
    expect(got.toolCallDeltas).toEqual([]);
    expect(got.finishReason).toBe('stop');
  });

  it('when the model answers in text instead of calling the JSON tool, that text is the content (stream and not)', async () => {
    const request = {
      model: M.sonnet37,
      reasoning_effort: 'low' as const,
      // Tool choice is auto with thinking, and this text names no tool: the emulator answers in text.
      messages: [{ role: 'user' as const, content: 'just talk' }],
      response_format: SCHEMA_FORMAT,
    };
    const res = await chat.client.chat.completions.create(request);
    expect(res.choices[0]!.message.content).toBe('Echo: just talk');
    expect(res.choices[0]!.finish_reason).toBe('stop');
    const got = await collect(await chat.client.chat.completions.create({ ...request, stream: true }));
    expect(got.content).toBe('Echo: just talk');
    expect(got.finishReason).toBe('stop');
  });

  it('caller tool and JSON tool in one turn: tool_calls for the caller, the JSON as content, stream and not', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      {
        type: 'function',
        function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } },
      },
    ];
    const request = {
      model: M.novaLite,
      tools,
      messages: [{ role: 'user' as const, content: 'both at once [[tools:2]]' }],
      response_format: SCHEMA_FORMAT,
    };
    const res = await chat.client.chat.completions.create(request);
    const calls = (res.choices[0]!.message.tool_calls ?? []) as OpenAI.ChatCompletionMessageFunctionToolCall[];
    expect(calls.map((c) => [c.function.name, c.function.arguments])).toEqual([['lookup', '{"q":"q"}']]);
    expect(JSON.parse(res.choices[0]!.message.content!)).toEqual(WITH_MINIMUM);
    expect(res.choices[0]!.finish_reason).toBe('tool_calls');
    const got = await collect(await chat.client.chat.completions.create({ ...request, stream: true }));
    expect(got.toolCalls.map((c) => [c.index, c.name, c.arguments])).toEqual([[0, 'lookup', '{"q":"q"}']]);
    expect(JSON.parse(got.content)).toEqual(WITH_MINIMUM);
    expect(got.finishReason).toBe('tool_calls');
  });
});
