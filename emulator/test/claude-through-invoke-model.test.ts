/**
 * Claude through InvokeModel / InvokeModelWithResponseStream with the Anthropic Messages body, driven by
 * the official Bedrock runtime SDK: the reply has the Messages shape, matches what Converse answers for
 * the same prompt, streams Anthropic's events, and the body is refused as Bedrock and Anthropic refuse it.
 */
import {
  BedrockRuntimeClient,
  ConverseCommand,
  CountTokensCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../src/index.js';

const CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const API_KEY = 'ABSKRW11bGF0b3JEZW1vS2V5';
const SONNET = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const HAIKU3 = 'anthropic.claude-3-haiku-20240307-v1:0';
const VERSION = 'bedrock-2023-05-31';
const WEATHER_TOOL = {
  name: 'get_weather',
  description: 'Weather of a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

interface NativeReply {
  id: string;
  type: string;
  role: string;
  model: string;
  content: Record<string, unknown>[];
  stop_reason: string;
  stop_sequence: string | null;
  usage: Record<string, number>;
}

let emu: RunningEmulator;
let client: BedrockRuntimeClient;

beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  client = new BedrockRuntimeClient({
    endpoint: emu.url,
    region: 'us-east-1',
    credentials: CREDENTIALS,
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client.destroy();
  await emu.close();
});

async function invoke(body: Record<string, unknown>, modelId = SONNET): Promise<NativeReply> {
  const out = await client.send(
    new InvokeModelCommand({ modelId, contentType: 'application/json', body: JSON.stringify(body) }),
  );
  expect(out.contentType).toBe('application/json');
  return JSON.parse(new TextDecoder().decode(out.body)) as NativeReply;
}

async function invokeStream(body: Record<string, unknown>, modelId = SONNET): Promise<Record<string, unknown>[]> {
  const out = await client.send(
    new InvokeModelWithResponseStreamCommand({ modelId, contentType: 'application/json', body: JSON.stringify(body) }),
  );
  const events: Record<string, unknown>[] = [];
  for await (const event of out.body ?? []) {
    if (event.chunk?.bytes) events.push(JSON.parse(new TextDecoder().decode(event.chunk.bytes)));
  }
  return events;
}

async function refusal(body: unknown, modelId = SONNET): Promise<string> {
  try {
    await client.send(new InvokeModelCommand({ modelId, contentType: 'application/json', body: JSON.stringify(body) }));
  } catch (error) {
    expect((error as { name: string }).name).toBe('ValidationException');
    expect((error as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(400);
    return (error as Error).message;
  }
  throw new Error('expected a ValidationException');
}

const base = (extra: Record<string, unknown> = {}) => ({
  anthropic_version: VERSION,
  max_tokens: 256,
  messages: [{ role: 'user', content: 'hello there' }],
  ...extra,
});

describe('Claude InvokeModel replies', () => {
  it('answers the Messages shape with the same text and usage as Converse', async () => {
    const reply = await invoke(base());
    expect(reply).toEqual({
      id: expect.stringMatching(/^msg_bdrk_01[A-Za-z0-9]{24}$/),
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5-20250929',
      content: [{ type: 'text', text: 'Echo: hello there' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 3, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 5 },
    });
    const converse = await client.send(
      new ConverseCommand({ modelId: SONNET, messages: [{ role: 'user', content: [{ text: 'hello there' }] }] }),
    );
    expect(converse.output?.message?.content?.[0]?.text).toBe((reply.content[0] as { text: string }).text);
    expect(converse.usage?.inputTokens).toBe(reply.usage.input_tokens);
    expect(converse.usage?.outputTokens).toBe(reply.usage.output_tokens);
  });

  it('reports token counts and latency in the Bedrock headers; content blocks and a system prompt work too', async () => {
    const res = await fetch(`${emu.url}/model/${encodeURIComponent(HAIKU3)}/invoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify(
        base({
          system: [{ type: 'text', text: 'Be brief.' }],
          messages: [{ role: 'user', content: [{ type: 'text', text: 'one two' }] }],
        }),
      ),
    });
    expect(res.status).toBe(200);
    const reply = (await res.json()) as NativeReply;
    expect(reply.model).toBe('claude-3-haiku-20240307');
    expect(reply.content).toEqual([{ type: 'text', text: 'Echo: one two' }]);
    // "Be brief." 9 chars → 3 tokens, "one two" 7 → 2; "Echo: one two" 13 → 4.
    expect(res.headers.get('x-amzn-bedrock-input-token-count')).toBe('5');
    expect(res.headers.get('x-amzn-bedrock-output-token-count')).toBe('4');
    expect(Number(res.headers.get('x-amzn-bedrock-invocation-latency'))).toBeGreaterThan(0);
  });

  it('CountTokens counts an InvokeModel body as the reply bills it', async () => {
    const body = base({ system: 'You are terse.', messages: [{ role: 'user', content: 'count these tokens please' }] });
    const counted = await client.send(
      new CountTokensCommand({
        modelId: 'anthropic.claude-sonnet-4-5-20250929-v1:0',
        input: { invokeModel: { body: new TextEncoder().encode(JSON.stringify(body)) } },
      }),
    );
    const reply = await invoke(body);
    expect(counted.inputTokens).toBe(reply.usage.input_tokens);
    expect(counted.inputTokens).toBe(11);
    const missing = await fetch(
      `${emu.url}/model/${encodeURIComponent('anthropic.claude-sonnet-4-5-20250929-v1:0')}/count-tokens`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ input: { invokeModel: {} } }),
      },
    );
    expect(missing.status).toBe(400);
    expect(await missing.json()).toEqual({
      message:
        "1 validation error detected: Value null at 'input.invokeModel.body' failed to satisfy constraint: Member must not be null",
    });
  });

  it('stops at a stop sequence and at max_tokens', async () => {
    const stopped = await invoke(
      base({ messages: [{ role: 'user', content: '[[reply:alpha STOP beta]]' }], stop_sequences: ['STOP'] }),
    );
    expect(stopped.content).toEqual([{ type: 'text', text: 'alpha ' }]);
    expect(stopped).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: 'STOP' });
    const cut = await invoke(base({ max_tokens: 2, messages: [{ role: 'user', content: 'a long prompt here' }] }));
    expect(cut.content).toEqual([{ type: 'text', text: 'Echo: a ' }]);
    expect(cut).toMatchObject({ stop_reason: 'max_tokens', usage: { output_tokens: 2 } });
  });

  it('runs a tool loop: tool_use with schema input, then the tool_result is answered', async () => {
    const first = await invoke(
      base({ tools: [WEATHER_TOOL], messages: [{ role: 'user', content: 'use get_weather please' }] }),
    );
    expect(first.stop_reason).toBe('tool_use');
    const call = first.content.find((b) => b.type === 'tool_use') as { id: string; name: string; input: unknown };
    expect(call).toMatchObject({ id: expect.stringMatching(/^toolu_bdrk_01/), name: 'get_weather' });
    expect(call.input).toEqual({ city: expect.any(String) });
    const second = await invoke(
      base({
        tools: [WEATHER_TOOL],
        messages: [
          { role: 'user', content: 'use get_weather please' },
          { role: 'assistant', content: first.content },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'sunny' }] },
        ],
      }),
    );
    expect(second.content).toEqual([{ type: 'text', text: `Tool results: ${call.id}: sunny` }]);
    expect(second.stop_reason).toBe('end_turn');
  });

  it('tool_choice none keeps the tools in the prompt but calls none', async () => {
    const body = base({ tools: [WEATHER_TOOL], messages: [{ role: 'user', content: 'use get_weather please' }] });
    const auto = await invoke(body);
    const none = await invoke({ ...body, tool_choice: { type: 'none' } });
    expect(auto.stop_reason).toBe('tool_use');
    expect(none).toMatchObject({
      stop_reason: 'end_turn',
      content: [{ type: 'text', text: 'Echo: use get_weather please' }],
    });
    expect(none.usage.input_tokens).toBe(auto.usage.input_tokens);
  });

  it('thinks when asked, signs the thinking, and refuses it altered when sent back', async () => {
    const body = base({
      max_tokens: 2048,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      tools: [WEATHER_TOOL],
      messages: [{ role: 'user', content: 'use get_weather' }],
    });
    const reply = await invoke(body);
    expect(reply.content[0]).toEqual({
      type: 'thinking',
      thinking: 'Reasoning about: use get_weather',
      signature: expect.any(String),
    });
    const call = reply.content.find((b) => b.type === 'tool_use') as { id: string };
    const history = (content: unknown) => [
      { role: 'user', content: 'use get_weather' },
      { role: 'assistant', content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'rain' }] },
    ];
    const next = await invoke({ ...body, messages: history(reply.content) });
    expect(next.content.at(-1)).toEqual({ type: 'text', text: `Tool results: ${call.id}: rain` });
    const altered = reply.content.map((b) => (b.type === 'thinking' ? { ...b, thinking: 'something else' } : b));
    expect(await refusal({ ...body, messages: history(altered) })).toBe(
      'messages.1.content.0: Invalid `signature` in `thinking` block',
    );
  });

  it('caches a prompt prefix marked with cache_control: written first, read next', async () => {
    const body = base({
      system: [{ type: 'text', text: 'x'.repeat(5000), cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: 'cache me' }],
    });
    const first = await invoke(body);
    const second = await invoke(body);
    // 5000 chars = 1250 tokens ≥ Sonnet 4.5's 1,024-token minimum.
    expect(first.usage).toMatchObject({ cache_creation_input_tokens: 1250, cache_read_input_tokens: 0 });
    expect(second.usage).toMatchObject({ cache_creation_input_tokens: 0, cache_read_input_tokens: 1250 });
  });
});

describe('Claude InvokeModelWithResponseStream', () => {
  it('streams Anthropic events as chunks; the last carries the invocation metrics', async () => {
    const events = await invokeStream(base({ messages: [{ role: 'user', content: 'one two three four five' }] }));
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('message_start');
    expect(types[1]).toBe('content_block_start');
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    const text = events
      .filter((e) => e.type === 'content_block_delta')
      .map((e) => (e.delta as { text: string }).text)
      .join('');
    expect(text).toBe('Echo: one two three four five');
    expect(events[0]).toMatchObject({
      message: { type: 'message', role: 'assistant', model: 'claude-sonnet-4-5-20250929', content: [] },
    });
    expect(events.at(-2)).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: 8 },
    });
    expect(events.at(-1)).toEqual({
      type: 'message_stop',
      'amazon-bedrock-invocationMetrics': {
        inputTokenCount: 6,
        outputTokenCount: 8,
        invocationLatency: expect.any(Number),
        firstByteLatency: expect.any(Number),
      },
    });
  });

  it('streams a tool call as content_block_start then input_json_delta fragments that form the input', async () => {
    const events = await invokeStream(
      base({ tools: [WEATHER_TOOL], tool_choice: { type: 'tool', name: 'get_weather' } }),
    );
    const start = events.find(
      (e) => e.type === 'content_block_start' && (e.content_block as { type: string }).type === 'tool_use',
    );
    expect(start).toMatchObject({ content_block: { type: 'tool_use', name: 'get_weather', input: {} } });
    const json = events
      .filter((e) => e.type === 'content_block_delta' && (e.delta as { type: string }).type === 'input_json_delta')
      .map((e) => (e.delta as { partial_json: string }).partial_json)
      .join('');
    expect(JSON.parse(json)).toEqual({ city: expect.any(String) });
    expect(events.find((e) => e.type === 'message_delta')).toMatchObject({ delta: { stop_reason: 'tool_use' } });
  });

  it('streams thinking as thinking_delta then signature_delta', async () => {
    const events = await invokeStream(base({ max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 1024 } }));
    const deltaTypes = events
      .filter((e) => e.type === 'content_block_delta' && e.index === 0)
      .map((e) => (e.delta as { type: string }).type);
    expect(deltaTypes.at(-1)).toBe('signature_delta');
    expect(deltaTypes.slice(0, -1).every((t) => t === 'thinking_delta')).toBe(true);
  });
});

describe('Claude InvokeModel bodies refused as Bedrock and Anthropic refuse them', () => {
  const cases: { name: string; body: unknown; message: string; model?: string }[] = [
    {
      name: 'no max_tokens',
      body: { anthropic_version: VERSION, messages: [{ role: 'user', content: 'hi' }] },
      message:
        'Malformed input request: #: required key [max_tokens] not found, please reformat your input and try again.',
    },
    {
      name: 'no anthropic_version',
      body: { max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] },
      message:
        'Malformed input request: #: required key [anthropic_version] not found, please reformat your input and try again.',
    },
    {
      name: 'an unknown key',
      body: base({ top_n: 3 }),
      message:
        'Malformed input request: #: extraneous key [top_n] is not permitted, please reformat your input and try again.',
    },
    {
      name: 'max_tokens below 1',
      body: base({ max_tokens: 0 }),
      message:
        'Malformed input request: #/max_tokens: 0 is not greater or equal to 1, please reformat your input and try again.',
    },
    {
      name: 'max_tokens above the model limit',
      body: base({ max_tokens: 64_001 }),
      message:
        'The maximum tokens you requested exceeds the model limit of 64000. Try again with a maximum tokens value that is lower than 64000.',
    },
    {
      name: 'roles that do not alternate',
      body: base({
        messages: [
          { role: 'user', content: 'a' },
          { role: 'user', content: 'b' },
        ],
      }),
      message:
        'messages: roles must alternate between "user" and "assistant", but found multiple "user" roles in a row',
    },
    {
      name: 'a first message from the assistant',
      body: base({ messages: [{ role: 'assistant', content: 'a' }] }),
      message: 'messages: first message must use the "user" role',
    },
    {
      name: 'no messages',
      body: base({ messages: [] }),
      message: 'messages: at least one message is required',
    },
    {
      name: 'an empty text block',
      body: base({ messages: [{ role: 'user', content: [{ type: 'text', text: '' }] }] }),
      message: 'messages: text content blocks must be non-empty',
    },
    {
      name: 'a whitespace-only text block',
      body: base({ messages: [{ role: 'user', content: [{ type: 'text', text: '  ' }] }] }),
      message: 'messages: text content blocks must contain non-whitespace text',
    },
    {
      name: 'an empty user message',
      body: base({ messages: [{ role: 'user', content: [] }] }),
      message: 'messages.0: all messages must have non-empty content except for the optional final assistant message',
    },
    {
      name: 'an unknown content block type',
      body: base({ messages: [{ role: 'user', content: [{ type: 'audio', data: 'x' }] }] }),
      message:
        'Malformed input request: #/messages/0/content/0/type: "audio" is not a valid enum value, please reformat your input and try again.',
    },
    {
      name: 'a tool_result that answers no tool_use',
      body: base({
        tools: [WEATHER_TOOL],
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_2', content: 'x' }] },
        ],
      }),
      message:
        'messages.2.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_2. Each `tool_result` block must have a corresponding `tool_use` block in the previous message.',
    },
    {
      name: 'a tool_use left without its tool_result',
      body: base({
        tools: [WEATHER_TOOL],
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} }] },
          { role: 'user', content: 'no result' },
        ],
      }),
      message:
        'messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1. Each `tool_use` block must have a corresponding `tool_result` block in the next message.',
    },
    {
      name: 'an empty text block inside a tool_result',
      body: base({
        tools: [WEATHER_TOOL],
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} }] },
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: '' }] }],
          },
        ],
      }),
      message: 'messages.2.content.0.content.0: text content blocks must be non-empty',
    },
    {
      name: 'a tool with an invalid name',
      body: base({ tools: [{ ...WEATHER_TOOL, name: 'get weather' }] }),
      message: "tools.0.custom.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'",
    },
    {
      name: 'temperature and top_p together on Sonnet 4.5',
      body: base({ temperature: 0.5, top_p: 0.9 }),
      message: '`temperature` and `top_p` cannot both be specified for this model. Please use only one.',
    },
    {
      name: 'a thinking budget below 1024',
      body: base({ max_tokens: 2048, thinking: { type: 'enabled', budget_tokens: 100 } }),
      message: 'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024',
    },
    {
      name: 'thinking on a model without extended thinking',
      model: HAIKU3,
      body: base({ thinking: { type: 'enabled', budget_tokens: 1024 } }),
      message:
        'Malformed input request: extraneous key [thinking] is not permitted, please reformat your input and try again.',
    },
    {
      name: 'image bytes that are not the declared media type',
      body: base({
        messages: [
          {
            role: 'user',
            content: [
              {
                type: 'image',
                source: { type: 'base64', media_type: 'image/png', data: Buffer.from('GIF89a....').toString('base64') },
              },
            ],
          },
        ],
      }),
      message:
        'messages.0.content.0.source.base64: The image was specified using the image/png media type, but the image does not appear to be a valid image/png image',
    },
    {
      name: 'five cache_control blocks',
      body: base({
        system: [1, 2, 3, 4, 5].map((n) => ({ type: 'text', text: `s${n}`, cache_control: { type: 'ephemeral' } })),
      }),
      message: 'A maximum of 4 blocks with cache_control may be provided. Found 5.',
    },
    {
      name: 'a body that is not JSON',
      body: '{not json',
      message: 'Malformed input request, please reformat your input and try again.',
    },
  ];

  it.each(cases)('$name', async ({ body, message, model }) => {
    if (typeof body !== 'string') {
      expect(await refusal(body, model)).toBe(message);
      return;
    }
    // Raw text: the SDK would not send a body that is not JSON for us.
    const res = await fetch(`${emu.url}/model/${encodeURIComponent(SONNET)}/invoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toBe(message);
  });

  it('a non-Claude chat family still answers that it does not take InvokeModel here', async () => {
    expect(await refusal({ prompt: 'hi' }, 'meta.llama3-8b-instruct-v1:0')).toBe(
      'The model meta.llama3-8b-instruct-v1:0 does not support the InvokeModel API in this emulator. Use the Converse API instead.',
    );
  });
});
