/**
 * Acceptance: `POST /v1/images/generations` through the official openai SDK against `aigw serve` in
 * front of `aigw emulator` (Nova Canvas, Titan Image v1/v2, Stability SD3 / Core / Ultra).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_KEY,
  decodePng,
  expectOpenAIError,
  M,
  type MediaStack,
  metricValue,
  pixel,
  post,
  startMediaStack,
} from './media-stack.js';

let stack: MediaStack;
beforeAll(async () => {
  stack = await startMediaStack();
});
afterAll(async () => {
  await stack?.close();
});

const colour = (b64: string) => {
  const png = decodePng(b64);
  return pixel(png, 0, 0).join(',');
};

describe('images.generate: Nova Canvas and Titan Image', () => {
  it('Nova Canvas default: one b64 PNG of 1024x1024, no url, created set', async () => {
    const { data: res, response } = await stack.client.images
      .generate({ model: M.novaCanvas, prompt: 'a lighthouse at dusk' })
      .withResponse();
    expect(response.headers.get('x-request-id')).toBeTruthy();
    expect(response.headers.get('x-aigateway-images-filtered')).toBeNull();
    expect(res.created).toBeGreaterThan(1_600_000_000);
    expect(res.data).toHaveLength(1);
    const item = res.data?.[0];
    expect(item?.url).toBeUndefined();
    const png = decodePng(item?.b64_json as string);
    expect([png.width, png.height]).toEqual([1024, 1024]);
  });

  it('Nova Canvas: size WxH is the PNG size, for square, wide and tall sizes', async () => {
    for (const [w, h] of [
      [512, 512],
      [1280, 720],
      [320, 1280],
      [2048, 2048],
    ] as const) {
      const res = await stack.client.images.generate({
        model: M.novaCanvas,
        prompt: 'a cat',
        size: `${w}x${h}` as '1024x1024',
        response_format: 'b64_json',
      });
      const png = decodePng(res.data?.[0]?.b64_json as string);
      expect([png.width, png.height]).toEqual([w, h]);
    }
  });

  it('Nova Canvas n=7: seven distinct images (calls split 5 + 2)', async () => {
    const res = await stack.client.images.generate({
      model: M.novaCanvas,
      prompt: 'seven birds',
      n: 7,
      size: '512x512',
    });
    expect(res.data).toHaveLength(7);
    const colours = new Set(res.data?.map((d) => colour(d.b64_json as string)));
    expect(colours.size).toBe(7);
  });

  it('Nova Canvas: quality hd/high/standard/low/auto and a Nova style preset (any case) are accepted', async () => {
    for (const quality of ['hd', 'standard', 'high', 'low', 'medium', 'auto'] as const) {
      const res = await stack.client.images.generate({ model: M.novaCanvas, prompt: 'q', size: '512x512', quality });
      expect(res.data).toHaveLength(1);
    }
    for (const style of ['photorealism', 'FLAT_VECTOR_ILLUSTRATION', 'vivid', 'natural']) {
      const res = await post(stack, '/images/generations', {
        model: M.novaCanvas,
        prompt: 's',
        size: '512x512',
        style,
      });
      expect(res.status, res.text).toBe(200);
    }
  });

  it('seeds are reproducible: same prompt and seed give the same picture, another seed another', async () => {
    const gen = async (seed: number) =>
      (await post(stack, '/images/generations', { model: M.titanImageV2, prompt: 'seeded', size: '512x512', seed }))
        .json as {
        data: { b64_json: string }[];
      };
    const a = await gen(7);
    const b = await gen(7);
    const c = await gen(8);
    expect(colour(a.data[0]?.b64_json as string)).toBe(colour(b.data[0]?.b64_json as string));
    expect(colour(a.data[0]?.b64_json as string)).not.toBe(colour(c.data[0]?.b64_json as string));
  });

  it('Titan Image v1 and v2: listed sizes work, n is honoured', async () => {
    for (const model of [M.titanImageV1, M.titanImageV2]) {
      for (const [w, h] of [
        [512, 512],
        [1152, 640],
        [384, 704],
      ] as const) {
        const res = await stack.client.images.generate({
          model,
          prompt: 'a hill',
          size: `${w}x${h}` as '1024x1024',
          n: 2,
        });
        expect(res.data).toHaveLength(2);
        for (const d of res.data ?? []) {
          const png = decodePng(d.b64_json as string);
          expect([png.width, png.height]).toEqual([w, h]);
        }
      }
    }
  });

  it('a seed at each family maximum with n over one call still works (later calls must not overflow)', async () => {
    for (const [model, seed, size] of [
      [M.novaCanvas, 858_993_459, '320x320'],
      [M.titanImageV2, 2_147_483_646, '512x512'],
      [M.imageCore, 4_294_967_294, '1:1'],
    ] as const) {
      const res = await post(stack, '/images/generations', { model, prompt: 'edge seed', n: 6, seed, size });
      expect(res.status, res.text.slice(0, 300)).toBe(200);
      expect((res.json as { data: unknown[] }).data).toHaveLength(6);
    }
  });

  it('prompt and negative_prompt at their exact limits are accepted', async () => {
    for (const [model, limit, size] of [
      [M.novaCanvas, 1024, '320x320'],
      [M.titanImageV1, 512, '512x512'],
    ] as const) {
      const ok = await post(stack, '/images/generations', {
        model,
        prompt: 'p'.repeat(limit),
        negative_prompt: 'n'.repeat(limit),
        size,
      });
      expect(ok.status, ok.text.slice(0, 300)).toBe(200);
      const bad = await post(stack, '/images/generations', {
        model,
        prompt: 'p',
        negative_prompt: 'n'.repeat(limit + 1),
        size,
      });
      expect(expectOpenAIError(bad, 400).param).toBe('negative_prompt');
    }
  });

  it('negative_prompt and cfg_scale extensions are accepted', async () => {
    const res = await post(stack, '/images/generations', {
      model: M.novaCanvas,
      prompt: 'a dog',
      size: '512x512',
      negative_prompt: 'cats',
      cfg_scale: 7.5,
      seed: 123,
    });
    expect(res.status, res.text).toBe(200);
  });

  it('images withheld by the content filter: the rest is returned with x-aigateway-images-filtered', async () => {
    const res = await post(stack, '/images/generations', {
      model: M.novaCanvas,
      prompt: 'x [[filter:1]]',
      n: 3,
      size: '512x512',
    });
    expect(res.status, res.text).toBe(200);
    expect((res.json as { data: unknown[] }).data).toHaveLength(2);
    expect(res.headers.get('x-aigateway-images-filtered')).toBe('1');
  });

  it('all images withheld: 400 content_policy_violation; a blocked prompt: 400', async () => {
    const all = expectOpenAIError(
      await post(stack, '/images/generations', { model: M.titanImageV2, prompt: 'x [[filter:all]]', size: '512x512' }),
      400,
    );
    expect(all.code).toBe('content_policy_violation');
    expectOpenAIError(
      await post(stack, '/images/generations', { model: M.novaCanvas, prompt: 'x [[blocked]]', size: '512x512' }),
      400,
    );
  });
});

describe('images.generate: Stability', () => {
  const ratio = (b64: string) => {
    const png = decodePng(b64);
    return png.width / png.height;
  };

  it('each Stability model answers a PNG; size maps to the aspect ratio', async () => {
    for (const model of [M.sd3Large, M.sd35Large, M.imageCore, M.imageUltra]) {
      const res = await stack.client.images.generate({ model, prompt: 'mountains', size: '1792x1024' });
      expect(res.data).toHaveLength(1);
      expect(ratio(res.data?.[0]?.b64_json as string)).toBeCloseTo(16 / 9, 1);
    }
    for (const [size, r] of [
      ['1024x1792', 9 / 16],
      ['1024x1024', 1],
      ['1536x1024', 3 / 2],
      // Stability renders 21:9 as 1536x640 (2.4), so the ratio is only close.
      ['21:9', 21 / 9],
    ] as const) {
      const res = await post(stack, '/images/generations', { model: M.imageCore, prompt: 'p', size });
      expect(res.status, res.text).toBe(200);
      const got = ratio((res.json as { data: { b64_json: string }[] }).data[0]?.b64_json as string);
      expect(Math.abs(got - r)).toBeLessThan(0.1);
    }
  });

  it('n=3 on Stability: three images', async () => {
    const res = await stack.client.images.generate({ model: M.imageCore, prompt: 'three', n: 3 });
    expect(res.data).toHaveLength(3);
  });

  it('a filtered Stability image is withheld, an inference error is a 502', async () => {
    const all = expectOpenAIError(
      await post(stack, '/images/generations', { model: M.imageUltra, prompt: 'x [[filter:all]]' }),
      400,
    );
    expect(all.code).toBe('content_policy_violation');
    const some = await post(stack, '/images/generations', {
      model: M.sd35Large,
      prompt: 'x [[filter:odd-seeds]]',
      n: 2,
      seed: 10,
    });
    expect(some.status, some.text).toBe(200);
    expect((some.json as { data: unknown[] }).data).toHaveLength(1);
    expect(some.headers.get('x-aigateway-images-filtered')).toBe('1');
    const broken = await post(stack, '/images/generations', { model: M.sd3Large, prompt: 'x [[inference-error]]' });
    expect(broken.status).toBe(502);
    expect((broken.json as { error: { type: string } }).error).toBeTruthy();
  });
});

describe('images.generate: bad input is a clear 4xx in OpenAI shape', () => {
  const cases: { name: string; body: unknown; status?: number; param?: string; code?: string }[] = [
    {
      name: 'response_format url',
      body: { model: M.novaCanvas, prompt: 'p', response_format: 'url' },
      param: 'response_format',
      code: 'unsupported_value',
    },
    {
      name: 'Nova size not a multiple of 16',
      body: { model: M.novaCanvas, prompt: 'p', size: '1000x1000' },
      param: 'size',
    },
    { name: 'Nova size too many pixels', body: { model: M.novaCanvas, prompt: 'p', size: '4096x4096' }, param: 'size' },
    { name: 'Nova size aspect over 4:1', body: { model: M.novaCanvas, prompt: 'p', size: '320x1600' }, param: 'size' },
    { name: 'Nova size too small', body: { model: M.novaCanvas, prompt: 'p', size: '256x256' }, param: 'size' },
    { name: 'size garbage', body: { model: M.novaCanvas, prompt: 'p', size: 'big' }, param: 'size' },
    { name: 'size a number', body: { model: M.novaCanvas, prompt: 'p', size: 1024 }, param: 'size' },
    {
      name: 'Titan size not in the list',
      body: { model: M.titanImageV2, prompt: 'p', size: '1024x768' },
      param: 'size',
    },
    {
      name: 'Titan v1 size not in the list',
      body: { model: M.titanImageV1, prompt: 'p', size: '1792x1024' },
      param: 'size',
    },
    {
      name: 'Stability size with no aspect ratio',
      body: { model: M.imageCore, prompt: 'p', size: '1000x700' },
      param: 'size',
    },
    { name: 'Stability quality hd', body: { model: M.imageCore, prompt: 'p', quality: 'hd' }, param: 'quality' },
    { name: 'Stability style', body: { model: M.imageCore, prompt: 'p', style: 'PHOTOREALISM' }, param: 'style' },
    { name: 'Stability cfg_scale', body: { model: M.sd3Large, prompt: 'p', cfg_scale: 5 }, param: 'cfg_scale' },
    { name: 'Titan style', body: { model: M.titanImageV2, prompt: 'p', style: 'PHOTOREALISM' }, param: 'style' },
    { name: 'Nova unknown style', body: { model: M.novaCanvas, prompt: 'p', style: 'cubism' }, param: 'style' },
    { name: 'bad quality', body: { model: M.novaCanvas, prompt: 'p', quality: 'ultra' }, param: 'quality' },
    { name: 'n = 0', body: { model: M.novaCanvas, prompt: 'p', n: 0 }, param: 'n' },
    { name: 'n = 11', body: { model: M.novaCanvas, prompt: 'p', n: 11 }, param: 'n' },
    { name: 'n = 1.5', body: { model: M.novaCanvas, prompt: 'p', n: 1.5 }, param: 'n' },
    { name: 'n as a string', body: { model: M.novaCanvas, prompt: 'p', n: '2' }, param: 'n' },
    { name: 'missing prompt', body: { model: M.novaCanvas }, param: 'prompt' },
    { name: 'empty prompt', body: { model: M.novaCanvas, prompt: '' }, param: 'prompt' },
    { name: 'prompt not a string', body: { model: M.novaCanvas, prompt: ['a'] }, param: 'prompt' },
    { name: 'Nova prompt over 1,024 chars', body: { model: M.novaCanvas, prompt: 'a'.repeat(1025) }, param: 'prompt' },
    { name: 'Titan prompt over 512 chars', body: { model: M.titanImageV1, prompt: 'a'.repeat(513) }, param: 'prompt' },
    {
      name: 'Stability prompt over 10,000 chars',
      body: { model: M.sd3Large, prompt: 'a'.repeat(10_001) },
      param: 'prompt',
    },
    {
      name: 'Nova seed over its maximum',
      body: { model: M.novaCanvas, prompt: 'p', seed: 858_993_460 },
      param: 'seed',
    },
    { name: 'negative seed', body: { model: M.titanImageV2, prompt: 'p', seed: -1 }, param: 'seed' },
    { name: 'cfg_scale out of range', body: { model: M.novaCanvas, prompt: 'p', cfg_scale: 11 }, param: 'cfg_scale' },
    { name: 'stream true', body: { model: M.novaCanvas, prompt: 'p', stream: true } },
    {
      name: 'output_format jpeg',
      body: { model: M.novaCanvas, prompt: 'p', output_format: 'jpeg' },
      param: 'output_format',
    },
    { name: 'SDXL is refused', body: { model: M.sdxl, prompt: 'p' }, param: 'model' },
    { name: 'embedding model', body: { model: M.titanEmbedV2, prompt: 'p' }, param: 'model' },
    { name: 'chat model', body: { model: M.novaLite, prompt: 'p' }, param: 'model' },
    { name: 'unknown model', body: { model: 'media/dall-e-3', prompt: 'p' }, status: 404 },
    { name: 'missing model', body: { prompt: 'p' }, param: 'model' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const err = expectOpenAIError(await post(stack, '/images/generations', c.body), c.status ?? 400);
      if (c.param) expect(err.param).toBe(c.param);
      if (c.code) expect(err.code).toBe(c.code);
    });
  }

  it('a form or text body is a 415, as on the other JSON routes', async () => {
    const f = new FormData();
    f.append('model', M.novaCanvas);
    f.append('prompt', 'x');
    for (const init of [
      { body: f },
      { body: JSON.stringify({ model: M.novaCanvas, prompt: 'x' }), headers: { 'content-type': 'text/plain' } },
    ]) {
      const res = await fetch(`${stack.baseURL}/images/generations`, {
        method: 'POST',
        ...init,
        headers: { authorization: `Bearer ${API_KEY}`, ...init.headers },
      });
      const text = await res.text();
      expectOpenAIError({ status: res.status, headers: res.headers, json: JSON.parse(text), text }, 415);
    }
  });

  it('a bad size names the valid choices', async () => {
    const titan = expectOpenAIError(
      await post(stack, '/images/generations', { model: M.titanImageV2, prompt: 'p', size: '1024x768' }),
      400,
    );
    expect(titan.message).toContain('1173x640');
    const stab = expectOpenAIError(
      await post(stack, '/images/generations', { model: M.imageCore, prompt: 'p', size: '1000x700' }),
      400,
    );
    expect(stab.message).toContain('16:9');
  });
});

describe('images cost in /metrics', () => {
  const cost = (model: string) =>
    metricValue(stack, 'aigw_cost_usd_total', { account: 'media', model: model.slice('media/'.length) });

  it('Nova Canvas is priced per image by size and quality', async () => {
    let before = await cost(M.novaCanvas);
    await stack.client.images.generate({ model: M.novaCanvas, prompt: 'priced', n: 3, size: '1024x1024' });
    let after = await cost(M.novaCanvas);
    // Nova Canvas on-demand, standard quality up to 1024x1024: USD 0.04 per image.
    expect(after - before).toBeCloseTo(0.12, 6);
    before = after;
    await stack.client.images.generate({
      model: M.novaCanvas,
      prompt: 'priced',
      n: 2,
      size: '2048x2048',
      quality: 'hd',
    });
    after = await cost(M.novaCanvas);
    // Premium up to 2048x2048: USD 0.08 per image.
    expect(after - before).toBeCloseTo(0.16, 6);
  });

  it('filtered images are not charged; Titan and Stability images are priced', async () => {
    let before = await cost(M.titanImageV2);
    await post(stack, '/images/generations', {
      model: M.titanImageV2,
      prompt: 'x [[filter:1]]',
      n: 3,
      size: '512x512',
    });
    let after = await cost(M.titanImageV2);
    // Titan Image v2 standard up to 512x512: USD 0.008 per image; two were returned.
    expect(after - before).toBeCloseTo(0.016, 6);
    before = await cost(M.imageUltra);
    await stack.client.images.generate({ model: M.imageUltra, prompt: 'ultra' });
    after = await cost(M.imageUltra);
    expect(after - before).toBeGreaterThan(0.01);
    before = await cost(M.titanImageV1);
    await stack.client.images.generate({ model: M.titanImageV1, prompt: 'v1', size: '1024x1024' });
    after = await cost(M.titanImageV1);
    expect(after - before).toBeGreaterThan(0);
  });

  it('a Model pricing perImage overrides the built-in price', async () => {
    const before = await cost(M.canvasPriced);
    await stack.client.images.generate({ model: M.canvasPriced, prompt: 'priced privately', n: 3, size: '512x512' });
    expect((await cost(M.canvasPriced)) - before).toBeCloseTo(1.5, 9);
  });

  it('requests are counted by route and status', async () => {
    const ok = await metricValue(stack, 'aigw_requests_total', { route: 'images_generations', status: '200' });
    const anyRoute = await metricValue(stack, 'aigw_requests_total', {
      model: 'amazon-nova-canvas-v1-0',
      status: '200',
    });
    expect(Math.max(ok, anyRoute)).toBeGreaterThan(0);
  });
});
