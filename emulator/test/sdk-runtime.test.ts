import {
  BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  type ConverseStreamOutput,
  InvokeModelCommand,
} from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../src/index.js';

const CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const SONNET = 'us.anthropic.claude-sonnet-4-5-20250929-v1:0';

let emu: RunningEmulator;
let client: BedrockRuntimeClient;

beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  // The default request handler of this client is HTTP/2 (h2c against an http:// endpoint).
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

describe('official Bedrock runtime SDK against the emulator', () => {
  it('Converse echoes the last user text with usage and latency', async () => {
    const out = await client.send(
      new ConverseCommand({ modelId: SONNET, messages: [{ role: 'user', content: [{ text: 'hello there' }] }] }),
    );
    expect(out.output?.message?.content).toEqual([{ text: 'Echo: hello there' }]);
    expect(out.stopReason).toBe('end_turn');
    // "hello there" = 11 chars → 3 tokens; "Echo: hello there" = 17 chars → 5 tokens.
    expect(out.usage).toEqual({ inputTokens: 3, outputTokens: 5, totalTokens: 8 });
    expect(out.metrics?.latencyMs).toBeGreaterThan(0);
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('ConverseStream delivers events in Bedrock order with text split into deltas', async () => {
    const out = await client.send(
      new ConverseStreamCommand({
        modelId: SONNET,
        messages: [{ role: 'user', content: [{ text: 'one two three four five six' }] }],
      }),
    );
    const events: ConverseStreamOutput[] = [];
    for await (const event of out.stream ?? []) events.push(event);
    const kinds = events.map((e) => Object.keys(e).find((k) => k !== '$unknown'));
    expect(kinds[0]).toBe('messageStart');
    expect(kinds.slice(-3)).toEqual(['contentBlockStop', 'messageStop', 'metadata']);
    const deltas = events.flatMap((e) => (e.contentBlockDelta?.delta?.text ? [e.contentBlockDelta.delta.text] : []));
    expect(deltas.length).toBeGreaterThan(2);
    expect(deltas.join('')).toBe('Echo: one two three four five six');
    expect(events.at(-2)?.messageStop?.stopReason).toBe('end_turn');
    expect(events.at(-1)?.metadata?.usage?.outputTokens).toBe(9);
  });

  it('ConverseStream surfaces an injected mid-stream exception event', async () => {
    await fetch(`${emu.url}/_emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ type: 'stream-error', afterEvents: 2, exception: 'throttlingException', count: 1 }),
    });
    const out = await client.send(
      new ConverseStreamCommand({
        modelId: SONNET,
        messages: [{ role: 'user', content: [{ text: 'a b c d e f g h' }] }],
      }),
    );
    const seen: ConverseStreamOutput[] = [];
    const consume = async () => {
      for await (const event of out.stream ?? []) seen.push(event);
    };
    await expect(consume()).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(seen).toHaveLength(2);
  });

  it('Converse errors arrive as the modelled exception with Bedrock message', async () => {
    await expect(
      client.send(
        new ConverseCommand({
          modelId: 'anthropic.claude-3-5-sonnet-20241022-v2:0',
          messages: [{ role: 'user', content: [{ text: 'hi' }] }],
        }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message:
        'Invocation of model ID anthropic.claude-3-5-sonnet-20241022-v2:0 with on-demand throughput isn\u2019t supported. Retry your request with the ID or ARN of an inference profile that contains this model.',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('InvokeModel on a family without a handler is a ValidationException', async () => {
    await expect(
      client.send(
        new InvokeModelCommand({
          modelId: 'meta.llama3-8b-instruct-v1:0',
          contentType: 'application/json',
          body: JSON.stringify({ prompt: 'hi' }),
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
  });

  it('a wrong secret key is rejected with InvalidSignatureException', async () => {
    const bad = new BedrockRuntimeClient({
      endpoint: emu.url,
      region: 'us-east-1',
      credentials: { ...CREDENTIALS, secretAccessKey: 'wrong' },
      maxAttempts: 1,
    });
    await expect(
      bad.send(new ConverseCommand({ modelId: SONNET, messages: [{ role: 'user', content: [{ text: 'hi' }] }] })),
    ).rejects.toMatchObject({ name: 'InvalidSignatureException', $metadata: { httpStatusCode: 403 } });
    bad.destroy();
  });

  it('AWS_BEARER_TOKEN_BEDROCK switches the SDK to the API key', async () => {
    process.env.AWS_BEARER_TOKEN_BEDROCK = 'ABSKRW11bGF0b3JEZW1vS2V5';
    try {
      const viaEnv = new BedrockRuntimeClient({ endpoint: emu.url, region: 'us-east-1', maxAttempts: 1 });
      const out = await viaEnv.send(
        new ConverseCommand({ modelId: SONNET, messages: [{ role: 'user', content: [{ text: 'env key' }] }] }),
      );
      expect(out.output?.message?.content?.[0]?.text).toBe('Echo: env key');
      viaEnv.destroy();
    } finally {
      delete process.env.AWS_BEARER_TOKEN_BEDROCK;
    }
  });

  it('a Bedrock API key works through the SDK bearer auth scheme', async () => {
    const bearer = new BedrockRuntimeClient({
      endpoint: emu.url,
      region: 'us-east-1',
      token: { token: 'ABSKRW11bGF0b3JEZW1vS2V5' },
      authSchemePreference: ['httpBearerAuth'],
      maxAttempts: 1,
    });
    const out = await bearer.send(
      new ConverseCommand({ modelId: SONNET, messages: [{ role: 'user', content: [{ text: 'with a key' }] }] }),
    );
    expect(out.output?.message?.content?.[0]?.text).toBe('Echo: with a key');
    const stats = (await (await fetch(`${emu.url}/_emulator/stats`)).json()) as { principals: Record<string, number> };
    expect(stats.principals['arn:aws:iam::111122223333:user/aigw-emulator-user']).toBeGreaterThan(0);
    bearer.destroy();
  });
});
