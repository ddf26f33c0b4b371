/**
 * `/v1/images/generations` and `/v1/images/edits` end to end: the official openai SDK → gateway →
 * emulator (Nova Canvas, Titan Image v1/v2, Stability). The emulator renders deterministic PNGs at the
 * requested size and, for inpainting/outpainting, paints exactly the region Bedrock's mask selects, so
 * the OpenAI → Bedrock mask conversion is visible in the returned pixels.
 */
import OpenAI, { toFile } from 'openai';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODELS, type Stack, startStack } from './stack.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

function decode(b64: string | undefined): PNG {
  if (!b64) throw new Error('no image');
  return PNG.sync.read(Buffer.from(b64, 'base64'));
}
function pixel(png: PNG, x: number, y: number): number[] {
  const i = (y * png.width + x) * 4;
  return [...png.data.subarray(i, i + 4)];
}
function makePng(w: number, h: number, colour: (x: number, y: number) => [number, number, number, number]): Buffer {
  const p = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) p.data.set(colour(x, y), (y * w + x) * 4);
  return PNG.sync.write(p);
}
const BLUE: [number, number, number, number] = [20, 40, 200, 255];
const source = makePng(64, 32, () => BLUE);
// OpenAI mask convention: fully transparent = edit here. Left half transparent.
const leftHalfMask = makePng(64, 32, (x) => (x < 32 ? [0, 0, 0, 0] : [0, 0, 0, 255]));

async function rawJson(path: string, init: RequestInit): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${stack.client.apiKey}`);
  const res = await fetch(`${stack.gateway.url}${path}`, { ...init, headers });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}
const generate = (body: unknown) =>
  rawJson('/v1/images/generations', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

describe('generations: Nova Canvas', () => {
  it('returns one b64 PNG of 1024x1024 by default', async () => {
    const res = await stack.client.images.generate({ model: MODELS.novaCanvas, prompt: 'a red fox' });
    expect(res.created).toBeGreaterThan(1_700_000_000);
    expect(res.data).toHaveLength(1);
    const png = decode(res.data?.[0]?.b64_json);
    expect([png.width, png.height]).toEqual([1024, 1024]);
  });

  it('batches n=7 into calls of 5 + 2 at the requested size, all images distinct', async () => {
    const res = await stack.client.images.generate({
      model: MODELS.novaCanvas,
      prompt: 'lighthouse',
      n: 7,
      size: '640x320',
      quality: 'hd',
      // @ts-expect-error Nova Canvas style preset (the SDK types only know DALL·E 3's)
      style: 'photorealism',
    });
    expect(res.data).toHaveLength(7);
    const pngs = (res.data ?? []).map((d) => decode(d.b64_json));
    expect(pngs.every((p) => p.width === 640 && p.height === 320)).toBe(true);
    expect(new Set(pngs.map((p) => pixel(p, 0, 0).join())).size).toBe(7);
  });

  it('is reproducible with the seed extension and accepts negative_prompt and cfg_scale', async () => {
    const body = {
      model: MODELS.novaCanvas,
      prompt: 'a mountain',
      size: '320x320',
      seed: 42,
      negative_prompt: 'clouds',
      cfg_scale: 7.5,
    };
    const a = await stack.client.images.generate(body as OpenAI.ImageGenerateParamsNonStreaming);
    const b = await stack.client.images.generate(body as OpenAI.ImageGenerateParamsNonStreaming);
    const c = await stack.client.images.generate({ ...body, seed: 43 } as OpenAI.ImageGenerateParamsNonStreaming);
    expect(a.data?.[0]?.b64_json).toBe(b.data?.[0]?.b64_json);
    expect(a.data?.[0]?.b64_json).not.toBe(c.data?.[0]?.b64_json);
  });

  it('returns the rest of a partly filtered batch and says how many were withheld', async () => {
    const { data, response } = await stack.client.images
      .generate({ model: MODELS.novaCanvas, prompt: 'crowd [[filter:1]]', n: 3, size: '320x320' })
      .withResponse();
    expect(data.data).toHaveLength(2);
    expect(response.headers.get('x-aigateway-images-filtered')).toBe('1');
  });

  it('turns a fully filtered result into a content_policy_violation 400, never an empty success', async () => {
    const err = await stack.client.images
      .generate({ model: MODELS.novaCanvas, prompt: 'crowd [[filter:all]]', n: 2, size: '320x320' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('content_policy_violation');
  });

  it("passes Bedrock's prompt moderation refusal through as a 400", async () => {
    const { status, json } = await generate({ model: MODELS.novaCanvas, prompt: 'bad [[blocked]]' });
    expect(status).toBe(400);
    expect((json.error as { message: string }).message).toContain('content filters');
  });
});

describe('cost', () => {
  async function costOf(model: string): Promise<number> {
    const metric = await stack.gateway.metrics.cost.get();
    return metric.values.filter((v) => v.labels.model === model).reduce((sum, v) => sum + v.value, 0);
  }

  it('adds the per-image price by size and quality to aigw_cost_usd_total', async () => {
    const model = 'amazon-nova-canvas-v1-0';
    const before = await costOf(model);
    await stack.client.images.generate({ model: MODELS.novaCanvas, prompt: 'priced', n: 2, size: '1024x1024' });
    // Nova Canvas standard ≤ 1024×1024: $0.04 per image.
    expect((await costOf(model)) - before).toBeCloseTo(0.08, 9);
    const mid = await costOf(model);
    await stack.client.images.generate({
      model: MODELS.novaCanvas,
      prompt: 'priced',
      size: '2048x1024',
      quality: 'hd',
    });
    // Premium ≤ 2048×2048: $0.08.
    expect((await costOf(model)) - mid).toBeCloseTo(0.08, 9);
  });
});

describe('generations: Titan Image Generator', () => {
  it('v2 takes a size from its list and n', async () => {
    const res = await stack.client.images.generate({
      model: MODELS.titanImageV2,
      prompt: 'cat',
      size: '1152x640',
      n: 2,
      quality: 'standard',
    });
    expect(res.data).toHaveLength(2);
    const png = decode(res.data?.[0]?.b64_json);
    expect([png.width, png.height]).toEqual([1152, 640]);
  });

  it('v1 generates with defaults', async () => {
    const res = await stack.client.images.generate({ model: MODELS.titanImageV1, prompt: 'dog', size: '512x512' });
    expect(decode(res.data?.[0]?.b64_json).width).toBe(512);
  });
});

describe('generations: Stability', () => {
  it('maps size to aspect_ratio and fans n out one image per call', async () => {
    const res = await stack.client.images.generate({
      model: MODELS.stabilityCore,
      prompt: 'castle',
      size: '1536x1024',
      n: 3,
    });
    expect(res.data).toHaveLength(3);
    const png = decode(res.data?.[0]?.b64_json);
    expect(png.width / png.height).toBeCloseTo(1.5, 1);
  });

  it('gives each call its own seed so n images differ, reproducibly', async () => {
    const body = { model: MODELS.sd35, prompt: 'river', size: '1792x1024', n: 2, seed: 100 };
    const a = await stack.client.images.generate(body as OpenAI.ImageGenerateParamsNonStreaming);
    const b = await stack.client.images.generate(body as OpenAI.ImageGenerateParamsNonStreaming);
    expect(a.data?.map((d) => d.b64_json)).toEqual(b.data?.map((d) => d.b64_json));
    expect(a.data?.[0]?.b64_json).not.toBe(a.data?.[1]?.b64_json);
    const png = decode(a.data?.[0]?.b64_json);
    expect(png.width).toBeGreaterThan(png.height);
  });

  it('reports filtered calls as a partial answer', async () => {
    const { data, response } = await stack.client.images
      .generate({
        model: MODELS.sd35,
        prompt: 'x [[filter:odd-seeds]]',
        n: 2,
        // @ts-expect-error gateway extension
        seed: 10,
      })
      .withResponse();
    expect(data.data).toHaveLength(1);
    expect(response.headers.get('x-aigateway-images-filtered')).toBe('1');
  });

  it('maps an inference error to a 502', async () => {
    const { status, json } = await generate({ model: MODELS.stabilityCore, prompt: 'x [[inference-error]]' });
    expect(status).toBe(502);
    expect((json.error as { code: string }).code).toBe('upstream_error');
  });
});

describe('generations: bad input is a clear 400', () => {
  const cases: Array<
    [string, Record<string, unknown>, { status: number; code: string; param?: string; message?: string }]
  > = [
    [
      'url response_format',
      { model: MODELS.novaCanvas, prompt: 'x', response_format: 'url' },
      { status: 400, code: 'unsupported_value', param: 'response_format', message: 'b64_json' },
    ],
    [
      'Nova size not a multiple of 16',
      { model: MODELS.novaCanvas, prompt: 'x', size: '1000x1000' },
      { status: 400, code: 'invalid_value', param: 'size', message: 'multiple of 16' },
    ],
    [
      'Nova size beyond 4:1',
      { model: MODELS.novaCanvas, prompt: 'x', size: '2048x320' },
      { status: 400, code: 'invalid_value', param: 'size', message: 'aspect ratio' },
    ],
    [
      'Nova size over 4.19 MP',
      { model: MODELS.novaCanvas, prompt: 'x', size: '4096x2048' },
      { status: 400, code: 'invalid_value', param: 'size' },
    ],
    [
      'Nova unknown style',
      { model: MODELS.novaCanvas, prompt: 'x', style: 'anime' },
      { status: 400, code: 'invalid_value', param: 'style', message: 'PHOTOREALISM' },
    ],
    [
      'Nova prompt over 1,024 chars',
      { model: MODELS.novaCanvas, prompt: 'p'.repeat(1025) },
      { status: 400, code: 'invalid_value', param: 'prompt' },
    ],
    [
      'Titan size outside its list',
      { model: MODELS.titanImageV2, prompt: 'x', size: '1792x1024' },
      { status: 400, code: 'invalid_value', param: 'size', message: '1173x640' },
    ],
    [
      'Titan style',
      { model: MODELS.titanImageV2, prompt: 'x', style: 'PHOTOREALISM' },
      { status: 400, code: 'unsupported_parameter', param: 'style' },
    ],
    [
      'Stability size with no aspect ratio',
      { model: MODELS.stabilityCore, prompt: 'x', size: '1000x300' },
      { status: 400, code: 'invalid_value', param: 'size', message: '21:9' },
    ],
    [
      'Stability hd',
      { model: MODELS.sd35, prompt: 'x', quality: 'hd' },
      { status: 400, code: 'unsupported_parameter', param: 'quality' },
    ],
    ['n over 10', { model: MODELS.novaCanvas, prompt: 'x', n: 11 }, { status: 400, code: 'invalid_value', param: 'n' }],
    [
      'missing prompt',
      { model: MODELS.novaCanvas },
      { status: 400, code: 'missing_required_parameter', param: 'prompt' },
    ],
    [
      'an embedding model',
      { model: MODELS.titanV2, prompt: 'x' },
      { status: 400, code: 'invalid_value', param: 'model' },
    ],
    [
      'seed out of Nova range',
      { model: MODELS.novaCanvas, prompt: 'x', seed: 900_000_000 },
      { status: 400, code: 'invalid_value', param: 'seed' },
    ],
  ];
  for (const [name, body, expected] of cases) {
    it(name, async () => {
      const { status, json } = await generate(body);
      expect(status).toBe(expected.status);
      const error = json.error as { code: string; param: string | null; message: string };
      expect(error.code).toBe(expected.code);
      if (expected.param) expect(error.param).toBe(expected.param);
      if (expected.message) expect(error.message).toContain(expected.message);
    });
  }
});

describe('edits', () => {
  it('Nova inpainting: the transparent area of an OpenAI mask is what changes', async () => {
    const res = await stack.client.images.edit({
      model: MODELS.novaCanvas,
      image: await toFile(source, 'source.png', { type: 'image/png' }),
      mask: await toFile(leftHalfMask, 'mask.png', { type: 'image/png' }),
      prompt: 'a yellow sun',
      n: 2,
    });
    expect(res.data).toHaveLength(2);
    const png = decode(res.data?.[0]?.b64_json);
    expect([png.width, png.height]).toEqual([64, 32]);
    expect(pixel(png, 48, 16)).toEqual(BLUE); // opaque in the mask: kept
    expect(pixel(png, 10, 16)).not.toEqual(BLUE); // transparent in the mask: painted
  });

  it('Nova outpainting keeps the masked-off subject and redraws the rest', async () => {
    const res = await stack.client.images.edit({
      model: MODELS.novaCanvas,
      image: await toFile(source, 'source.png', { type: 'image/png' }),
      mask: await toFile(leftHalfMask, 'mask.png', { type: 'image/png' }),
      prompt: 'a beach around it',
      // @ts-expect-error gateway extension
      edit_mode: 'outpainting',
    });
    const png = decode(res.data?.[0]?.b64_json);
    expect(pixel(png, 48, 16)).toEqual(BLUE);
    expect(pixel(png, 10, 16)).not.toEqual(BLUE);
  });

  it('uses the image alpha as the mask when no mask is sent (OpenAI rule)', async () => {
    const withHole = makePng(64, 32, (x) => (x >= 32 ? [0, 0, 0, 0] : BLUE));
    const res = await stack.client.images.edit({
      model: MODELS.novaCanvas,
      image: await toFile(withHole, 'hole.png', { type: 'image/png' }),
      prompt: 'fill the hole',
    });
    const png = decode(res.data?.[0]?.b64_json);
    expect(pixel(png, 5, 5)).toEqual(BLUE);
    expect(pixel(png, 50, 5)).not.toEqual(BLUE);
  });

  it('Titan v2 inpaints from a mask_prompt', async () => {
    const res = await stack.client.images.edit({
      model: MODELS.titanImageV2,
      image: await toFile(source, 'source.png', { type: 'image/png' }),
      prompt: 'a red ball',
      // @ts-expect-error gateway extension
      mask_prompt: 'the centre',
    });
    const png = decode(res.data?.[0]?.b64_json);
    expect(pixel(png, 0, 0)).toEqual(BLUE);
    expect(pixel(png, 32, 16)).not.toEqual(BLUE);
  });

  it('without any mask makes variations of one or more images at the requested size', async () => {
    const res = await stack.client.images.edit({
      model: MODELS.novaCanvas,
      image: [
        await toFile(source, 'a.png', { type: 'image/png' }),
        await toFile(source, 'b.png', { type: 'image/png' }),
      ],
      prompt: 'in watercolour',
      size: '512x512',
      n: 2,
    });
    expect(res.data).toHaveLength(2);
    expect(decode(res.data?.[0]?.b64_json).width).toBe(512);
  });

  it('Stability models cannot edit: a 400 naming the models that can', async () => {
    const err = await stack.client.images
      .edit({ model: MODELS.stabilityCore, image: await toFile(source, 's.png', { type: 'image/png' }), prompt: 'x' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain('Nova Canvas');
  });

  const form = (parts: Array<[string, string | Blob, string?]>) => {
    const f = new FormData();
    for (const [name, value, filename] of parts) {
      if (typeof value === 'string') f.append(name, value);
      else f.append(name, value, filename);
    }
    return f;
  };
  const png = (b: Buffer) => new Blob([new Uint8Array(b)], { type: 'image/png' });
  const edit = (body: FormData | string, contentType?: string) =>
    rawJson('/v1/images/edits', {
      method: 'POST',
      ...(contentType ? { headers: { 'content-type': contentType } } : {}),
      body,
    });
  const editCases: Array<[string, () => FormData, { status: number; code: string; param?: string; message?: string }]> =
    [
      [
        'seven files',
        () =>
          form([
            ['model', MODELS.novaCanvas],
            ['prompt', 'x'],
            ...Array.from({ length: 7 }, (_, i): [string, Blob, string] => ['image[]', png(source), `${i}.png`]),
          ]),
        { status: 400, code: 'invalid_request', message: 'Too many files' },
      ],
      [
        'a file over 10 MB',
        () =>
          form([
            ['model', MODELS.novaCanvas],
            ['prompt', 'x'],
            ['image', new Blob([new Uint8Array(10 * 1024 * 1024 + 1)], { type: 'image/png' }), 'big.png'],
          ]),
        { status: 400, code: 'invalid_request', message: 'larger than 10 MB' },
      ],
      [
        'a text file',
        () =>
          form([
            ['model', MODELS.novaCanvas],
            ['prompt', 'x'],
            ['image', new Blob(['hello'], { type: 'text/plain' }), 'a.txt'],
          ]),
        { status: 400, code: 'invalid_value', param: 'image', message: 'image/png' },
      ],
      [
        'bytes that are not an image',
        () =>
          form([
            ['model', MODELS.novaCanvas],
            ['prompt', 'x'],
            ['image', new Blob(['not an image at all, really'], { type: 'image/png' }), 'a.png'],
          ]),
        { status: 400, code: 'invalid_value', param: 'image', message: 'PNG or JPEG' },
      ],
      [
        'a mask of another size',
        () =>
          form([
            ['model', MODELS.novaCanvas],
            ['prompt', 'x'],
            ['image', png(source), 'a.png'],
            ['mask', png(makePng(8, 8, () => [0, 0, 0, 0])), 'm.png'],
          ]),
        { status: 400, code: 'invalid_value', param: 'mask', message: 'same size' },
      ],
      [
        'no image',
        () =>
          form([
            ['model', MODELS.novaCanvas],
            ['prompt', 'x'],
          ]),
        { status: 400, code: 'missing_required_parameter', param: 'image' },
      ],
      [
        'response_format url',
        () =>
          form([
            ['model', MODELS.novaCanvas],
            ['prompt', 'x'],
            ['response_format', 'url'],
            ['image', png(source), 'a.png'],
          ]),
        { status: 400, code: 'unsupported_value', param: 'response_format' },
      ],
    ];
  for (const [name, build, expected] of editCases) {
    it(`refuses ${name}`, async () => {
      const { status, json } = await edit(build());
      expect(status).toBe(expected.status);
      const error = json.error as { code: string; param: string | null; message: string };
      expect(error.code).toBe(expected.code);
      if (expected.param) expect(error.param).toBe(expected.param);
      if (expected.message) expect(error.message).toContain(expected.message);
    });
  }

  it('refuses a JSON body with 415', async () => {
    const { status, json } = await edit(JSON.stringify({ model: MODELS.novaCanvas, prompt: 'x' }), 'application/json');
    expect(status).toBe(415);
    expect((json.error as { message: string }).message).toContain('multipart/form-data');
  });
});
