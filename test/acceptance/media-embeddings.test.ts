/**
 * Acceptance: `POST /v1/embeddings` through the official openai SDK against `aigw serve` in front of
 * `aigw emulator` (Titan Text Embeddings v1/v2, Cohere Embed v3 english/multilingual).
 */
import { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOpenAIError, M, type MediaStack, metricValue, post, startMediaStack } from './media-stack.js';

let stack: MediaStack;
beforeAll(async () => {
  stack = await startMediaStack();
});
afterAll(async () => {
  await stack?.close();
});

const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

/** OpenAI's base64 embedding: little-endian float32 bytes. */
function decodeBase64Vector(b64: string): number[] {
  const bytes = Buffer.from(b64, 'base64');
  expect(bytes.length % 4).toBe(0);
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i += 4) out.push(bytes.readFloatLE(i));
  return out;
}

describe('embeddings through the openai SDK', () => {
  it('Titan v2 with a string input: one unit-length 1024-dim vector, usage, echoed model', async () => {
    const text = 'The quick brown fox jumps over the lazy dog';
    const { data: res, response } = await stack.client.embeddings
      .create({ model: M.titanEmbedV2, input: text })
      .withResponse();
    expect(response.headers.get('x-request-id')).toBeTruthy();
    expect(res.object).toBe('list');
    expect(res.model).toBe(M.titanEmbedV2);
    expect(res.data).toHaveLength(1);
    expect(res.data[0]?.object).toBe('embedding');
    expect(res.data[0]?.index).toBe(0);
    const v = res.data[0]?.embedding as number[];
    expect(v).toHaveLength(1024);
    expect(norm(v)).toBeCloseTo(1, 4);
    expect(res.usage.prompt_tokens).toBe(Math.ceil(text.length / 4));
    expect(res.usage.total_tokens).toBe(res.usage.prompt_tokens);
  });

  it('Titan v2 list input with dimensions: order kept, equal texts equal vectors, usage summed', async () => {
    const input = ['alpha', 'beta gamma', 'alpha', 'delta epsilon zeta', 'eta', 'theta', 'iota', 'kappa', 'lambda mu'];
    const res = await stack.client.embeddings.create({
      model: M.titanEmbedV2,
      input,
      dimensions: 256,
      encoding_format: 'float',
    });
    expect(res.data.map((d) => d.index)).toEqual(input.map((_, i) => i));
    for (const d of res.data) expect(d.embedding).toHaveLength(256);
    expect(res.data[0]?.embedding).toEqual(res.data[2]?.embedding);
    expect(res.data[0]?.embedding).not.toEqual(res.data[1]?.embedding);
    // Each item alone gives the same vector as in the batch: nothing got shuffled by the fan-out.
    for (const i of [1, 3, 8]) {
      const single = await stack.client.embeddings.create({
        model: M.titanEmbedV2,
        input: input[i] as string,
        dimensions: 256,
        encoding_format: 'float',
      });
      expect(single.data[0]?.embedding).toEqual(res.data[i]?.embedding);
    }
    const expectedTokens = input.reduce((s, t) => s + Math.ceil(t.length / 4), 0);
    expect(res.usage).toEqual({ prompt_tokens: expectedTokens, total_tokens: expectedTokens });
  });

  it('Titan v2 dimensions 512 and 1024 work; 100 is a 400 naming dimensions', async () => {
    for (const dimensions of [512, 1024]) {
      const res = await stack.client.embeddings.create({ model: M.titanEmbedV2, input: 'x', dimensions });
      expect(res.data[0]?.embedding).toHaveLength(dimensions);
    }
    const bad = await post(stack, '/embeddings', { model: M.titanEmbedV2, input: 'x', dimensions: 100 });
    expect(expectOpenAIError(bad, 400).param).toBe('dimensions');
  });

  it('base64 encoding is little-endian float32 of the float vector (raw HTTP and SDK default agree)', async () => {
    const body = { model: M.cohereEn, input: ['one', 'two'] };
    const asFloat = await post(stack, '/embeddings', { ...body, encoding_format: 'float' });
    const asB64 = await post(stack, '/embeddings', { ...body, encoding_format: 'base64' });
    expect(asFloat.status).toBe(200);
    expect(asB64.status).toBe(200);
    type Resp = { data: { embedding: number[] | string; index: number }[] };
    const floats = (asFloat.json as Resp).data;
    const b64s = (asB64.json as Resp).data;
    expect(typeof b64s[0]?.embedding).toBe('string');
    for (const i of [0, 1]) {
      const decoded = decodeBase64Vector(b64s[i]?.embedding as string);
      const f = floats[i]?.embedding as number[];
      expect(decoded).toHaveLength(1024);
      expect(decoded).toEqual(f.map((x) => Math.fround(x)));
    }
    // The SDK asks for base64 when no encoding_format is given and decodes it itself.
    const sdk = await stack.client.embeddings.create(body);
    expect(sdk.data[1]?.embedding).toEqual((floats[1]?.embedding as number[] | undefined)?.map((x) => Math.fround(x)));
  });

  it('Titan v1: 1536 dims; dimensions 1536 accepted, other dimensions and normalize refused', async () => {
    const res = await stack.client.embeddings.create({ model: M.titanEmbedV1, input: ['a', 'b'] });
    expect(res.data.map((d) => d.embedding.length)).toEqual([1536, 1536]);
    const ok = await stack.client.embeddings.create({ model: M.titanEmbedV1, input: 'a', dimensions: 1536 });
    expect(ok.data[0]?.embedding).toHaveLength(1536);
    expect(
      expectOpenAIError(await post(stack, '/embeddings', { model: M.titanEmbedV1, input: 'a', dimensions: 512 }), 400)
        .param,
    ).toBe('dimensions');
    expectOpenAIError(await post(stack, '/embeddings', { model: M.titanEmbedV1, input: 'a', normalize: true }), 400);
  });

  it('Cohere english and multilingual: 1024 dims, more than 96 texts split and kept in order', async () => {
    const input = Array.from({ length: 200 }, (_, i) => `document number ${i}`);
    for (const model of [M.cohereEn, M.cohereMulti]) {
      const res = await stack.client.embeddings.create({ model, input, encoding_format: 'float' });
      expect(res.data).toHaveLength(200);
      expect(res.data.map((d) => d.index)).toEqual(input.map((_, i) => i));
      for (const d of res.data) expect(d.embedding).toHaveLength(1024);
      const last = await stack.client.embeddings.create({
        model,
        input: input[199] as string,
        encoding_format: 'float',
      });
      expect(last.data[0]?.embedding).toEqual(res.data[199]?.embedding);
      const tokens = input.reduce((s, t) => s + Math.ceil(t.length / 4), 0);
      expect(res.usage.prompt_tokens).toBe(tokens);
      expect(res.usage.total_tokens).toBe(tokens);
    }
  });

  it('Cohere: dimensions 1024 accepted, 256 refused; input_type search_query accepted; bad input_type refused', async () => {
    const ok = await stack.client.embeddings.create({ model: M.cohereEn, input: 'q', dimensions: 1024 });
    expect(ok.data[0]?.embedding).toHaveLength(1024);
    expect(
      expectOpenAIError(await post(stack, '/embeddings', { model: M.cohereEn, input: 'q', dimensions: 256 }), 400)
        .param,
    ).toBe('dimensions');
    const q = await post(stack, '/embeddings', { model: M.cohereEn, input: 'q', input_type: 'search_query' });
    expect(q.status).toBe(200);
    expectOpenAIError(await post(stack, '/embeddings', { model: M.cohereEn, input: 'q', input_type: 'poetry' }), 400);
  });

  it('Cohere text over 2,048 characters is a 400 naming the item', async () => {
    const long = 'a'.repeat(2049);
    const err = expectOpenAIError(await post(stack, '/embeddings', { model: M.cohereEn, input: ['ok', long] }), 400);
    expect(`${err.param} ${err.message}`).toMatch(/input.*1|\b1\b/);
    expect(err.message).toMatch(/2,?048/);
  });

  it('explicit nulls for optional fields mean "not given" (clients that serialise None send them)', async () => {
    for (const model of [M.titanEmbedV2, M.cohereEn]) {
      const res = await post(stack, '/embeddings', {
        model,
        input: 'nulls',
        encoding_format: null,
        dimensions: null,
        user: null,
        ...(model === M.cohereEn ? { input_type: null, truncate: null } : { normalize: null }),
      });
      expect(res.status, res.text.slice(0, 300)).toBe(200);
      expect((res.json as { data: { embedding: number[] }[] }).data[0]?.embedding).toHaveLength(1024);
    }
  });

  it('user is accepted', async () => {
    const res = await stack.client.embeddings.create({ model: M.titanEmbedV2, input: 'hello', user: 'end-user-42' });
    expect(res.data).toHaveLength(1);
  });

  it('the SDK surfaces a 400 as an APIError with status and message', async () => {
    const err = await stack.client.embeddings.create({ model: M.titanEmbedV2, input: '' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(APIError);
    expect((err as APIError).status).toBe(400);
    expect((err as APIError).message.length).toBeGreaterThan(10);
  });
});

describe('embeddings: bad input is a clear 4xx in OpenAI shape', () => {
  const cases: { name: string; body: unknown; status?: number; param?: string }[] = [
    { name: 'empty string', body: { model: M.titanEmbedV2, input: '' }, param: 'input' },
    { name: 'empty list', body: { model: M.titanEmbedV2, input: [] }, param: 'input' },
    { name: 'list with an empty string', body: { model: M.cohereEn, input: ['a', ''] } },
    { name: 'token ids', body: { model: M.titanEmbedV2, input: [1, 2, 3] }, param: 'input' },
    { name: 'list of token ids', body: { model: M.cohereEn, input: [[1, 2], [3]] }, param: 'input' },
    { name: 'number input', body: { model: M.titanEmbedV2, input: 42 }, param: 'input' },
    { name: 'object input', body: { model: M.titanEmbedV2, input: { text: 'x' } }, param: 'input' },
    { name: 'null input', body: { model: M.titanEmbedV2, input: null }, param: 'input' },
    { name: 'mixed list', body: { model: M.titanEmbedV2, input: ['a', 1] }, param: 'input' },
    { name: 'missing input', body: { model: M.titanEmbedV2 }, param: 'input' },
    { name: 'missing model', body: { input: 'x' }, param: 'model' },
    { name: 'model not a string', body: { model: 7, input: 'x' }, param: 'model' },
    { name: 'unknown model', body: { model: 'media/nope', input: 'x' }, status: 404 },
    { name: 'chat model', body: { model: M.novaLite, input: 'x' }, param: 'model' },
    { name: 'image model', body: { model: M.novaCanvas, input: 'x' }, param: 'model' },
    {
      name: 'too many items',
      body: { model: M.cohereEn, input: Array.from({ length: 2049 }, () => 'x') },
      param: 'input',
    },
    {
      name: 'bad encoding_format',
      body: { model: M.titanEmbedV2, input: 'x', encoding_format: 'int8' },
      param: 'encoding_format',
    },
    {
      name: 'dimensions as a string',
      body: { model: M.titanEmbedV2, input: 'x', dimensions: '256' },
      param: 'dimensions',
    },
    { name: 'dimensions zero', body: { model: M.titanEmbedV2, input: 'x', dimensions: 0 }, param: 'dimensions' },
    {
      name: 'normalize not a boolean',
      body: { model: M.titanEmbedV2, input: 'x', normalize: 'yes' },
      param: 'normalize',
    },
    { name: 'bad truncate', body: { model: M.cohereEn, input: 'x', truncate: 'MIDDLE' }, param: 'truncate' },
    { name: 'body is an array', body: [{ model: M.titanEmbedV2, input: 'x' }] },
    { name: 'huge Titan input (over 8,192 tokens)', body: { model: M.titanEmbedV2, input: 'word '.repeat(50_000) } },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const err = expectOpenAIError(await post(stack, '/embeddings', c.body), c.status ?? 400);
      if (c.param) expect(err.param).toBe(c.param);
    });
  }

  it('malformed JSON is a 400', async () => {
    expectOpenAIError(
      await post(stack, '/embeddings', '{"model": "x", "input": ', {
        raw: true,
        headers: { 'content-type': 'application/json' },
      }),
      400,
    );
  });

  it('a wrong key is a 401', async () => {
    expectOpenAIError(
      await post(
        stack,
        '/embeddings',
        { model: M.titanEmbedV2, input: 'x' },
        { headers: { authorization: 'Bearer sk-wrong' } },
      ),
      401,
    );
  });
});

describe('embeddings when Bedrock misbehaves', () => {
  const faults = (body?: unknown) =>
    fetch(`${stack.emulatorURL}/_emulator/faults`, {
      method: body === undefined ? 'DELETE' : 'POST',
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
  const invokeCount = async () =>
    ((await (await fetch(`${stack.emulatorURL}/_emulator/stats`)).json()) as { operations: Record<string, number> })
      .operations.InvokeModel ?? 0;

  it('throttled calls are retried and nothing is lost', async () => {
    await faults({ type: 'throttle', operation: 'InvokeModel', model: 'amazon.titan-embed-text-v2:0', count: 3 });
    try {
      const input = Array.from({ length: 20 }, (_, i) => `retry ${i}`);
      const res = await stack.client.embeddings.create({ model: M.titanEmbedV2, input, dimensions: 256 });
      expect(res.data.map((d) => d.index)).toEqual(input.map((_, i) => i));
      for (const d of res.data) expect(d.embedding).toHaveLength(256);
    } finally {
      await faults();
    }
  });

  it('a failing call fails the whole request in OpenAI shape, never a partial list', async () => {
    await faults({ type: 'error', operation: 'InvokeModel', model: 'cohere.embed-english-v3' });
    try {
      const res = await post(stack, '/embeddings', {
        model: M.cohereEn,
        input: Array.from({ length: 300 }, (_, i) => `t${i}`),
      });
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect((res.json as { error: { message: string; type: string } }).error.type).toBeTruthy();
      expect(res.headers.get('x-request-id')).toBeTruthy();
      expect(res.text).not.toContain('"embedding"');
    } finally {
      await faults();
    }
  });

  it('a caller that leaves stops the fan-out: the remaining texts are not sent to Bedrock', async () => {
    await faults({ type: 'latency', latencyMs: 200, operation: 'InvokeModel', model: 'amazon.titan-embed-text-v1' });
    try {
      const before = await invokeCount();
      const controller = new AbortController();
      const pending = stack.client.embeddings
        .create(
          { model: M.titanEmbedV1, input: Array.from({ length: 400 }, (_, i) => `leave ${i}`) },
          { signal: controller.signal },
        )
        .catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 300));
      controller.abort();
      await pending;
      await new Promise((r) => setTimeout(r, 1500));
      // 8 calls at a time of 200 ms each: a fan-out that kept going would have sent about 70 calls by now
      // (of 400); one that stops when the caller leaves sends the first two or three rounds only.
      expect((await invokeCount()) - before).toBeLessThan(40);
    } finally {
      await faults();
    }
  });
});

describe('embeddings cost and tokens in /metrics', () => {
  it('a Model by foundation-model ARN embeds; a Model pricing overrides the built-in price', async () => {
    const byArn = await stack.client.embeddings.create({ model: M.titanEmbedArn, input: 'arn', dimensions: 512 });
    expect(byArn.data[0]?.embedding).toHaveLength(512);
    const labels = { account: 'media', model: 'embed-priced' };
    const before = await metricValue(stack, 'aigw_cost_usd_total', labels);
    await stack.client.embeddings.create({ model: M.embedPriced, input: 'y'.repeat(400) });
    const after = await metricValue(stack, 'aigw_cost_usd_total', labels);
    // 100 tokens at USD 1,000 per million.
    expect(after - before).toBeCloseTo(0.1, 9);
  });

  it('input tokens and USD cost grow per request for Titan v2 and Cohere', async () => {
    for (const model of [M.titanEmbedV2, M.cohereMulti, M.titanEmbedV1]) {
      // Metrics label the account and the Model name apart.
      const labels = { account: 'media', model: model.slice('media/'.length) };
      const tokensBefore = await metricValue(stack, 'aigw_tokens_total', { ...labels, kind: 'input' });
      const costBefore = await metricValue(stack, 'aigw_cost_usd_total', labels);
      // 2,000 characters: under Cohere's per-text limit; the emulator counts ⌈characters / 4⌉ tokens.
      const input = 'x'.repeat(2000);
      await stack.client.embeddings.create({ model, input });
      const tokensAfter = await metricValue(stack, 'aigw_tokens_total', { ...labels, kind: 'input' });
      const costAfter = await metricValue(stack, 'aigw_cost_usd_total', labels);
      expect(tokensAfter - tokensBefore).toBe(500);
      expect(costAfter - costBefore).toBeGreaterThan(0);
      // Bedrock on-demand embeddings cost cents per million tokens, never dollars.
      expect(costAfter - costBefore).toBeLessThan(0.001);
    }
  });
});
