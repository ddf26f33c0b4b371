/**
 * Tools through the official openai SDK against the emulator: tool definitions and every tool_choice,
 * tool calls in responses and streams, tool results sent back (merged, JSON vs text, errors), follow-ups
 * without `tools`, `tool_choice: "none"` over a tool history, and Bedrock's name limits as 400s.
 *
 * The emulator calls the tools named in the last user text (or the first N with `[[tools:N]]`, or the
 * forced one), with arguments generated from the tool's schema (a string property `p` gets `"p"`); with
 * `toolChoice: auto` it writes `Calling <names>.` first. After tool results it answers
 * `Tool results: <id>: <content>; <id> (error): <content>`.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { converseDirect } from './chat-direct.js';
import { apiError, collect, M, useChatStack } from './chat-stack.js';

const chat = useChatStack();

const WEATHER: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};
const TIME: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_time',
    description: 'Local time in a time zone',
    parameters: { type: 'object', properties: { tz: { type: 'string' }, utc: { type: 'boolean' } } },
  },
};
const TOOLS = [WEATHER, TIME];

const TOOL_USE_ID = /^tooluse_[A-Za-z0-9_-]{22}$/;

describe.each([
  ['Anthropic', M.sonnet45],
  ['Nova', M.novaLite],
  ['Mistral', M.mistralLarge],
])('tool calls on %s', (_family, model) => {
  it('non-streaming: several calls in one turn, stable ids, JSON-string arguments, finish_reason tool_calls', async () => {
    const res = await chat.client.chat.completions.create({
      model,
      tools: TOOLS,
      messages: [{ role: 'user', content: 'What is the weather and time? [[tools:2]]' }],
    });
    const choice = res.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBe('Calling get_weather, get_time.');
    const calls = choice.message.tool_calls ?? [];
    expect(calls).toHaveLength(2);
    expect(calls.map((c) => c.type)).toEqual(['function', 'function']);
    const fn = calls.map((c) => (c as OpenAI.ChatCompletionMessageFunctionToolCall).function);
    expect(fn).toEqual([
      { name: 'get_weather', arguments: '{"city":"city"}' },
      { name: 'get_time', arguments: '{"tz":"tz","utc":true}' },
    ]);
    for (const call of calls) expect(call.id).toMatch(TOOL_USE_ID);
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);

    const sent = chat.lastBody().toolConfig!;
    expect(sent.tools.map((t) => (t.toolSpec as { name: string }).name)).toEqual(['get_weather', 'get_time']);
    expect(sent.tools[0]).toEqual({
      toolSpec: {
        name: 'get_weather',
        description: 'Current weather in a city',
        inputSchema: { json: WEATHER.function.parameters },
      },
    });
  });

  it('streaming: dense indexes from 0, id and name on the first delta of each call, argument fragments after', async () => {
    const stream = await chat.client.chat.completions.create({
      model,
      stream: true,
      tools: TOOLS,
      messages: [{ role: 'user', content: 'Weather and time please [[tools:2]]' }],
    });
    const got = await collect(stream);
    expect(got.finishReason).toBe('tool_calls');
    expect(got.content).toBe('Calling get_weather, get_time.');
    // Every chunk is choice 0 whatever Bedrock's content-block index was (LiteLLM PR #19506).
    for (const chunk of got.chunks) for (const c of chunk.choices) expect(c.index).toBe(0);
    expect(got.toolCalls.map((c) => [c.index, c.name, c.arguments])).toEqual([
      [0, 'get_weather', '{"city":"city"}'],
      [1, 'get_time', '{"tz":"tz","utc":true}'],
    ]);
    for (const call of got.toolCalls) expect(call.id).toMatch(TOOL_USE_ID);
    for (const index of [0, 1]) {
      const deltas = got.toolCallDeltas.filter((d) => d.index === index);
      expect(deltas[0]).toMatchObject({ index, type: 'function', function: { name: expect.any(String) } });
      expect(deltas[0]!.id).toMatch(TOOL_USE_ID);
      // Fragments come after the opening delta and carry neither id nor name.
      expect(deltas.length).toBeGreaterThan(1);
      for (const d of deltas.slice(1)) {
        expect(d.id).toBeUndefined();
        expect(d.function?.name).toBeUndefined();
        expect(typeof d.function?.arguments).toBe('string');
      }
    }
  });

  it('the SDK stream helper accumulates the same tool calls as the non-streaming response', async () => {
    const final = await chat.client.chat.completions
      .stream({ model, tools: TOOLS, messages: [{ role: 'user', content: 'use get_time now' }] })
      .finalChatCompletion();
    const calls = final.choices[0]!.message.tool_calls as OpenAI.ChatCompletionMessageFunctionToolCall[];
    expect(calls.map((c) => [c.function.name, JSON.parse(c.function.arguments)])).toEqual([
      ['get_time', { tz: 'tz', utc: true }],
    ]);
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
  });
});

describe('tool_choice', () => {
  it.each([
    ['Anthropic', M.sonnet45],
    ['Nova', M.novaLite],
  ])('required becomes toolChoice any on %s: a tool is called, no preamble', async (_f, model) => {
    for (const stream of [false, true]) {
      const req = {
        model,
        tools: TOOLS,
        tool_choice: 'required' as const,
        messages: [{ role: 'user' as const, content: 'hello' }],
      };
      if (stream) {
        const got = await collect(await chat.client.chat.completions.create({ ...req, stream: true }));
        expect(got.toolCalls.map((c) => c.name)).toEqual(['get_weather']);
        expect(got.finishReason).toBe('tool_calls');
      } else {
        const res = await chat.client.chat.completions.create(req);
        const calls = res.choices[0]!.message.tool_calls as OpenAI.ChatCompletionMessageFunctionToolCall[];
        expect(calls.map((c) => c.function.name)).toEqual(['get_weather']);
        expect(res.choices[0]!.message.content).toBeNull();
      }
      expect(chat.lastBody().toolConfig!.toolChoice).toEqual({ any: {} });
    }
  });

  it.each([
    ['Anthropic', M.sonnet45],
    ['Nova', M.novaPro],
  ])('a named function becomes toolChoice tool on %s', async (_f, model) => {
    const res = await chat.client.chat.completions.create({
      model,
      tools: TOOLS,
      tool_choice: { type: 'function', function: { name: 'get_time' } },
      messages: [{ role: 'user', content: 'get_weather is what I would like' }],
    });
    const calls = res.choices[0]!.message.tool_calls as OpenAI.ChatCompletionMessageFunctionToolCall[];
    expect(calls.map((c) => c.function.name)).toEqual(['get_time']);
    expect(chat.lastBody().toolConfig!.toolChoice).toEqual({ tool: { name: 'get_time' } });
  });

  it('auto is sent as toolChoice auto', async () => {
    await chat.client.chat.completions.create({
      model: M.novaLite,
      tools: TOOLS,
      tool_choice: 'auto',
      messages: [{ role: 'user', content: 'nothing to call here' }],
    });
    expect(chat.lastBody().toolConfig!.toolChoice).toEqual({ auto: {} });
  });

  it('required and named choices are refused with a 400 naming the model where Bedrock has no forced tool use (Llama)', async () => {
    const before = chat.callCount();
    for (const tool_choice of ['required', { type: 'function', function: { name: 'get_time' } }] as const) {
      const err = await apiError(
        chat.client.chat.completions.create({
          model: M.llama33,
          tools: TOOLS,
          tool_choice,
          messages: [{ role: 'user', content: 'x' }],
        }),
      );
      expect(err.status).toBe(400);
      expect(err.param).toBe('tool_choice');
      expect(err.message).toContain(M.llama33);
    }
    expect(chat.callCount()).toBe(before);
    // auto works on the same model.
    const res = await chat.client.chat.completions.create({
      model: M.llama33,
      tools: TOOLS,
      messages: [{ role: 'user', content: 'call get_weather' }],
    });
    expect(res.choices[0]!.finish_reason).toBe('tool_calls');
  });
});

/** Runs turn 1 (two tool calls) and returns the assistant message to replay. */
async function firstTurn(model: string): Promise<OpenAI.ChatCompletionMessage> {
  const res = await chat.client.chat.completions.create({
    model,
    tools: TOOLS,
    messages: [{ role: 'user', content: 'weather and time [[tools:2]]' }],
  });
  expect(res.choices[0]!.message.tool_calls).toHaveLength(2);
  return res.choices[0]!.message;
}

function ids(message: OpenAI.ChatCompletionMessage): [string, string] {
  const calls = message.tool_calls ?? [];
  return [calls[0]!.id, calls[1]!.id];
}

describe.each([
  ['Anthropic', M.sonnet45],
  ['Nova', M.novaLite],
])('tool results on %s', (_family, model) => {
  it('consecutive tool messages become one user turn; JSON and text kept apart; is_error → status error', async () => {
    const assistant = await firstTurn(model);
    const [weatherId, timeId] = ids(assistant);
    for (const stream of [false, true]) {
      const messages: OpenAI.ChatCompletionMessageParam[] = [
        { role: 'user', content: 'weather and time [[tools:2]]' },
        assistant,
        { role: 'tool', tool_call_id: weatherId, content: '{"temp": 21, "sky": "clear"}' },
        {
          role: 'tool',
          tool_call_id: timeId,
          content: 'clock offline',
          is_error: true,
        } as OpenAI.ChatCompletionToolMessageParam,
      ];
      const expected = `Tool results: ${weatherId}: {"temp":21,"sky":"clear"}; ${timeId} (error): clock offline`;
      if (stream) {
        const got = await collect(
          await chat.client.chat.completions.create({ model, tools: TOOLS, messages, stream: true }),
        );
        expect(got.content).toBe(expected);
        expect(got.finishReason).toBe('stop');
      } else {
        const res = await chat.client.chat.completions.create({ model, tools: TOOLS, messages });
        expect(res.choices[0]!.message.content).toBe(expected);
        expect(res.choices[0]!.finish_reason).toBe('stop');
      }
      const body = chat.lastBody();
      expect(body.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
      expect(body.messages[1]!.content.filter((b) => 'toolUse' in b)).toHaveLength(2);
      expect(body.messages[2]!.content).toEqual([
        { toolResult: { toolUseId: weatherId, content: [{ json: { temp: 21, sky: 'clear' } }] } },
        { toolResult: { toolUseId: timeId, content: [{ text: 'clock offline' }], status: 'error' } },
      ]);
    }
  });

  it('a follow-up that omits tools still works: toolConfig derived from the history', async () => {
    const assistant = await firstTurn(model);
    const [weatherId, timeId] = ids(assistant);
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'weather and time [[tools:2]]' },
      assistant,
      { role: 'tool', tool_call_id: weatherId, content: 'sunny' },
      { role: 'tool', tool_call_id: timeId, content: [{ type: 'text', text: '10:00' }] },
    ];
    const res = await chat.client.chat.completions.create({ model, messages });
    expect(res.choices[0]!.message.content).toBe(`Tool results: ${weatherId}: sunny; ${timeId}: 10:00`);
    const tools = chat.lastBody().toolConfig!.tools.map((t) => (t.toolSpec as { name: string }).name);
    expect(tools).toEqual(['get_weather', 'get_time']);
    const got = await collect(await chat.client.chat.completions.create({ model, messages, stream: true }));
    expect(got.content).toBe(`Tool results: ${weatherId}: sunny; ${timeId}: 10:00`);
  });

  it('tool_choice none over a tool history: no tool is offered, the history stays valid, the model answers in text', async () => {
    const assistant = await firstTurn(model);
    const [weatherId, timeId] = ids(assistant);
    const messages: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'user', content: 'weather and time [[tools:2]]' },
      assistant,
      { role: 'tool', tool_call_id: weatherId, content: 'sunny' },
      { role: 'tool', tool_call_id: timeId, content: '10:00' },
      { role: 'assistant', content: 'Sunny at ten.' },
      // Would trigger get_weather if any tool were offered.
      { role: 'user', content: 'and get_weather again? [[tools:1]]' },
    ];
    for (const stream of [false, true]) {
      const req = { model, tools: TOOLS, tool_choice: 'none' as const, messages };
      let content: string | null;
      let finish: string | null;
      if (stream) {
        const got = await collect(await chat.client.chat.completions.create({ ...req, stream: true }));
        expect(got.toolCalls).toEqual([]);
        content = got.content;
        finish = got.finishReason;
      } else {
        const res = await chat.client.chat.completions.create(req);
        expect(res.choices[0]!.message.tool_calls ?? []).toEqual([]);
        content = res.choices[0]!.message.content;
        finish = res.choices[0]!.finish_reason;
      }
      expect(finish).toBe('stop');
      expect(content).toBe('Echo: and get_weather again?');
      const body = chat.lastBody();
      expect(body.toolConfig).toBeUndefined();
      const blocks = body.messages.flatMap((m) => m.content);
      expect(blocks.some((b) => 'toolUse' in b || 'toolResult' in b)).toBe(false);
      // The earlier calls and results are still in the conversation, as text.
      expect(JSON.stringify(body.messages)).toContain(weatherId);
      expect(JSON.stringify(body.messages)).toContain('sunny');
    }
  });
});

describe('tool_choice none without history', () => {
  it('sends no toolConfig and gets a plain answer', async () => {
    const res = await chat.client.chat.completions.create({
      model: M.sonnet45,
      tools: TOOLS,
      tool_choice: 'none',
      messages: [{ role: 'user', content: 'get_weather please' }],
    });
    expect(res.choices[0]!.message.content).toBe('Echo: get_weather please');
    expect(res.choices[0]!.message.tool_calls ?? []).toEqual([]);
    expect(chat.lastBody().toolConfig).toBeUndefined();
  });
});

describe('tool definitions are checked against Bedrock limits before any upstream call', () => {
  it.each([
    ['a space in the name', 'get weather'],
    ['a dot in the name', 'weather.get'],
    ['65 characters', 'a'.repeat(65)],
    ['an empty name', ''],
  ])('refuses %s with a 400 on tools[1].function.name', async (_what, name) => {
    const before = chat.callCount();
    for (const stream of [false, true]) {
      const err = await apiError(
        chat.client.chat.completions.create({
          model: M.sonnet45,
          stream,
          tools: [WEATHER, { type: 'function', function: { name, parameters: { type: 'object' } } }],
          messages: [{ role: 'user', content: 'x' }],
        }),
      );
      expect(err.status).toBe(400);
      expect(err.param).toBe('tools[1].function.name');
      expect(err.type).toBe('invalid_request_error');
    }
    expect(chat.callCount()).toBe(before);
  });

  it('accepts the longest legal name and omits an empty description (Bedrock refuses empty ones)', async () => {
    const name = `a-${'b_'.repeat(31)}`;
    expect(name).toHaveLength(64);
    const res = await chat.client.chat.completions.create({
      model: M.novaLite,
      tools: [{ type: 'function', function: { name, description: '' } }],
      tool_choice: 'required',
      messages: [{ role: 'user', content: 'x' }],
    });
    const calls = res.choices[0]!.message.tool_calls as OpenAI.ChatCompletionMessageFunctionToolCall[];
    expect(calls[0]!.function).toEqual({ name, arguments: '{}' });
    expect(chat.lastBody().toolConfig!.tools[0]).toEqual({
      toolSpec: { name, inputSchema: { json: { type: 'object', properties: {} } } },
    });
  });

  it('refuses duplicate names, non-object parameters and tools on a model without tool use', async () => {
    const dup = await apiError(
      chat.client.chat.completions.create({
        model: M.sonnet45,
        tools: [WEATHER, WEATHER],
        messages: [{ role: 'user', content: 'x' }],
      }),
    );
    expect([dup.status, dup.param]).toEqual([400, 'tools[1].function.name']);
    const array = await apiError(
      chat.client.chat.completions.create({
        model: M.sonnet45,
        tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'array' } } }],
        messages: [{ role: 'user', content: 'x' }],
      }),
    );
    expect([array.status, array.param]).toEqual([400, 'tools[0].function.parameters']);
    const titan = await apiError(
      chat.client.chat.completions.create({
        model: M.titanText,
        tools: TOOLS,
        messages: [{ role: 'user', content: 'x' }],
      }),
    );
    expect([titan.status, titan.param]).toEqual([400, 'tools']);
    expect(titan.message).toContain(M.titanText);
  });

  it('refuses tool-call arguments that are not a JSON object in the history', async () => {
    const err = await apiError(
      chat.client.chat.completions.create({
        model: M.sonnet45,
        tools: TOOLS,
        messages: [
          { role: 'user', content: 'x' },
          {
            role: 'assistant',
            tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{not json' } }],
          },
          { role: 'tool', tool_call_id: 'call_1', content: 'r' },
        ],
      }),
    );
    expect([err.status, err.param]).toEqual([400, 'messages[1].tool_calls[0].function.arguments']);
  });
});

describe('OpenAI-minted tool call ids round-trip', () => {
  it('call ids from another provider (call_…) and odd characters are accepted and paired consistently', async () => {
    const res = await chat.client.chat.completions.create({
      model: M.sonnet45,
      tools: TOOLS,
      messages: [
        { role: 'user', content: 'x' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_abc123', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } },
            { id: 'call/with spaces', type: 'function', function: { name: 'get_time', arguments: '' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_abc123', content: 'rain' },
        { role: 'tool', tool_call_id: 'call/with spaces', content: 'noon' },
      ],
    });
    const text = res.choices[0]!.message.content!;
    expect(text).toMatch(/^Tool results: call_abc123: rain; \S+: noon$/);
    const uses = chat.lastBody().messages[1]!.content.map((b) => (b.toolUse as { toolUseId: string }).toolUseId);
    const results = chat.lastBody().messages[2]!.content.map((b) => (b.toolResult as { toolUseId: string }).toolUseId);
    expect(results).toEqual(uses);
    expect(uses[1]).toMatch(/^[a-zA-Z0-9_.:-]+$/);
  });
});

describe('tool loop details', () => {
  it('a tool without parameters gets arguments "{}" (stream and not), as OpenAI clients expect to JSON.parse them', async () => {
    const ping: OpenAI.ChatCompletionTool = { type: 'function', function: { name: 'ping' } };
    for (const model of [M.sonnet45, M.novaLite]) {
      const res = await chat.client.chat.completions.create({
        model,
        tools: [ping],
        tool_choice: 'required',
        messages: [{ role: 'user', content: 'x' }],
      });
      const call = res.choices[0]!.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
      expect(call.function).toEqual({ name: 'ping', arguments: '{}' });
      const got = await collect(
        await chat.client.chat.completions.create({
          model,
          stream: true,
          tools: [ping],
          tool_choice: 'required',
          messages: [{ role: 'user', content: 'x' }],
        }),
      );
      expect(got.toolCalls.map((c) => [c.index, c.name, c.arguments])).toEqual([[0, 'ping', '{}']]);
    }
  });

  it('straight to Bedrock, Claude refuses text before the tool results of the answering turn', async () => {
    const turn = (...first: Record<string, unknown>[]) => ({
      toolConfig: { tools: [{ toolSpec: { name: 'get_weather', inputSchema: { json: { type: 'object' } } } }] },
      messages: [
        { role: 'user', content: [{ text: 'weather' }] },
        { role: 'assistant', content: [{ toolUse: { toolUseId: 'tooluse_1', name: 'get_weather', input: {} } }] },
        { role: 'user', content: first },
      ],
    });
    const result = { toolResult: { toolUseId: 'tooluse_1', content: [{ text: 'sunny' }] } };
    const refused = await converseDirect(
      chat,
      'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
      turn({ text: 'hurry up' }, result),
    );
    expect(refused).toMatchObject({
      ok: false,
      name: 'ValidationException',
      status: 400,
      message:
        'messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: tooluse_1. Each `tool_use` block must have a corresponding `tool_result` block in the next message.',
    });
    expect(
      await converseDirect(
        chat,
        'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
        turn(result, { text: 'hurry up' }),
      ),
    ).toMatchObject({ ok: true });
  });

  it('a user message between the tool calls and their results is placed after the results (Anthropic requires results first)', async () => {
    const assistant = await firstTurn(M.sonnet45);
    const [weatherId, timeId] = ids(assistant);
    const res = await chat.client.chat.completions.create({
      model: M.sonnet45,
      tools: TOOLS,
      messages: [
        { role: 'user', content: 'weather and time [[tools:2]]' },
        assistant,
        { role: 'user', content: 'hurry up' },
        { role: 'tool', tool_call_id: weatherId, content: 'sunny' },
        { role: 'tool', tool_call_id: timeId, content: 'noon' },
      ],
    });
    expect(res.choices[0]!.message.content).toBe(`Tool results: ${weatherId}: sunny; ${timeId}: noon`);
    expect(chat.lastBody().messages[2]!.content.map((b) => Object.keys(b)[0])).toEqual([
      'toolResult',
      'toolResult',
      'text',
    ]);
  });

  it('JSON arrays and scalars stay text; an image in a tool result is an image block inside the result', async () => {
    const assistant = await firstTurn(M.sonnet45);
    const [weatherId, timeId] = ids(assistant);
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(16, 1)]);
    const res = await chat.client.chat.completions.create({
      model: M.sonnet45,
      tools: TOOLS,
      messages: [
        { role: 'user', content: 'weather and time [[tools:2]]' },
        assistant,
        { role: 'tool', tool_call_id: weatherId, content: '[1, 2, 3]' },
        {
          role: 'tool',
          tool_call_id: timeId,
          content: [
            { type: 'text', text: 'a clock face:' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${png.toString('base64')}` } },
          ],
        } as unknown as OpenAI.ChatCompletionToolMessageParam,
      ],
    });
    expect(res.choices[0]!.message.content).toBe(
      `Tool results: ${weatherId}: [1, 2, 3]; ${timeId}: a clock face: [image]`,
    );
    expect(chat.lastBody().messages[2]!.content).toEqual([
      { toolResult: { toolUseId: weatherId, content: [{ text: '[1, 2, 3]' }] } },
      {
        toolResult: {
          toolUseId: timeId,
          content: [{ text: 'a clock face:' }, { image: { format: 'png', source: { bytes: png.toString('base64') } } }],
        },
      },
    ]);
  });

  it('an empty error result gets a text (Bedrock refuses empty error results); an empty success stays empty', async () => {
    const assistant = await firstTurn(M.novaLite);
    const [weatherId, timeId] = ids(assistant);
    const res = await chat.client.chat.completions.create({
      model: M.novaLite,
      tools: TOOLS,
      messages: [
        { role: 'user', content: 'weather and time [[tools:2]]' },
        assistant,
        { role: 'tool', tool_call_id: weatherId, content: '', is_error: true } as OpenAI.ChatCompletionToolMessageParam,
        { role: 'tool', tool_call_id: timeId, content: '' },
      ],
    });
    expect(res.choices[0]!.message.content).toBe(
      `Tool results: ${weatherId} (error): The tool call failed.; ${timeId}: `,
    );
  });
});

describe('a stream that breaks during a tool call', () => {
  it('ends with an error the SDK raises, never a finish_reason for a half-streamed call', async () => {
    await fetch(`${chat.stack.emulator.url}/_emulator/faults`, {
      method: 'POST',
      // messageStart, text deltas, then the tool call's start and first fragment: break after that.
      body: JSON.stringify({ type: 'stream-error', afterEvents: 7, count: 1 }),
    });
    const stream = await chat.client.chat.completions.create({
      model: M.sonnet45,
      stream: true,
      tools: TOOLS,
      messages: [{ role: 'user', content: 'call get_weather' }],
    });
    const seen: OpenAI.ChatCompletionChunk[] = [];
    const error = await (async () => {
      try {
        for await (const chunk of stream) seen.push(chunk);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(seen.some((c) => c.choices[0]?.delta.tool_calls)).toBe(true);
    expect(seen.some((c) => c.choices[0]?.finish_reason)).toBe(false);
    await fetch(`${chat.stack.emulator.url}/_emulator/faults`, { method: 'DELETE' });
  });
});

describe('the SSE wire of a tool-call stream', () => {
  it('role chunk, text, tool-call deltas, an empty-delta finish chunk, the usage chunk, then [DONE]; one id throughout', async () => {
    const res = await fetch(`${chat.stack.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-aigw-demo-0000000000000000', 'content-type': 'application/json' },
      body: JSON.stringify({
        model: M.novaLite,
        stream: true,
        stream_options: { include_usage: true },
        tools: TOOLS,
        messages: [{ role: 'user', content: 'weather and time [[tools:2]]' }],
      }),
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = (await res.text())
      .split('\n\n')
      .filter((e) => e.length > 0)
      .map((e) => e.replace(/^data: /, ''));
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as OpenAI.ChatCompletionChunk);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks.every((c) => c.model === M.novaLite && c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0]!.choices[0]!.delta).toEqual({ role: 'assistant', content: '' });
    const usage = chunks.at(-1)!;
    expect(usage.choices).toEqual([]);
    expect(usage.usage!.total_tokens).toBe(usage.usage!.prompt_tokens + usage.usage!.completion_tokens);
    const finish = chunks.at(-2)!;
    expect(finish.choices[0]).toMatchObject({ index: 0, delta: {}, finish_reason: 'tool_calls' });
    for (const chunk of chunks.slice(0, -1)) expect(chunk.usage).toBeNull();
    const kinds = chunks.slice(1, -2).map((c) => (c.choices[0]!.delta.tool_calls ? 'tool' : 'text'));
    // All text first, then every tool delta: the order Bedrock produced.
    expect(kinds.join(',')).toMatch(/^(text,)*tool(,tool)*$/);
  });
});
