import {
  BedrockRuntimeClient,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from '@aws-sdk/client-bedrock-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validationException } from '../src/errors.js';
import { type RunningEmulator, startEmulator } from '../src/index.js';
import { INVOKE_HANDLERS, type InvokeContext } from '../src/invoke/index.js';

const CREDENTIALS = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const LLAMA = 'meta.llama3-8b-instruct-v1:0';

let emu: RunningEmulator;
let client: BedrockRuntimeClient;
const seen: InvokeContext[] = [];
const previous = INVOKE_HANDLERS.meta;

beforeAll(async () => {
  // A handler for a family the registry leaves empty, so routing is tested apart from real bodies.
  INVOKE_HANDLERS.meta = (body, ctx) => {
    seen.push(ctx);
    const prompt = (body as { prompt?: unknown }).prompt;
    if (typeof prompt !== 'string')
      throw validationException(
        'Malformed input request: #: required key [prompt] not found, please reformat your input and try again.',
      );
    const generation = prompt.toUpperCase();
    return {
      body: { generation, stop_reason: 'stop' },
      inputTokens: 7,
      outputTokens: 3,
      streamChunks: [{ generation: generation.slice(0, 1) }, { generation: generation.slice(1), stop_reason: 'stop' }],
    };
  };
  emu = await startEmulator({ port: 0 });
  client = new BedrockRuntimeClient({
    endpoint: emu.url,
    region: 'us-east-1',
    credentials: CREDENTIALS,
    maxAttempts: 1,
  });
});

afterAll(async () => {
  INVOKE_HANDLERS.meta = previous;
  client.destroy();
  await emu.close();
});

describe('InvokeModel routing', () => {
  it('sends the native body to the family handler and returns its body', async () => {
    const out = await client.send(
      new InvokeModelCommand({
        modelId: LLAMA,
        contentType: 'application/json',
        body: JSON.stringify({ prompt: 'hi there' }),
      }),
    );
    expect(JSON.parse(new TextDecoder().decode(out.body))).toEqual({ generation: 'HI THERE', stop_reason: 'stop' });
    expect(out.contentType).toBe('application/json');
    expect(seen.at(-1)).toMatchObject({
      modelId: LLAMA,
      foundationModelId: LLAMA,
      family: 'meta',
      accept: 'application/json',
      model: { id: LLAMA },
    });
  });

  it('sets the token-count and latency headers', async () => {
    const response = await fetch(`${emu.url}/model/${encodeURIComponent(LLAMA)}/invoke`, {
      method: 'POST',
      headers: { authorization: 'Bearer ABSKRW11bGF0b3JEZW1vS2V5', 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'x' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-amzn-bedrock-input-token-count')).toBe('7');
    expect(response.headers.get('x-amzn-bedrock-output-token-count')).toBe('3');
    expect(Number(response.headers.get('x-amzn-bedrock-invocation-latency'))).toBeGreaterThan(0);
    expect(response.headers.get('x-amzn-requestid')).toBeTruthy();
  });

  it('a handler rejection is the ValidationException it threw', async () => {
    await expect(
      client.send(
        new InvokeModelCommand({
          modelId: LLAMA,
          contentType: 'application/json',
          body: JSON.stringify({ text: 'x' }),
        }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Malformed input request: #: required key [prompt] not found, please reformat your input and try again.',
    });
  });

  it('a family without a handler, and unknown models, are rejected', async () => {
    await expect(
      client.send(
        new InvokeModelCommand({
          modelId: 'cohere.command-r-v1:0',
          contentType: 'application/json',
          body: '{"message":"x"}',
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
    await expect(
      client.send(new InvokeModelCommand({ modelId: 'nope.model-v1', contentType: 'application/json', body: '{}' })),
    ).rejects.toMatchObject({ name: 'ValidationException', message: 'The provided model identifier is invalid.' });
  });

  it('embedding models route to the registered titan-embed handler', async () => {
    const out = await client.send(
      new InvokeModelCommand({
        modelId: 'amazon.titan-embed-text-v2:0',
        contentType: 'application/json',
        body: JSON.stringify({ inputText: 'hello', dimensions: 256 }),
      }),
    );
    const body = JSON.parse(new TextDecoder().decode(out.body)) as { embedding: number[] };
    expect(body.embedding).toHaveLength(256);
  });

  it('InvokeModelWithResponseStream sends each native stream event as a chunk event', async () => {
    const out = await client.send(
      new InvokeModelWithResponseStreamCommand({
        modelId: LLAMA,
        contentType: 'application/json',
        body: JSON.stringify({ prompt: 'abc' }),
      }),
    );
    const chunks: unknown[] = [];
    for await (const event of out.body ?? []) {
      if (event.chunk?.bytes) chunks.push(JSON.parse(new TextDecoder().decode(event.chunk.bytes)));
    }
    // Bedrock adds its invocation metrics to the last chunk of every model's stream (§5.1).
    expect(chunks).toEqual([
      { generation: 'A' },
      {
        generation: 'BC',
        stop_reason: 'stop',
        'amazon-bedrock-invocationMetrics': {
          inputTokenCount: 7,
          outputTokenCount: 3,
          invocationLatency: expect.any(Number),
          firstByteLatency: expect.any(Number),
        },
      },
    ]);
  });

  it('streaming is refused for models that do not stream', async () => {
    await expect(
      client.send(
        new InvokeModelWithResponseStreamCommand({
          modelId: 'amazon.titan-embed-text-v2:0',
          contentType: 'application/json',
          body: JSON.stringify({ inputText: 'x' }),
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException', message: 'The model is unsupported for streaming.' });
  });
});
