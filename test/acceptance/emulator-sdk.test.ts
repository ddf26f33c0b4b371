/**
 * Acceptance: `aigw emulator` driven by the official AWS SDK v3 clients, as a user pointing the SDK at a
 * local Bedrock would. Expectations come from docs/emulator.md and Bedrock's documented behaviour.
 */
import { BedrockClient, GetFoundationModelCommand, ListFoundationModelsCommand } from '@aws-sdk/client-bedrock';
import {
  BedrockRuntimeClient,
  type ContentBlock,
  ConverseCommand,
  ConverseStreamCommand,
  type ConverseStreamOutput,
  CountTokensCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from '@aws-sdk/client-bedrock-runtime';
import {
  AssumeRoleCommand,
  AssumeRoleWithWebIdentityCommand,
  GetCallerIdentityCommand,
  STSClient,
} from '@aws-sdk/client-sts';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCESS_KEY,
  ACCOUNT,
  type EmulatorProcess,
  EXTERNAL_ID,
  LONG_TERM_API_KEY,
  OPEN_ROLE,
  ROLE_WITH_EXTERNAL_ID,
  spawnEmulator,
  USER_ARN,
} from './emulator-harness.js';

const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';
const SONNET_45 = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';

let emu: EmulatorProcess;
let runtime: BedrockRuntimeClient;
let runtimeH1: BedrockRuntimeClient;

function tokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function errorOf(err: unknown): { name: string; message: string; status: number | undefined } {
  const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
  return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
}

async function rejection(p: Promise<unknown>): Promise<{ name: string; message: string; status: number | undefined }> {
  try {
    await p;
  } catch (err) {
    return errorOf(err);
  }
  throw new Error('expected the call to fail');
}

async function faults(body: unknown): Promise<void> {
  const res = await fetch(`${emu.url}/_emulator/faults`, {
    method: body === null ? 'DELETE' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === null ? undefined : JSON.stringify(body),
  });
  expect(res.status).toBeLessThan(300);
}

beforeAll(async () => {
  emu = await spawnEmulator();
  // The default runtime client speaks HTTP/2 (h2c here); the second one forces HTTP/1.1.
  runtime = new BedrockRuntimeClient({
    endpoint: emu.url,
    region: 'us-east-1',
    credentials: ACCESS_KEY,
    maxAttempts: 1,
  });
  runtimeH1 = new BedrockRuntimeClient({
    endpoint: emu.url,
    region: 'us-east-1',
    credentials: ACCESS_KEY,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler(),
  });
});

afterAll(async () => {
  runtime?.destroy();
  runtimeH1?.destroy();
  await emu?.close();
});

afterEach(async () => {
  await faults(null);
});

describe('Converse through the SDK', () => {
  it('echoes the last user text with exact token counts over HTTP/2 and HTTP/1.1', async () => {
    for (const client of [runtime, runtimeH1]) {
      const out = await client.send(
        new ConverseCommand({
          modelId: HAIKU,
          system: [{ text: 'You are terse.' }],
          messages: [{ role: 'user', content: [{ text: 'Hello   there\n world' }] }],
        }),
      );
      expect(out.$metadata.httpStatusCode).toBe(200);
      expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
      expect(out.stopReason).toBe('end_turn');
      expect(out.output?.message?.role).toBe('assistant');
      const reply = 'Echo: Hello there world';
      expect(out.output?.message?.content).toEqual([{ text: reply }]);
      const input = tokens('You are terse.') + tokens('Hello   there\n world');
      expect(out.usage).toMatchObject({
        inputTokens: input,
        outputTokens: tokens(reply),
        totalTokens: input + tokens(reply),
      });
      expect(typeof out.metrics?.latencyMs).toBe('number');
    }
  });

  it('reports the performance config and service tier it served, in Converse and in stream metadata', async () => {
    const request = {
      modelId: HAIKU,
      messages: [{ role: 'user' as const, content: [{ text: 'tiers' }] }],
      performanceConfig: { latency: 'optimized' as const },
      serviceTier: { type: 'flex' as const },
    };
    const out = await runtime.send(new ConverseCommand(request));
    expect(out.performanceConfig).toEqual({ latency: 'optimized' });
    expect(out.serviceTier).toEqual({ type: 'flex' });
    const streamed = await runtime.send(new ConverseStreamCommand(request));
    const metadata = (await collect(streamed.stream)).at(-1)?.metadata;
    expect(metadata?.performanceConfig).toEqual({ latency: 'optimized' });
    expect(metadata?.serviceTier).toEqual({ type: 'flex' });
    const plain = await runtime.send(new ConverseCommand({ modelId: HAIKU, messages: request.messages }));
    expect(plain.serviceTier).toBeUndefined();
  });

  it('honours [[reply:X]], stop sequences and maxTokens', async () => {
    const exact = await runtime.send(
      new ConverseCommand({
        modelId: HAIKU,
        messages: [{ role: 'user', content: [{ text: 'say [[reply:Bonjour tout le monde]]' }] }],
      }),
    );
    expect(exact.output?.message?.content?.[0]?.text).toBe('Bonjour tout le monde');

    const stopped = await runtime.send(
      new ConverseCommand({
        modelId: HAIKU,
        messages: [{ role: 'user', content: [{ text: '[[reply:one two STOP three]]' }] }],
        inferenceConfig: { stopSequences: ['STOP'] },
      }),
    );
    expect(stopped.stopReason).toBe('stop_sequence');
    expect(stopped.output?.message?.content?.[0]?.text).toBe('one two ');

    const cut = await runtime.send(
      new ConverseCommand({
        modelId: HAIKU,
        messages: [{ role: 'user', content: [{ text: '[[reply:abcdefghijklmnopqrstuvwxyz]]' }] }],
        inferenceConfig: { maxTokens: 2 },
      }),
    );
    expect(cut.stopReason).toBe('max_tokens');
    expect(cut.output?.message?.content?.[0]?.text).toBe('abcdefgh');
    expect(cut.usage?.outputTokens).toBe(2);
  });

  it('runs a tool loop: toolUse with schema-generated input, then the tool result is echoed', async () => {
    const toolConfig = {
      tools: [
        {
          toolSpec: {
            name: 'get_weather',
            description: 'weather',
            inputSchema: {
              json: {
                type: 'object',
                properties: { city: { type: 'string' }, days: { type: 'integer', minimum: 3 } },
                required: ['city'],
              },
            },
          },
        },
      ],
    };
    const first = await runtime.send(
      new ConverseCommand({
        modelId: HAIKU,
        messages: [{ role: 'user', content: [{ text: 'use get_weather please' }] }],
        toolConfig,
      }),
    );
    expect(first.stopReason).toBe('tool_use');
    const content = first.output?.message?.content ?? [];
    expect(content[0]).toEqual({ text: 'Calling get_weather.' });
    const use = content[1]?.toolUse;
    expect(use?.name).toBe('get_weather');
    expect(use?.toolUseId).toMatch(/^tooluse_[A-Za-z0-9_-]{22}$/);
    expect(use?.input).toEqual({ city: 'city', days: 3 });

    const second = await runtime.send(
      new ConverseCommand({
        modelId: HAIKU,
        toolConfig,
        messages: [
          { role: 'user', content: [{ text: 'use get_weather please' }] },
          { role: 'assistant', content: content as ContentBlock[] },
          {
            role: 'user',
            content: [{ toolResult: { toolUseId: use?.toolUseId ?? '', content: [{ json: { temp: 21 } }] } }],
          },
        ],
      }),
    );
    expect(second.stopReason).toBe('end_turn');
    expect(second.output?.message?.content?.[0]?.text).toBe(`Tool results: ${use?.toolUseId}: {"temp":21}`);
  });

  it('produces signed reasoning with thinking enabled and accepts it back unchanged, rejects it altered', async () => {
    const request = {
      modelId: SONNET_45,
      inferenceConfig: { maxTokens: 4000 },
      additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 1024 } },
    };
    const first = await runtime.send(
      new ConverseCommand({ ...request, messages: [{ role: 'user', content: [{ text: 'Why is the sky blue?' }] }] }),
    );
    const blocks = first.output?.message?.content ?? [];
    const reasoning = blocks[0]?.reasoningContent?.reasoningText;
    expect(reasoning?.text).toBe('Reasoning about: Why is the sky blue?');
    expect(reasoning?.signature).toBeTruthy();
    expect(blocks[1]?.text).toBe('Echo: Why is the sky blue?');

    const history = (assistant: ContentBlock[]) => [
      { role: 'user' as const, content: [{ text: 'Why is the sky blue?' }] },
      { role: 'assistant' as const, content: assistant },
      { role: 'user' as const, content: [{ text: 'And sunsets?' }] },
    ];
    const ok = await runtime.send(new ConverseCommand({ ...request, messages: history(blocks as ContentBlock[]) }));
    expect(ok.stopReason).toBe('end_turn');

    const tampered: ContentBlock[] = [
      { reasoningContent: { reasoningText: { text: 'Something else', signature: reasoning?.signature ?? '' } } },
      { text: 'Echo: Why is the sky blue?' },
    ];
    const err = await rejection(runtime.send(new ConverseCommand({ ...request, messages: history(tampered) })));
    expect(err).toMatchObject({ name: 'ValidationException', status: 400 });
    expect(err.message).toBe('messages.1.content.0: Invalid `signature` in `thinking` block');
  });
});

describe('Converse validation as Bedrock reports it (ValidationException 400)', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    [
      'toolUse without toolConfig',
      {
        messages: [
          { role: 'user', content: [{ text: 'hi' }] },
          { role: 'assistant', content: [{ toolUse: { toolUseId: 't1', name: 'f', input: {} } }] },
          { role: 'user', content: [{ toolResult: { toolUseId: 't1', content: [{ text: 'x' }] } }] },
        ],
      },
      'The toolConfig field must be defined when using toolUse and toolResult content blocks.',
    ],
    [
      'consecutive user messages',
      {
        messages: [
          { role: 'user', content: [{ text: 'a' }] },
          { role: 'user', content: [{ text: 'b' }] },
        ],
      },
      'A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.',
    ],
    [
      'first message from the assistant',
      { messages: [{ role: 'assistant', content: [{ text: 'a' }] }] },
      'A conversation must start with a user message. Try again with a conversation that starts with a user message.',
    ],
    [
      'error tool result with empty content',
      {
        toolConfig: { tools: [{ toolSpec: { name: 'f', inputSchema: { json: { type: 'object' } } } }] },
        messages: [
          { role: 'user', content: [{ text: 'hi' }] },
          { role: 'assistant', content: [{ toolUse: { toolUseId: 't1', name: 'f', input: {} } }] },
          { role: 'user', content: [{ toolResult: { toolUseId: 't1', content: [], status: 'error' } }] },
        ],
      },
      'The content field at messages.2.content.0.toolResult cannot be empty when status value is error.',
    ],
    [
      'empty message content',
      { messages: [{ role: 'user', content: [] }] },
      'The content field in the Message object at messages.0 is empty. Add a ContentBlock object to the content field and try again.',
    ],
    [
      'blank text',
      { messages: [{ role: 'user', content: [{ text: '   ' }] }] },
      'The text field in the ContentBlock object at messages.0.content.0 is blank. Add text to the text field, and try again.',
    ],
    [
      'maxTokens above the model limit',
      { messages: [{ role: 'user', content: [{ text: 'a' }] }], inferenceConfig: { maxTokens: 5000 } },
      'The maximum tokens you requested exceeds the model limit of 4096. Try again with a maximum tokens value that is lower than 4096.',
    ],
    [
      'thinking budget below 1024',
      {
        messages: [{ role: 'user', content: [{ text: 'a' }] }],
        additionalModelRequestFields: { thinking: { type: 'enabled', budget_tokens: 100 } },
      },
      'thinking.enabled.budget_tokens: Input should be greater than or equal to 1024',
    ],
  ];

  it.each(cases)('%s', async (_name, body, message) => {
    const modelId = _name === 'thinking budget below 1024' ? SONNET_45 : HAIKU;
    const err = await rejection(runtime.send(new ConverseCommand({ modelId, ...(body as object) } as never)));
    expect(err).toEqual({ name: 'ValidationException', message, status: 400 });
  });

  it('answers a generic constraint message for an out-of-range temperature', async () => {
    const err = await rejection(
      runtime.send(
        new ConverseCommand({
          modelId: HAIKU,
          messages: [{ role: 'user', content: [{ text: 'a' }] }],
          inferenceConfig: { temperature: 1.5 },
        }),
      ),
    );
    expect(err.name).toBe('ValidationException');
    expect(err.message).toMatch(
      /^1 validation error detected: Value '1\.5' at 'inferenceConfig\.temperature' failed to satisfy constraint: Member must have value less than or equal to 1/,
    );
  });

  it('rejects an unknown model id and an on-demand call of a profile-only model', async () => {
    const unknown = await rejection(
      runtime.send(
        new ConverseCommand({
          modelId: 'anthropic.claude-nope-v1:0',
          messages: [{ role: 'user', content: [{ text: 'a' }] }],
        }),
      ),
    );
    expect(unknown).toEqual({
      name: 'ValidationException',
      message: 'The provided model identifier is invalid.',
      status: 400,
    });
    const profileOnly = await rejection(
      runtime.send(
        new ConverseCommand({
          modelId: 'anthropic.claude-3-5-sonnet-20241022-v2:0',
          messages: [{ role: 'user', content: [{ text: 'a' }] }],
        }),
      ),
    );
    expect(profileOnly).toEqual({
      name: 'ValidationException',
      message:
        'Invocation of model ID anthropic.claude-3-5-sonnet-20241022-v2:0 with on-demand throughput isn\u2019t supported. Retry your request with the ID or ARN of an inference profile that contains this model.',
      status: 400,
    });
  });

  it('accepts the inference-profile ARN form of a profile-only model', async () => {
    const out = await runtime.send(
      new ConverseCommand({
        modelId: `arn:aws:bedrock:us-east-1:${ACCOUNT}:inference-profile/us.anthropic.claude-3-5-sonnet-20241022-v2:0`,
        messages: [{ role: 'user', content: [{ text: 'arn works' }] }],
      }),
    );
    expect(out.output?.message?.content?.[0]?.text).toBe('Echo: arn works');
  });

  it('rejects ConverseStream errors before the stream as ordinary errors', async () => {
    const err = await rejection(
      runtime.send(
        new ConverseStreamCommand({ modelId: HAIKU, messages: [{ role: 'assistant', content: [{ text: 'a' }] }] }),
      ),
    );
    expect(err.name).toBe('ValidationException');
    expect(err.status).toBe(400);
  });
});

async function collect(stream: AsyncIterable<ConverseStreamOutput> | undefined): Promise<ConverseStreamOutput[]> {
  const events: ConverseStreamOutput[] = [];
  for await (const ev of stream ?? []) events.push(ev);
  return events;
}

describe('ConverseStream through the SDK', () => {
  it('streams Bedrock-ordered events whose text and usage match the non-streaming reply', async () => {
    for (const client of [runtime, runtimeH1]) {
      const out = await client.send(
        new ConverseStreamCommand({
          modelId: HAIKU,
          messages: [{ role: 'user', content: [{ text: 'one two three four five' }] }],
        }),
      );
      const events = await collect(out.stream);
      const kinds = events.map((e) =>
        Object.keys(e).find((k) => (e as unknown as Record<string, unknown>)[k] !== undefined),
      );
      expect(kinds[0]).toBe('messageStart');
      expect(kinds.slice(-3)).toEqual(['contentBlockStop', 'messageStop', 'metadata']);
      expect(kinds).not.toContain('contentBlockStart'); // text blocks start with a delta on Bedrock
      const text = events.map((e) => e.contentBlockDelta?.delta?.text ?? '').join('');
      expect(text).toBe('Echo: one two three four five');
      expect(events.filter((e) => e.contentBlockDelta).length).toBeGreaterThan(1);
      expect(events.at(-2)?.messageStop?.stopReason).toBe('end_turn');
      const usage = events.at(-1)?.metadata?.usage;
      expect(usage).toMatchObject({ inputTokens: tokens('one two three four five'), outputTokens: tokens(text) });
    }
  });

  it('streams a tool call as contentBlockStart then input fragments that concatenate to JSON', async () => {
    const out = await runtime.send(
      new ConverseStreamCommand({
        modelId: HAIKU,
        messages: [{ role: 'user', content: [{ text: 'lookup [[tools:1]]' }] }],
        toolConfig: {
          tools: [
            {
              toolSpec: {
                name: 'lookup',
                inputSchema: { json: { type: 'object', properties: { q: { type: 'string' } } } },
              },
            },
          ],
          toolChoice: { any: {} },
        },
      }),
    );
    const events = await collect(out.stream);
    const start = events.find((e) => e.contentBlockStart)?.contentBlockStart;
    expect(start?.start?.toolUse?.name).toBe('lookup');
    const idx = start?.contentBlockIndex;
    const input = events
      .filter((e) => e.contentBlockDelta?.contentBlockIndex === idx)
      .map((e) => e.contentBlockDelta?.delta?.toolUse?.input ?? '')
      .join('');
    expect(JSON.parse(input)).toEqual({ q: 'q' });
    expect(events.find((e) => e.messageStop)?.messageStop?.stopReason).toBe('tool_use');
  });

  it('raises an injected stream exception as the SDK error after the first events', async () => {
    await faults({
      type: 'stream-error',
      operation: 'ConverseStream',
      afterEvents: 2,
      exception: 'throttlingException',
      count: 1,
    });
    const out = await runtime.send(
      new ConverseStreamCommand({
        modelId: HAIKU,
        messages: [{ role: 'user', content: [{ text: 'a b c d e f g h' }] }],
      }),
    );
    const seen: ConverseStreamOutput[] = [];
    let caught: unknown;
    try {
      for await (const ev of out.stream ?? []) seen.push(ev);
    } catch (err) {
      caught = err;
    }
    expect(seen.length).toBe(2);
    expect((caught as Error | undefined)?.name).toBe('ThrottlingException');

    await faults({
      type: 'stream-error',
      operation: 'ConverseStream',
      exception: 'modelStreamErrorException',
      count: 1,
    });
    const out2 = await runtime.send(
      new ConverseStreamCommand({
        modelId: HAIKU,
        messages: [{ role: 'user', content: [{ text: 'a b c d e f g h' }] }],
      }),
    );
    let caught2: unknown;
    try {
      for await (const _ of out2.stream ?? []) {
        // drain
      }
    } catch (err) {
      caught2 = err;
    }
    expect((caught2 as { name?: string; originalStatusCode?: number } | undefined)?.name).toBe(
      'ModelStreamErrorException',
    );
    expect((caught2 as { originalStatusCode?: number }).originalStatusCode).toBe(500);
  });
});

describe('faults through the SDK', () => {
  it('throttles the given number of requests, then serves normally', async () => {
    await faults({ type: 'throttle', model: HAIKU, operation: 'Converse', count: 1 });
    const req = () =>
      runtime.send(new ConverseCommand({ modelId: HAIKU, messages: [{ role: 'user', content: [{ text: 'x' }] }] }));
    expect(await rejection(req())).toEqual({
      name: 'ThrottlingException',
      message: 'Too many requests, please wait before trying again.',
      status: 429,
    });
    expect((await req()).stopReason).toBe('end_turn');
  });

  it('maps error and timeout faults to Bedrock exceptions', async () => {
    await faults([
      { type: 'error', status: 503, operation: 'Converse', count: 1 },
      { type: 'timeout', operation: 'Converse', count: 1 },
    ]);
    const req = () =>
      runtime.send(new ConverseCommand({ modelId: HAIKU, messages: [{ role: 'user', content: [{ text: 'x' }] }] }));
    const first = await rejection(req());
    expect(first).toMatchObject({ name: 'ServiceUnavailableException', status: 503 });
    expect(await rejection(req())).toEqual({
      name: 'ModelTimeoutException',
      message: 'Model has timed out in processing the request. Try your request again.',
      status: 408,
    });
  });

  it('the SDK retries a throttle with its standard retry strategy and then succeeds', async () => {
    const retrying = new BedrockRuntimeClient({
      endpoint: emu.url,
      region: 'us-east-1',
      credentials: ACCESS_KEY,
      maxAttempts: 3,
    });
    try {
      await faults({ type: 'throttle', operation: 'Converse', count: 1 });
      const out = await retrying.send(
        new ConverseCommand({ modelId: HAIKU, messages: [{ role: 'user', content: [{ text: 'retry' }] }] }),
      );
      expect(out.$metadata.attempts).toBe(2);
    } finally {
      retrying.destroy();
    }
  });
});

describe('InvokeModel, CountTokens and bearer keys through the SDK', () => {
  it('embeds with Titan v2 and reports token headers', async () => {
    const out = await runtime.send(
      new InvokeModelCommand({
        modelId: 'amazon.titan-embed-text-v2:0',
        contentType: 'application/json',
        accept: 'application/json',
        body: JSON.stringify({ inputText: 'hello world', dimensions: 256 }),
      }),
    );
    const body = JSON.parse(new TextDecoder().decode(out.body)) as {
      embedding: number[];
      inputTextTokenCount: number;
      embeddingsByType: { float: number[] };
    };
    expect(body.embedding).toHaveLength(256);
    expect(body.embeddingsByType.float).toEqual(body.embedding);
    const norm = Math.sqrt(body.embedding.reduce((s, x) => s + x * x, 0));
    expect(norm).toBeCloseTo(1, 5);
    expect(body.inputTextTokenCount).toBe(tokens('hello world'));
  });

  it('echoes performance and service tier headers and refuses values outside their enums', async () => {
    const body = JSON.stringify({ inputText: 'tiers' });
    const out = await runtime.send(
      new InvokeModelCommand({
        modelId: 'amazon.titan-embed-text-v2:0',
        contentType: 'application/json',
        body,
        performanceConfigLatency: 'optimized',
        serviceTier: 'flex',
      }),
    );
    expect(out.performanceConfigLatency).toBe('optimized');
    expect(out.serviceTier).toBe('flex');
    const err = await rejection(
      runtime.send(
        new InvokeModelCommand({
          modelId: 'amazon.titan-embed-text-v2:0',
          contentType: 'application/json',
          body,
          serviceTier: 'gold' as never,
        }),
      ),
    );
    expect(err).toEqual({
      name: 'ValidationException',
      message:
        "1 validation error detected: Value 'gold' at 'serviceTier' failed to satisfy constraint: Member must satisfy enum value set: [priority, default, flex, reserved]",
      status: 400,
    });
  });

  it('embeds with Cohere v3 by type', async () => {
    const out = await runtime.send(
      new InvokeModelCommand({
        modelId: 'cohere.embed-english-v3',
        contentType: 'application/json',
        body: JSON.stringify({ texts: ['a', 'b'], input_type: 'search_query', embedding_types: ['float', 'int8'] }),
      }),
    );
    const body = JSON.parse(new TextDecoder().decode(out.body)) as {
      response_type: string;
      embeddings: Record<string, number[][]>;
    };
    expect(body.response_type).toBe('embeddings_by_type');
    expect(Object.keys(body.embeddings).sort()).toEqual(['float', 'int8']);
    expect(body.embeddings.float).toHaveLength(2);
    expect(body.embeddings.float?.[0]).toHaveLength(1024);
  });

  it('generates a Nova Canvas image as base64 PNG and validates dimensions', async () => {
    const out = await runtime.send(
      new InvokeModelCommand({
        modelId: 'amazon.nova-canvas-v1:0',
        contentType: 'application/json',
        body: JSON.stringify({
          taskType: 'TEXT_IMAGE',
          textToImageParams: { text: 'a red fox' },
          imageGenerationConfig: { width: 512, height: 512, numberOfImages: 2 },
        }),
      }),
    );
    const body = JSON.parse(new TextDecoder().decode(out.body)) as { images: string[] };
    expect(body.images).toHaveLength(2);
    const png = Buffer.from(body.images[0] ?? '', 'base64');
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(512);

    const bad = await rejection(
      runtime.send(
        new InvokeModelCommand({
          modelId: 'amazon.nova-canvas-v1:0',
          contentType: 'application/json',
          body: JSON.stringify({
            taskType: 'TEXT_IMAGE',
            textToImageParams: { text: 'a red fox' },
            imageGenerationConfig: { width: 500, height: 512 },
          }),
        }),
      ),
    );
    expect(bad).toMatchObject({ name: 'ValidationException', status: 400 });
  });

  it('refuses streaming for an embedding model', async () => {
    const err = await rejection(
      runtime.send(
        new InvokeModelWithResponseStreamCommand({
          modelId: 'amazon.titan-embed-text-v2:0',
          contentType: 'application/json',
          body: JSON.stringify({ inputText: 'x' }),
        }),
      ),
    );
    expect(err).toMatchObject({
      name: 'ValidationException',
      message: 'The model is unsupported for streaming.',
      status: 400,
    });
  });

  it('refuses Converse on an embedding model', async () => {
    const err = await rejection(
      runtime.send(
        new ConverseCommand({
          modelId: 'amazon.titan-embed-text-v2:0',
          messages: [{ role: 'user', content: [{ text: 'x' }] }],
        }),
      ),
    );
    expect(err).toEqual({
      name: 'ValidationException',
      message:
        "This action doesn't support the model that you provided. Try again with a supported text or chat model.",
      status: 400,
    });
  });

  it('counts tokens for Claude as Converse would bill them', async () => {
    const messages = [{ role: 'user' as const, content: [{ text: 'count these tokens please' }] }];
    const counted = await runtime.send(
      new CountTokensCommand({ modelId: 'anthropic.claude-3-haiku-20240307-v1:0', input: { converse: { messages } } }),
    );
    const conversed = await runtime.send(new ConverseCommand({ modelId: HAIKU, messages }));
    expect(counted.inputTokens).toBe(conversed.usage?.inputTokens);
    // CountTokens names the foundation model, also for models that are invoked only through a profile.
    const profileOnly = await runtime.send(
      new CountTokensCommand({
        modelId: 'anthropic.claude-sonnet-4-5-20250929-v1:0',
        input: { converse: { messages } },
      }),
    );
    const viaProfile = await runtime.send(new ConverseCommand({ modelId: SONNET_45, messages }));
    expect(profileOnly.inputTokens).toBe(viaProfile.usage?.inputTokens);
    const err = await rejection(
      runtime.send(new CountTokensCommand({ modelId: 'amazon.nova-lite-v1:0', input: { converse: { messages } } })),
    );
    expect(err).toMatchObject({
      name: 'ValidationException',
      message: "The provided model doesn't support counting tokens.",
    });
  });

  it('authenticates with the long-term API key as a bearer token (SDK token auth)', async () => {
    const bearer = new BedrockRuntimeClient({
      endpoint: emu.url,
      region: 'us-east-1',
      token: { token: LONG_TERM_API_KEY },
      authSchemePreference: ['httpBearerAuth'],
      maxAttempts: 1,
    });
    try {
      const out = await bearer.send(
        new ConverseCommand({ modelId: HAIKU, messages: [{ role: 'user', content: [{ text: 'bearer' }] }] }),
      );
      expect(out.output?.message?.content?.[0]?.text).toBe('Echo: bearer');
    } finally {
      bearer.destroy();
    }
    const wrong = new BedrockRuntimeClient({
      endpoint: emu.url,
      region: 'us-east-1',
      token: { token: 'ABSKbm90LWEta2V5' },
      authSchemePreference: ['httpBearerAuth'],
      maxAttempts: 1,
    });
    try {
      const err = await rejection(
        wrong.send(new ConverseCommand({ modelId: HAIKU, messages: [{ role: 'user', content: [{ text: 'x' }] }] })),
      );
      expect(err).toEqual({
        name: 'AccessDeniedException',
        message: 'Authentication failed: Please make sure your API Key is valid.',
        status: 403,
      });
    } finally {
      wrong.destroy();
    }
  });
});

describe('SDK conventions and load', () => {
  it('uses AWS_BEARER_TOKEN_BEDROCK when no credentials are configured', async () => {
    const saved = process.env.AWS_BEARER_TOKEN_BEDROCK;
    process.env.AWS_BEARER_TOKEN_BEDROCK = LONG_TERM_API_KEY;
    const client = new BedrockRuntimeClient({ endpoint: emu.url, region: 'us-east-1', maxAttempts: 1 });
    try {
      const out = await client.send(
        new ConverseCommand({ modelId: HAIKU, messages: [{ role: 'user', content: [{ text: 'env bearer' }] }] }),
      );
      expect(out.output?.message?.content?.[0]?.text).toBe('Echo: env bearer');
    } finally {
      client.destroy();
      if (saved === undefined) delete process.env.AWS_BEARER_TOKEN_BEDROCK;
      else process.env.AWS_BEARER_TOKEN_BEDROCK = saved;
    }
  });

  it('serves 40 concurrent streams over one HTTP/2 client, each with its own exact text', async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const out = await runtime.send(
          new ConverseStreamCommand({
            modelId: HAIKU,
            messages: [{ role: 'user', content: [{ text: `stream number ${i} of many` }] }],
          }),
        );
        const events = await collect(out.stream);
        return events.map((e) => e.contentBlockDelta?.delta?.text ?? '').join('');
      }),
    );
    results.forEach((text, i) => {
      expect(text).toBe(`Echo: stream number ${i} of many`);
    });
  });

  it('a drop fault surfaces as a network error in the SDK, and the client recovers', async () => {
    await faults({ type: 'drop', operation: 'Converse', count: 1 });
    const req = () =>
      runtime.send(new ConverseCommand({ modelId: HAIKU, messages: [{ role: 'user', content: [{ text: 'x' }] }] }));
    await expect(req()).rejects.toThrow();
    expect((await req()).stopReason).toBe('end_turn');
  });
});

describe('control plane through @aws-sdk/client-bedrock', () => {
  it('lists and gets foundation models', async () => {
    const cp = new BedrockClient({ endpoint: emu.url, region: 'us-east-1', credentials: ACCESS_KEY, maxAttempts: 1 });
    try {
      const list = await cp.send(new ListFoundationModelsCommand({ byOutputModality: 'EMBEDDING' }));
      const ids = (list.modelSummaries ?? []).map((m) => m.modelId);
      expect(ids).toContain('amazon.titan-embed-text-v2:0');
      expect(ids).toContain('cohere.embed-english-v3');
      expect(ids).not.toContain(HAIKU);
      const got = await cp.send(new GetFoundationModelCommand({ modelIdentifier: HAIKU }));
      expect(got.modelDetails?.modelId).toBe(HAIKU);
      expect(got.modelDetails?.modelArn).toBe(`arn:aws:bedrock:us-east-1::foundation-model/${HAIKU}`);
      expect(got.modelDetails?.providerName).toBeTruthy();
      const profileOnly = await cp.send(
        new GetFoundationModelCommand({ modelIdentifier: 'anthropic.claude-sonnet-4-5-20250929-v1:0' }),
      );
      expect(profileOnly.modelDetails?.inferenceTypesSupported).toEqual(['INFERENCE_PROFILE']);
      const badFilter = await rejection(
        cp.send(new ListFoundationModelsCommand({ byOutputModality: 'VIDEO' as never })),
      );
      expect(badFilter).toEqual({
        name: 'ValidationException',
        message:
          "1 validation error detected: Value 'VIDEO' at 'byOutputModality' failed to satisfy constraint: Member must satisfy enum value set: [TEXT, IMAGE, EMBEDDING]",
        status: 400,
      });
      const err = await rejection(cp.send(new GetFoundationModelCommand({ modelIdentifier: 'nope.nope-v1' })));
      expect(err).toEqual({
        name: 'ValidationException',
        message: 'The provided model identifier is invalid.',
        status: 400,
      });
    } finally {
      cp.destroy();
    }
  });
});

describe('STS through @aws-sdk/client-sts', () => {
  const sts = () => new STSClient({ endpoint: emu.url, region: 'us-east-1', credentials: ACCESS_KEY, maxAttempts: 1 });

  it('tells the caller who it is', async () => {
    const client = sts();
    try {
      const me = await client.send(new GetCallerIdentityCommand({}));
      expect(me).toMatchObject({ Arn: USER_ARN, Account: ACCOUNT });
    } finally {
      client.destroy();
    }
  });

  it('assumes a role with its external id; the temporary credentials call Bedrock and identify as the role', async () => {
    const client = sts();
    try {
      const denied = await rejection(
        client.send(new AssumeRoleCommand({ RoleArn: ROLE_WITH_EXTERNAL_ID, RoleSessionName: 'acc' })),
      );
      expect(denied).toEqual({
        name: 'AccessDenied',
        message: `User: ${USER_ARN} is not authorized to perform: sts:AssumeRole on resource: ${ROLE_WITH_EXTERNAL_ID}`,
        status: 403,
      });
      const tooLong = await rejection(
        client.send(new AssumeRoleCommand({ RoleArn: OPEN_ROLE, RoleSessionName: 'acc', DurationSeconds: 50_000 })),
      );
      expect(tooLong).toMatchObject({ name: 'ValidationError', status: 400 });

      const assumed = await client.send(
        new AssumeRoleCommand({
          RoleArn: ROLE_WITH_EXTERNAL_ID,
          RoleSessionName: 'acc-session',
          ExternalId: EXTERNAL_ID,
          DurationSeconds: 900,
        }),
      );
      const creds = assumed.Credentials;
      expect(creds?.AccessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
      expect(creds?.SessionToken).toBeTruthy();
      const ttl = (creds?.Expiration?.getTime() ?? 0) - Date.now();
      expect(ttl).toBeGreaterThan(800_000);
      expect(ttl).toBeLessThanOrEqual(900_000 + 5_000);
      const roleArn = `arn:aws:sts::${ACCOUNT}:assumed-role/BedrockAccess/acc-session`;
      expect(assumed.AssumedRoleUser?.Arn).toBe(roleArn);

      const temp = {
        accessKeyId: creds?.AccessKeyId ?? '',
        secretAccessKey: creds?.SecretAccessKey ?? '',
        sessionToken: creds?.SessionToken ?? '',
      };
      const asRole = new STSClient({ endpoint: emu.url, region: 'us-east-1', credentials: temp, maxAttempts: 1 });
      const rt = new BedrockRuntimeClient({
        endpoint: emu.url,
        region: 'us-east-1',
        credentials: temp,
        maxAttempts: 1,
      });
      const noToken = new BedrockRuntimeClient({
        endpoint: emu.url,
        region: 'us-east-1',
        credentials: { accessKeyId: temp.accessKeyId, secretAccessKey: temp.secretAccessKey },
        maxAttempts: 1,
      });
      try {
        expect((await asRole.send(new GetCallerIdentityCommand({}))).Arn).toBe(roleArn);
        // Role chaining is capped at one hour.
        const chained = await rejection(
          asRole.send(new AssumeRoleCommand({ RoleArn: OPEN_ROLE, RoleSessionName: 'chain', DurationSeconds: 7200 })),
        );
        expect(chained).toEqual({
          name: 'ValidationError',
          message: 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
          status: 400,
        });
        const out = await rt.send(
          new ConverseCommand({ modelId: HAIKU, messages: [{ role: 'user', content: [{ text: 'as role' }] }] }),
        );
        expect(out.output?.message?.content?.[0]?.text).toBe('Echo: as role');
        const err = await rejection(
          noToken.send(new ConverseCommand({ modelId: HAIKU, messages: [{ role: 'user', content: [{ text: 'x' }] }] })),
        );
        expect(err).toEqual({
          name: 'UnrecognizedClientException',
          message: 'The security token included in the request is invalid.',
          status: 403,
        });
      } finally {
        asRole.destroy();
        rt.destroy();
        noToken.destroy();
      }
    } finally {
      client.destroy();
    }
  });

  it('exchanges a web identity token (IRSA) without signing', async () => {
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const jwt = (payload: unknown) => `${b64({ alg: 'RS256' })}.${b64(payload)}.c2ln`;
    const now = Math.floor(Date.now() / 1000);
    const anon = new STSClient({
      endpoint: emu.url,
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
    });
    try {
      const out = await anon.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: OPEN_ROLE,
          RoleSessionName: 'irsa',
          WebIdentityToken: jwt({
            iss: 'https://oidc.eks.us-east-1.amazonaws.com/id/ABC',
            sub: 'system:serviceaccount:ai:gateway',
            aud: ['sts.amazonaws.com'],
            exp: now + 3600,
          }),
        }),
      );
      expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA/);
      expect(out.SubjectFromWebIdentityToken).toBe('system:serviceaccount:ai:gateway');
      expect(out.Audience).toBe('sts.amazonaws.com');
      expect(out.Provider).toBe('oidc.eks.us-east-1.amazonaws.com/id/ABC');
      expect(out.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${ACCOUNT}:assumed-role/BedrockOpen/irsa`);

      const expired = await rejection(
        anon.send(
          new AssumeRoleWithWebIdentityCommand({
            RoleArn: OPEN_ROLE,
            RoleSessionName: 'irsa',
            WebIdentityToken: jwt({ sub: 's', aud: 'sts.amazonaws.com', exp: now - 10 }),
          }),
        ),
      );
      expect(expired).toMatchObject({ name: 'ExpiredTokenException', status: 400 });
      // STS states both instants in epoch seconds.
      expect(expired.message).toMatch(
        new RegExp(`^Token expired: current date/time \\d{10} must be before the expiration date/time ${now - 10}$`),
      );
      const notJwt = await rejection(
        anon.send(
          new AssumeRoleWithWebIdentityCommand({
            RoleArn: OPEN_ROLE,
            RoleSessionName: 'irsa',
            WebIdentityToken: 'abcdef',
          }),
        ),
      );
      // STS sends the code InvalidIdentityToken; the SDK maps it to its modelled exception class.
      expect(notJwt).toEqual({
        name: 'InvalidIdentityTokenException',
        message: 'The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)',
        status: 400,
      });
    } finally {
      anon.destroy();
    }
  });
});
