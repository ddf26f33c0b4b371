/**
 * `/v1/embeddings` end to end: the official openai SDK → gateway → emulator (Titan v1/v2, Cohere v3).
 * The emulator derives vectors from a hash of each text, so order, fan-out and encoding are checkable.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OUTSIDER_KEY } from '../helpers/config-dir.js';
import { MODELS, type Stack, startStack } from './stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

async function raw(body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${stack.gateway.url}/v1/embeddings`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.client.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('Titan Text Embeddings v2', () => {
  it('embeds a string: unit-length 1024 floats, usage from Bedrock', async () => {
    const res = await stack.client.embeddings.create({ model: MODELS.titanV2, input: 'hello world' });
    expect(res.object).toBe('list');
    expect(res.model).toBe(MODELS.titanV2);
    expect(res.data).toHaveLength(1);
    const vector = res.data[0]!.embedding;
    expect(vector).toHaveLength(1024);
    expect(norm(vector)).toBeCloseTo(1, 4);
    // The emulator counts ceil(chars / 4) tokens: "hello world" = 3.
    expect(res.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
  });

  it('fans a list out one call per text, keeps order and sums usage', async () => {
    const texts = Array.from({ length: 20 }, (_, i) => `text number ${i}`);
    const batch = await stack.client.embeddings.create({ model: MODELS.titanV2, input: texts, dimensions: 256 });
    expect(batch.data.map((d) => d.index)).toEqual(texts.map((_, i) => i));
    const single = await stack.client.embeddings.create({ model: MODELS.titanV2, input: texts[7]!, dimensions: 256 });
    expect(batch.data[7]!.embedding).toEqual(single.data[0]!.embedding);
    expect(batch.data[7]!.embedding).not.toEqual(batch.data[8]!.embedding);
    expect(batch.usage.prompt_tokens).toBe(texts.reduce((s, t) => s + Math.ceil(t.length / 4), 0));
  });

  it('returns float32 little-endian base64 that decodes to the float answer', async () => {
    // The SDK asks for base64 itself unless told otherwise and decodes it; ask explicitly to see the wire.
    const b64 = await raw({ model: MODELS.titanV2, input: 'same text', encoding_format: 'base64', dimensions: 512 });
    const floats = await raw({ model: MODELS.titanV2, input: 'same text', encoding_format: 'float', dimensions: 512 });
    const encoded = (b64.json.data as Array<{ embedding: string }>)[0]!.embedding;
    const expected = (floats.json.data as Array<{ embedding: number[] }>)[0]!.embedding;
    const buf = Buffer.from(encoded, 'base64');
    const decoded = Array.from({ length: buf.length / 4 }, (_, i) => buf.readFloatLE(i * 4));
    expect(decoded).toEqual(expected);
    // The SDK's default path (base64 under the hood) yields the same floats.
    const sdk = await stack.client.embeddings.create({ model: MODELS.titanV2, input: 'same text', dimensions: 512 });
    expect(sdk.data[0]!.embedding).toEqual(expected);
  });

  it('honours the normalize extension', async () => {
    const res = await stack.client.embeddings.create({
      model: MODELS.titanV2,
      input: 'not normalised',
      dimensions: 256,
      encoding_format: 'float',
      // @ts-expect-error gateway extension, sent as extra body
      normalize: false,
    });
    expect(norm(res.data[0]!.embedding)).toBeGreaterThan(1.5);
  });
});

describe('cost', () => {
  it('adds input tokens × the Titan v2 price to aigw_cost_usd_total', async () => {
    const costOf = async () =>
      (await stack.gateway.metrics.cost.get()).values
        .filter((v) => v.labels.model === 'amazon-titan-embed-text-v2-0')
        .reduce((sum, v) => sum + v.value, 0);
    const before = await costOf();
    const res = await stack.client.embeddings.create({ model: MODELS.titanV2, input: 'x'.repeat(4000) });
    expect(res.usage.prompt_tokens).toBe(1000);
    // $0.02 per million input tokens.
    expect((await costOf()) - before).toBeCloseTo(0.00002, 12);
  });
});

describe('Titan Text Embeddings v1', () => {
  it('embeds with 1536 dimensions', async () => {
    const res = await stack.client.embeddings.create({ model: MODELS.titanV1, input: ['a', 'b'] });
    expect(res.data.map((d) => d.embedding.length)).toEqual([1536, 1536]);
  });
});

describe('Cohere Embed v3', () => {
  it('batches 100 texts as 96 + 4, in order, with usage from the token header', async () => {
    const texts = Array.from({ length: 100 }, (_, i) => `document ${i}`);
    const res = await stack.client.embeddings.create({ model: MODELS.cohereEnglish, input: texts });
    expect(res.data).toHaveLength(100);
    expect(res.data.map((d) => d.index)).toEqual(texts.map((_, i) => i));
    const last = await stack.client.embeddings.create({ model: MODELS.cohereEnglish, input: texts[99]! });
    expect(res.data[99]!.embedding).toEqual(last.data[0]!.embedding);
    expect(res.data[0]!.embedding).toHaveLength(1024);
    expect(res.usage.prompt_tokens).toBe(texts.reduce((s, t) => s + Math.ceil(t.length / 4), 0));
  });

  it('passes input_type and truncate through as extensions', async () => {
    const res = await stack.client.embeddings.create({
      model: MODELS.cohereMultilingual,
      input: ['¿dónde está?'],
      // @ts-expect-error gateway extensions
      input_type: 'search_query',
      truncate: 'END',
    });
    expect(res.data).toHaveLength(1);
  });
});

describe('bad input is a 400 with a clear message', () => {
  const cases: Array<
    [string, Record<string, unknown>, { status: number; code: string; param?: string; message?: string }]
  > = [
    [
      'token-id array',
      { model: MODELS.titanV2, input: [1, 2, 3] },
      { status: 400, code: 'unsupported_value', param: 'input', message: 'token-id' },
    ],
    [
      'nested token arrays',
      { model: MODELS.cohereEnglish, input: [[1, 2]] },
      { status: 400, code: 'unsupported_value', param: 'input' },
    ],
    [
      'empty string',
      { model: MODELS.titanV2, input: '' },
      { status: 400, code: 'invalid_value', param: 'input', message: 'empty' },
    ],
    ['empty list', { model: MODELS.titanV2, input: [] }, { status: 400, code: 'invalid_value', param: 'input' }],
    [
      'Titan v2 dimensions 300',
      { model: MODELS.titanV2, input: 'x', dimensions: 300 },
      { status: 400, code: 'invalid_value', param: 'dimensions', message: '256, 512 or 1024' },
    ],
    [
      'Titan v1 dimensions',
      { model: MODELS.titanV1, input: 'x', dimensions: 256 },
      { status: 400, code: 'unsupported_parameter', param: 'dimensions' },
    ],
    [
      'Cohere text over 2,048 chars',
      { model: MODELS.cohereEnglish, input: ['x'.repeat(2049)] },
      { status: 400, code: 'invalid_value', param: 'input', message: '2048 characters' },
    ],
    [
      'Cohere bad input_type',
      { model: MODELS.cohereEnglish, input: 'x', input_type: 'query' },
      { status: 400, code: 'invalid_value', param: 'input_type' },
    ],
    [
      'unknown encoding',
      { model: MODELS.titanV2, input: 'x', encoding_format: 'int8' },
      { status: 400, code: 'invalid_value', param: 'encoding_format' },
    ],
    [
      'a chat model',
      { model: MODELS.chat, input: 'x' },
      { status: 400, code: 'invalid_value', param: 'model', message: 'chat model' },
    ],
    ['an unknown model', { model: 'demo/nope', input: 'x' }, { status: 404, code: 'model_not_found', param: 'model' }],
    ['missing input', { model: MODELS.titanV2 }, { status: 400, code: 'missing_required_parameter', param: 'input' }],
  ];
  for (const [name, body, expected] of cases) {
    it(name, async () => {
      const { status, json } = await raw(body);
      expect(status).toBe(expected.status);
      const error = json.error as { code: string; param: string | null; message: string; type: string };
      expect(error.code).toBe(expected.code);
      if (expected.param) expect(error.param).toBe(expected.param);
      if (expected.message) expect(error.message).toContain(expected.message);
    });
  }

  it("403s a caller who is not a collaborator of the model's account, and 401s a missing key", async () => {
    const outsider = new OpenAI({ baseURL: `${stack.gateway.url}/v1`, apiKey: OUTSIDER_KEY, maxRetries: 0 });
    await expect(outsider.embeddings.create({ model: MODELS.titanV2, input: 'x' })).rejects.toBeInstanceOf(
      OpenAI.PermissionDeniedError,
    );
    await expect(
      outsider.images.generate({ model: MODELS.novaCanvas, prompt: 'x', size: '320x320' }),
    ).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    const res = await fetch(`${stack.gateway.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODELS.titanV2, input: 'x' }),
    });
    expect(res.status).toBe(401);
  });

  it('surfaces as the SDK BadRequestError', async () => {
    await expect(stack.client.embeddings.create({ model: MODELS.titanV2, input: '' })).rejects.toBeInstanceOf(
      OpenAI.BadRequestError,
    );
  });

  it('fails the whole request when one fanned-out item fails upstream', async () => {
    // 40,000 characters = 10,000 emulator tokens, over Titan's 8,192-token limit: Bedrock's 400 for that
    // one item fails the request instead of returning the other embeddings.
    const { status, json } = await raw({ model: MODELS.titanV2, input: ['fine', 'x'.repeat(40_000), 'also fine'] });
    expect(status).toBe(400);
    expect((json.error as { message: string }).message).toContain('Too many input tokens');
    expect(json).not.toHaveProperty('data');
  });
});
