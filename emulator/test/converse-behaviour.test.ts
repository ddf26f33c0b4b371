import {
  BedrockRuntimeClient,
  type ContentBlock,
  ConverseCommand,
  type ConverseCommandInput,
  ConverseStreamCommand,
  type ConverseStreamOutput,
  CountTokensCommand,
  type Message,
} from '@aws-sdk/client-bedrock-runtime';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../src/index.js';

const CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const SONNET = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';
const WEATHER_SCHEMA = {
  type: 'object',
  properties: {
    city: { type: 'string' },
    unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
    days: { type: 'integer', minimum: 3 },
    tags: { type: 'array', items: { type: 'string' } },
    where: { type: 'object', properties: { lat: { type: 'number' }, exact: { type: 'boolean' } } },
  },
  required: ['city'],
};
const TOOLS: NonNullable<ConverseCommandInput['toolConfig']>['tools'] = [
  { toolSpec: { name: 'get_weather', inputSchema: { json: WEATHER_SCHEMA } } },
  { toolSpec: { name: 'get_time', inputSchema: { json: { type: 'object', properties: {} } } } },
];

let emu: RunningEmulator;
let client: BedrockRuntimeClient;

function ask(textOrMessages: string | Message[], extra: Partial<ConverseCommandInput> = {}) {
  const messages =
    typeof textOrMessages === 'string'
      ? [{ role: 'user' as const, content: [{ text: textOrMessages }] }]
      : textOrMessages;
  return client.send(new ConverseCommand({ modelId: SONNET, messages, ...extra }));
}

async function admin(path: string, method: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${emu.url}/_emulator/${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return response.json();
}

beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  client = new BedrockRuntimeClient({
    endpoint: emu.url,
    region: 'us-east-1',
    credentials: CREDENTIALS,
    maxAttempts: 1,
  });
});

afterEach(async () => {
  await admin('reset', 'POST');
});

afterAll(async () => {
  client.destroy();
  await emu.close();
});

describe('deterministic text', () => {
  it('truncates at maxTokens with stopReason max_tokens', async () => {
    const out = await ask('abcdefghijklmnop', { inferenceConfig: { maxTokens: 2 } });
    expect(out.output?.message?.content).toEqual([{ text: 'Echo: ab' }]);
    expect(out.stopReason).toBe('max_tokens');
    expect(out.usage?.outputTokens).toBe(2);
  });

  it('stops before a stop sequence and reports it when asked', async () => {
    const out = await ask('alpha STOP beta', {
      inferenceConfig: { stopSequences: ['STOP'] },
      additionalModelResponseFieldPaths: ['/stop_sequence'],
    });
    expect(out.output?.message?.content).toEqual([{ text: 'Echo: alpha ' }]);
    expect(out.stopReason).toBe('stop_sequence');
    expect(out.additionalModelResponseFields).toEqual({ stop_sequence: 'STOP' });
  });

  it('[[reply:...]] sets the reply and [[stop:...]] the stop reason', async () => {
    expect((await ask('[[reply:exactly this]]')).output?.message?.content).toEqual([{ text: 'exactly this' }]);
    const guarded = await ask('bad words [[stop:guardrail_intervened]]');
    expect(guarded.stopReason).toBe('guardrail_intervened');
    expect(guarded.output?.message?.content).toEqual([{ text: 'Sorry, the model cannot answer this question.' }]);
    const filtered = await ask('x [[stop:content_filtered]]');
    expect(filtered.stopReason).toBe('content_filtered');
    expect(filtered.output?.message?.content).toEqual([]);
    expect((await ask('long [[stop:model_context_window_exceeded]]')).stopReason).toBe('model_context_window_exceeded');
  });
});

describe('tools', () => {
  it('toolChoice tool calls the named tool with input generated from its schema', async () => {
    const out = await ask('weather please', {
      toolConfig: { tools: TOOLS, toolChoice: { tool: { name: 'get_weather' } } },
    });
    expect(out.stopReason).toBe('tool_use');
    const blocks = out.output?.message?.content ?? [];
    expect(blocks).toHaveLength(1);
    const use = blocks[0]?.toolUse;
    expect(use?.name).toBe('get_weather');
    expect(use?.toolUseId).toMatch(/^tooluse_[A-Za-z0-9_-]{22}$/);
    expect(use?.input).toEqual({
      city: 'city',
      unit: 'celsius',
      days: 3,
      tags: ['tags'],
      where: { lat: 1.5, exact: true },
    });
  });

  it('toolChoice any calls the first tool when none is named', async () => {
    const out = await ask('do something', { toolConfig: { tools: TOOLS, toolChoice: { any: {} } } });
    expect(out.output?.message?.content?.map((b) => b.toolUse?.name)).toEqual(['get_weather']);
  });

  it('auto calls tools named in the last user text, after a short text', async () => {
    const out = await ask('use get_time now', { toolConfig: { tools: TOOLS } });
    const blocks = out.output?.message?.content ?? [];
    expect(blocks[0]).toEqual({ text: 'Calling get_time.' });
    expect(blocks[1]?.toolUse).toMatchObject({ name: 'get_time', input: {} });
    const plain = await ask('just chat', { toolConfig: { tools: TOOLS } });
    expect(plain.stopReason).toBe('end_turn');
  });

  it('[[tools:2]] makes two calls and the results come back in the reply', async () => {
    const first = await ask('[[tools:2]] go', { toolConfig: { tools: TOOLS } });
    const uses = (first.output?.message?.content ?? []).flatMap((b) => (b.toolUse ? [b.toolUse] : []));
    expect(uses.map((u) => u.name)).toEqual(['get_weather', 'get_time']);
    const second = await ask(
      [
        { role: 'user', content: [{ text: '[[tools:2]] go' }] },
        { role: 'assistant', content: first.output?.message?.content ?? [] },
        {
          role: 'user',
          content: uses.map(
            (u, i): ContentBlock => ({
              toolResult: {
                toolUseId: u.toolUseId ?? '',
                content: i === 0 ? [{ json: { temp: 21 } }] : [{ text: 'noon' }],
              },
            }),
          ),
        },
      ],
      { toolConfig: { tools: TOOLS } },
    );
    expect(second.output?.message?.content).toEqual([
      { text: `Tool results: ${uses[0]?.toolUseId}: {"temp":21}; ${uses[1]?.toolUseId}: noon` },
    ]);
  });

  it('streams a tool call as contentBlockStart then input fragments', async () => {
    const out = await client.send(
      new ConverseStreamCommand({
        modelId: SONNET,
        messages: [{ role: 'user', content: [{ text: 'weather' }] }],
        toolConfig: { tools: TOOLS, toolChoice: { tool: { name: 'get_weather' } } },
      }),
    );
    const events: ConverseStreamOutput[] = [];
    for await (const e of out.stream ?? []) events.push(e);
    const start = events.find((e) => e.contentBlockStart)?.contentBlockStart;
    expect(start?.start?.toolUse?.name).toBe('get_weather');
    const fragments = events.flatMap((e) => {
      const input = e.contentBlockDelta?.delta?.toolUse?.input;
      return input === undefined ? [] : [input];
    });
    expect(fragments.length).toBeGreaterThan(1);
    expect(JSON.parse(fragments.join(''))).toMatchObject({ city: 'city' });
    expect(events.find((e) => e.messageStop)?.messageStop?.stopReason).toBe('tool_use');
  });
});

describe('reasoning', () => {
  const thinking = { thinking: { type: 'enabled', budget_tokens: 1024 } };

  it('puts a signed reasoning block first, and accepts it back unchanged', async () => {
    const first = await ask('why is the sky blue', { additionalModelRequestFields: thinking });
    const content = first.output?.message?.content ?? [];
    expect(content[0]?.reasoningContent?.reasoningText?.text).toBe('Reasoning about: why is the sky blue');
    expect(content[0]?.reasoningContent?.reasoningText?.signature).toBeTruthy();
    expect(content[1]).toEqual({ text: 'Echo: why is the sky blue' });
    const followUp = await ask(
      [
        { role: 'user', content: [{ text: 'why is the sky blue' }] },
        { role: 'assistant', content },
        { role: 'user', content: [{ text: 'and sunsets?' }] },
      ],
      { additionalModelRequestFields: thinking },
    );
    expect(followUp.stopReason).toBe('end_turn');
    const tampered = structuredClone(content);
    const reasoningText = tampered[0]?.reasoningContent?.reasoningText;
    if (reasoningText) reasoningText.text = 'Reasoning about: something else';
    await expect(
      ask(
        [
          { role: 'user', content: [{ text: 'why is the sky blue' }] },
          { role: 'assistant', content: tampered },
          { role: 'user', content: [{ text: 'and sunsets?' }] },
        ],
        { additionalModelRequestFields: thinking },
      ),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'messages.1.content.0: Invalid `signature` in `thinking` block',
    });
  });

  it('[[redacted]] yields redactedContent that verifies when sent back', async () => {
    const first = await ask('secret [[redacted]]', { additionalModelRequestFields: thinking });
    const content = first.output?.message?.content ?? [];
    expect(content[0]?.reasoningContent?.redactedContent).toBeInstanceOf(Uint8Array);
    const again = await ask(
      [
        { role: 'user', content: [{ text: 'secret [[redacted]]' }] },
        { role: 'assistant', content },
        { role: 'user', content: [{ text: 'next' }] },
      ],
      { additionalModelRequestFields: thinking },
    );
    expect(again.stopReason).toBe('end_turn');
  });

  it('Claude 4.6 accepts adaptive thinking; earlier models do not', async () => {
    const out = await client.send(
      new ConverseCommand({
        modelId: 'global.anthropic.claude-sonnet-4-6',
        messages: [{ role: 'user', content: [{ text: 'plan it' }] }],
        additionalModelRequestFields: { thinking: { type: 'adaptive' } },
      }),
    );
    expect(out.output?.message?.content?.[0]?.reasoningContent?.reasoningText?.text).toBe('Reasoning about: plan it');
    await expect(
      ask('plan it', { additionalModelRequestFields: { thinking: { type: 'adaptive' } } }),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: "thinking.type: Input should be 'enabled' or 'disabled'",
    });
  });

  it('streams reasoning deltas then one signature delta', async () => {
    const out = await client.send(
      new ConverseStreamCommand({
        modelId: SONNET,
        messages: [{ role: 'user', content: [{ text: 'think hard about it' }] }],
        additionalModelRequestFields: thinking,
      }),
    );
    const deltas: string[] = [];
    for await (const e of out.stream ?? []) {
      const r = e.contentBlockDelta?.delta?.reasoningContent;
      if (r?.text !== undefined) deltas.push('text');
      if (r?.signature !== undefined) deltas.push('signature');
    }
    expect(deltas.at(-1)).toBe('signature');
    expect(deltas.filter((d) => d === 'signature')).toHaveLength(1);
    expect(deltas.length).toBeGreaterThan(2);
  });
});

describe('prompt caching', () => {
  it('writes a prefix of at least the minimum on first use and reads it afterwards', async () => {
    const system = [{ text: 'x'.repeat(4096 * 2) }, { cachePoint: { type: 'default' as const } }];
    const first = await ask('hi', { system });
    // 8192 chars = 2048 tokens ≥ 1024 minimum for Sonnet 4.5; "hi" = 1 token.
    expect(first.usage).toEqual({
      inputTokens: 1,
      outputTokens: 2,
      totalTokens: 2051,
      cacheReadInputTokens: 0,
      cacheWriteInputTokens: 2048,
    });
    const second = await ask('hi', { system });
    expect(second.usage).toMatchObject({ inputTokens: 1, cacheReadInputTokens: 2048, cacheWriteInputTokens: 0 });
    // A different prefix misses.
    const other = await ask('hi', { system: [{ text: 'y'.repeat(4096 * 2) }, { cachePoint: { type: 'default' } }] });
    expect(other.usage).toMatchObject({ cacheReadInputTokens: 0, cacheWriteInputTokens: 2048 });
  });

  it('does not cache a prefix below the minimum, and entries expire after their TTL', async () => {
    const small = await ask('hi', { system: [{ text: 'short' }, { cachePoint: { type: 'default' } }] });
    expect(small.usage).toMatchObject({ inputTokens: 3, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 });
    const system = [{ text: 'z'.repeat(8192) }, { cachePoint: { type: 'default' as const } }];
    // API-key auth: moving the emulator clock past the TTL would also put SigV4 dates outside the 5-minute skew.
    const bearer = new BedrockRuntimeClient({
      endpoint: emu.url,
      region: 'us-east-1',
      token: { token: 'ABSKRW11bGF0b3JEZW1vS2V5' },
      authSchemePreference: ['httpBearerAuth'],
      maxAttempts: 1,
    });
    const send = () =>
      bearer.send(
        new ConverseCommand({ modelId: SONNET, system, messages: [{ role: 'user', content: [{ text: 'hi' }] }] }),
      );
    await send();
    emu.state.clock.advance(4 * 60_000);
    // A read refreshes the TTL, so the entry outlives its first five minutes.
    expect((await send()).usage).toMatchObject({ cacheReadInputTokens: 2048 });
    emu.state.clock.advance(4 * 60_000);
    expect((await send()).usage).toMatchObject({ cacheReadInputTokens: 2048 });
    emu.state.clock.advance(5 * 60_000 + 1);
    try {
      expect((await send()).usage).toMatchObject({ cacheReadInputTokens: 0, cacheWriteInputTokens: 2048 });
    } finally {
      emu.state.clock.advance(-(13 * 60_000 + 1));
      bearer.destroy();
    }
  });
});

describe('structured output and token counting', () => {
  it('replies with JSON generated from the outputConfig schema', async () => {
    const out = await ask('give me a person', {
      outputConfig: {
        textFormat: {
          type: 'json_schema',
          structure: {
            jsonSchema: {
              schema: JSON.stringify({
                type: 'object',
                properties: { name: { type: 'string' }, age: { type: 'integer' } },
              }),
            },
          },
        },
      },
    });
    expect(JSON.parse(out.output?.message?.content?.[0]?.text ?? '')).toEqual({ name: 'name', age: 1 });
  });

  it('CountTokens counts a Converse input with the documented rule', async () => {
    const out = await client.send(
      new CountTokensCommand({
        modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
        input: { converse: { messages: [{ role: 'user', content: [{ text: '12345678' }] }] } },
      }),
    );
    expect(out.inputTokens).toBe(2);
  });
});

describe('model access', () => {
  it('a model the account was not granted answers 403 AccessDeniedException', async () => {
    const denied = await startEmulator({
      port: 0,
      identity: { deniedModels: ['anthropic.claude-sonnet-4-5-20250929-v1:0'] },
    });
    const other = new BedrockRuntimeClient({
      endpoint: denied.url,
      region: 'us-east-1',
      credentials: CREDENTIALS,
      maxAttempts: 1,
    });
    try {
      await expect(
        other.send(new ConverseCommand({ modelId: SONNET, messages: [{ role: 'user', content: [{ text: 'x' }] }] })),
      ).rejects.toMatchObject({
        name: 'AccessDeniedException',
        message: "You don't have access to the model with the specified model ID.",
        $metadata: { httpStatusCode: 403 },
      });
    } finally {
      other.destroy();
      await denied.close();
    }
  });
});

describe('faults and latency', () => {
  it('throttle, 500, 503 and model timeout faults return the modelled errors, then clear', async () => {
    await admin('faults', 'POST', [
      { type: 'throttle', count: 1 },
      { type: 'error', status: 500, count: 1 },
      { type: 'error', status: 503, count: 1 },
      { type: 'timeout', count: 1 },
    ]);
    await expect(ask('a')).rejects.toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } });
    await expect(ask('a')).rejects.toMatchObject({
      name: 'InternalServerException',
      $metadata: { httpStatusCode: 500 },
    });
    await expect(ask('a')).rejects.toMatchObject({
      name: 'ServiceUnavailableException',
      $metadata: { httpStatusCode: 503 },
    });
    await expect(ask('a')).rejects.toMatchObject({ name: 'ModelTimeoutException', $metadata: { httpStatusCode: 408 } });
    expect((await ask('a')).stopReason).toBe('end_turn');
  });

  it('a throttle fault can carry Retry-After', async () => {
    await admin('faults', 'POST', { type: 'throttle', count: 1, retryAfterSeconds: 2 });
    const response = await fetch(`${emu.url}/model/${encodeURIComponent(SONNET)}/converse`, {
      method: 'POST',
      headers: { authorization: 'Bearer ABSKRW11bGF0b3JEZW1vS2V5' },
      body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'x' }] }] }),
    });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(await response.json()).toEqual({ message: 'Too many requests, please wait before trying again.' });
  });

  it('a fault filtered to another model leaves this one alone', async () => {
    await admin('faults', 'POST', { type: 'throttle', model: 'amazon.nova-lite-v1:0' });
    expect((await ask('a')).stopReason).toBe('end_turn');
    await admin('faults', 'DELETE');
  });

  it('a dropped connection fails the request without a response', async () => {
    await admin('faults', 'POST', { type: 'drop', count: 1 });
    const response = fetch(`${emu.url}/model/${encodeURIComponent(SONNET)}/converse`, {
      method: 'POST',
      headers: { authorization: 'Bearer ABSKRW11bGF0b3JEZW1vS2V5' },
      body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'x' }] }] }),
    });
    await expect(response).rejects.toThrow();
  });

  it('latency config adds a fixed delay reflected in metrics.latencyMs', async () => {
    await admin('config', 'PUT', { latency: { fixedMs: 60 } });
    const started = Date.now();
    const out = await ask('slow');
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    expect(out.metrics?.latencyMs).toBeGreaterThanOrEqual(55);
  });

  it('time to first token delays the first stream event', async () => {
    await admin('config', 'PUT', { latency: { timeToFirstTokenMs: 80, interTokenDelayMs: 5 } });
    const started = Date.now();
    const out = await client.send(
      new ConverseStreamCommand({
        modelId: SONNET,
        messages: [{ role: 'user', content: [{ text: 'one two three four' }] }],
      }),
    );
    let firstEventAt = 0;
    for await (const event of out.stream ?? []) {
      if (event.messageStart) firstEventAt = Date.now();
    }
    expect(firstEventAt - started).toBeGreaterThanOrEqual(75);
  });

  it('a client that disconnects mid-stream stops the stream and is counted as aborted', async () => {
    await admin('config', 'PUT', { latency: { interTokenDelayMs: 40 } });
    const controller = new AbortController();
    const response = await fetch(`${emu.url}/model/${encodeURIComponent(SONNET)}/converse-stream`, {
      method: 'POST',
      headers: { authorization: 'Bearer ABSKRW11bGF0b3JEZW1vS2V5', 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'w '.repeat(40) }] }] }),
      signal: controller.signal,
    });
    const reader = response.body?.getReader();
    await reader?.read();
    controller.abort();
    await new Promise((resolve) => setTimeout(resolve, 150));
    const stats = (await admin('stats', 'GET')) as { streams: Record<string, number> };
    expect(stats.streams).toEqual({ started: 1, aborted: 1 });
  });

  it('stats count operations per principal and reset clears them', async () => {
    await ask('count me');
    const stats = (await admin('stats', 'GET')) as {
      operations: Record<string, number>;
      principals: Record<string, number>;
    };
    expect(stats.operations.Converse).toBe(1);
    expect(stats.principals['arn:aws:iam::111122223333:user/aigw-emulator-user']).toBe(1);
    await admin('reset', 'POST');
    expect(((await admin('stats', 'GET')) as { operations: Record<string, number> }).operations).toEqual({});
  });
});
