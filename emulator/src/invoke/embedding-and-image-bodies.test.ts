import { BedrockRuntimeClient, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BedrockException } from '../errors.js';
import { BUILTIN_IDENTITY, EmulatorState, lookupModel, type RunningEmulator, startEmulator } from '../index.js';
import { INVOKE_HANDLERS } from './models.js';
import type { InvokeContext } from './types.js';

const FAMILY: Record<string, string> = {
  'amazon.titan-embed-text-v1': 'titan-embed',
  'amazon.titan-embed-text-v2:0': 'titan-embed',
  'amazon.titan-embed-image-v1': 'titan-embed',
  'cohere.embed-english-v3': 'cohere-embed',
  'amazon.nova-canvas-v1:0': 'amazon-nova-canvas',
  'amazon.titan-image-generator-v1': 'titan-image',
  'amazon.titan-image-generator-v2:0': 'titan-image',
  'stability.sd3-5-large-v1:0': 'stability',
  'stability.stable-image-core-v1:1': 'stability',
};

const STATE = new EmulatorState({});

function invoke(modelId: string, body: unknown) {
  const family = FAMILY[modelId] as string;
  const model = lookupModel(modelId);
  if (!model) throw new Error(`not in the catalog: ${modelId}`);
  const ctx: InvokeContext = {
    modelId,
    foundationModelId: modelId,
    family,
    accept: 'application/json',
    model,
    state: STATE,
    where: { accountId: '111122223333', region: 'us-east-1' },
  };
  const handler = INVOKE_HANDLERS[family];
  if (!handler) throw new Error(`no handler for ${family}`);
  return handler(body, ctx);
}

function rejects(modelId: string, body: unknown): string {
  try {
    invoke(modelId, body);
  } catch (e) {
    expect(e).toBeInstanceOf(BedrockException);
    expect((e as BedrockException).name).toBe('ValidationException');
    return (e as BedrockException).message;
  }
  throw new Error('expected a ValidationException');
}

const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const pngOf = (b64: string) => PNG.sync.read(Buffer.from(b64, 'base64'));
function makePng(w: number, h: number, pixel: (x: number, y: number) => [number, number, number, number]): string {
  const p = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) p.data.set(pixel(x, y), (y * w + x) * 4);
  return PNG.sync.write(p).toString('base64');
}

describe('Titan embeddings bodies', () => {
  it('v2: deterministic unit vectors of the requested size, token count, embeddingsByType', () => {
    const a = invoke('amazon.titan-embed-text-v2:0', { inputText: 'hello world', dimensions: 256 });
    const b = invoke('amazon.titan-embed-text-v2:0', { inputText: 'hello world', dimensions: 256, normalize: true });
    const body = a.body as { embedding: number[]; inputTextTokenCount: number; embeddingsByType: { float: number[] } };
    expect(body.embedding).toHaveLength(256);
    expect(norm(body.embedding)).toBeCloseTo(1, 5);
    expect(body).toEqual(b.body);
    expect(body.embeddingsByType.float).toEqual(body.embedding);
    expect(body.inputTextTokenCount).toBe(3);
    expect(a.inputTokens).toBe(3);
    const other = invoke('amazon.titan-embed-text-v2:0', { inputText: 'hello there' }).body as { embedding: number[] };
    expect(other.embedding).toHaveLength(1024);
    expect(other.embedding.slice(0, 256)).not.toEqual(body.embedding);
  });

  it('v1: 1536 dims and only inputText', () => {
    const body = invoke('amazon.titan-embed-text-v1', { inputText: 'x' }).body as { embedding: number[] };
    expect(body.embedding).toHaveLength(1536);
    expect(rejects('amazon.titan-embed-text-v1', { inputText: 'x', dimensions: 256 })).toContain(
      'extraneous key [dimensions] is not permitted',
    );
  });

  it.each([
    [{ inputText: 'x', dimensions: 300 }, '#/dimensions: 300 is not a valid enum value'],
    [{}, 'required key [inputText] not found'],
    [{ inputText: '' }, 'expected minLength: 1'],
    [{ inputText: 'x', normalize: 'yes' }, 'expected type: Boolean'],
    [{ inputText: 'x', embeddingTypes: ['int8'] }, 'is not a valid enum value'],
    [{ inputText: 'x', extra: 1 }, 'extraneous key [extra]'],
    [{ inputText: 'x'.repeat(40_000) }, 'Too many input tokens'],
    [[], 'expected type: JSONObject'],
  ])('v2 rejects body %#', (body, message) => {
    expect(rejects('amazon.titan-embed-text-v2:0', body)).toContain(message);
  });
});

describe('Cohere embed bodies', () => {
  it('embeds up to 96 texts and reports tokens for the header', () => {
    const texts = Array.from({ length: 96 }, (_, i) => `text ${i}`);
    const r = invoke('cohere.embed-english-v3', { texts, input_type: 'search_document' });
    const body = r.body as { response_type: string; embeddings: number[][]; texts: string[] };
    expect(body.response_type).toBe('embeddings_floats');
    expect(body.embeddings).toHaveLength(96);
    expect(body.embeddings[0]).toHaveLength(1024);
    expect(r.inputTokens).toBeGreaterThan(0);
  });

  it('answers by type when embedding_types is set (binary bit-packed to 128)', () => {
    const body = invoke('cohere.embed-english-v3', {
      texts: ['a'],
      input_type: 'search_query',
      embedding_types: ['float', 'ubinary'],
    }).body as { response_type: string; embeddings: { float: number[][]; ubinary: number[][] } };
    expect(body.response_type).toBe('embeddings_by_type');
    expect(Object.keys(body.embeddings).sort()).toEqual(['float', 'ubinary']);
    expect(body.embeddings.ubinary[0]).toHaveLength(128);
  });

  it.each([
    [{ texts: ['a'] }, 'required key [input_type] not found'],
    [{ texts: ['a'], input_type: 'query' }, 'is not a valid enum value'],
    [{ texts: Array.from({ length: 97 }, () => 'a'), input_type: 'clustering' }, 'expected maximum item count: 96'],
    [{ texts: ['y'.repeat(2049)], input_type: 'clustering' }, 'expected maxLength: 2048'],
    [{ texts: ['a'], input_type: 'clustering', truncate: 'MIDDLE' }, 'is not a valid enum value'],
    [{ texts: ['a'], input_type: 'clustering', dimensions: 1024 }, 'extraneous key [dimensions]'],
  ])('rejects body %#', (body, message) => {
    expect(rejects('cohere.embed-english-v3', body)).toContain(message);
  });
});

describe('Nova Canvas and Titan Image bodies', () => {
  const textImage = (config: Record<string, unknown>, params: Record<string, unknown> = {}) => ({
    taskType: 'TEXT_IMAGE',
    textToImageParams: { text: 'a red fox', ...params },
    imageGenerationConfig: config,
  });

  it('renders numberOfImages PNGs at the requested size, deterministic per prompt and seed', () => {
    const a = invoke('amazon.nova-canvas-v1:0', textImage({ width: 640, height: 320, numberOfImages: 2, seed: 3 }))
      .body as { images: string[]; error?: string };
    const b = invoke('amazon.nova-canvas-v1:0', textImage({ width: 640, height: 320, numberOfImages: 2, seed: 3 }))
      .body as { images: string[] };
    expect(a.images).toHaveLength(2);
    expect(a).not.toHaveProperty('error');
    expect(a.images).toEqual(b.images);
    expect(a.images[0]).not.toEqual(a.images[1]);
    const png = pngOf(a.images[0] as string);
    expect([png.width, png.height]).toEqual([640, 320]);
  });

  it('Titan always writes error: null and defaults to 1024x1024', () => {
    const body = invoke('amazon.titan-image-generator-v2:0', textImage({})).body as { images: string[]; error: null };
    expect(body.error).toBeNull();
    expect(pngOf(body.images[0] as string).width).toBe(1024);
  });

  it.each([
    ['amazon.nova-canvas-v1:0', textImage({ width: 1000, height: 1024 }), 'divisible by 16'],
    ['amazon.nova-canvas-v1:0', textImage({ width: 2048, height: 320 }), 'aspect ratio'],
    ['amazon.nova-canvas-v1:0', textImage({ width: 4096, height: 2048 }), '4,194,304'],
    ['amazon.nova-canvas-v1:0', textImage({ width: 256 }), 'is not greater or equal to 320'],
    ['amazon.nova-canvas-v1:0', textImage({ numberOfImages: 6 }), 'is not less or equal to 5'],
    ['amazon.nova-canvas-v1:0', textImage({ quality: 'hd' }), 'is not a valid enum value'],
    ['amazon.nova-canvas-v1:0', textImage({ cfgScale: 11 }), 'is not less or equal to 10'],
    ['amazon.nova-canvas-v1:0', textImage({ seed: 858_993_460 }), 'is not less or equal to 858993459'],
    ['amazon.nova-canvas-v1:0', textImage({}, { style: 'ANIME' }), 'is not a valid enum value'],
    ['amazon.nova-canvas-v1:0', textImage({}, { text: 'x'.repeat(1025) }), 'expected maxLength: 1024'],
    ['amazon.nova-canvas-v1:0', { taskType: 'TEXT_IMAGE', inPaintingParams: {} }, 'extraneous key [inPaintingParams]'],
    ['amazon.nova-canvas-v1:0', { taskType: 'DRAW' }, 'is not a valid enum value'],
    ['amazon.titan-image-generator-v2:0', textImage({ width: 640, height: 640 }), 'not supported'],
    ['amazon.titan-image-generator-v2:0', textImage({}, { style: 'PHOTOREALISM' }), 'extraneous key [style]'],
    ['amazon.titan-image-generator-v1', textImage({}, { text: 'x'.repeat(513) }), 'expected maxLength: 512'],
    [
      'amazon.titan-image-generator-v1',
      { taskType: 'BACKGROUND_REMOVAL', backgroundRemovalParams: {} },
      'not a valid enum',
    ],
  ])('%s rejects body %#', (model, body, message) => {
    expect(rejects(model, body)).toContain(message);
  });

  it('directives: [[blocked]] refuses, [[filter:N]] withholds with an error field', () => {
    expect(rejects('amazon.nova-canvas-v1:0', textImage({}, { text: 'x [[blocked]]' }))).toContain('content filters');
    const some = invoke('amazon.nova-canvas-v1:0', textImage({ numberOfImages: 3 }, { text: 'x [[filter:1]]' }))
      .body as { images: string[]; error: string };
    expect(some.images).toHaveLength(2);
    expect(some.error).toContain('filtered');
    const all = invoke('amazon.nova-canvas-v1:0', textImage({ numberOfImages: 2 }, { text: 'x [[filter:all]]' }))
      .body as { images: string[]; error: string };
    expect(all.images).toHaveLength(0);
    expect(all.error).toContain('blocked');
  });

  it('INPAINTING paints the black region of the mask and keeps the rest; OUTPAINTING the reverse', () => {
    const image = makePng(4, 2, () => [10, 20, 30, 255]);
    const mask = makePng(4, 2, (x) => (x < 2 ? [0, 0, 0, 255] : [255, 255, 255, 255]));
    const inpaint = invoke('amazon.nova-canvas-v1:0', {
      taskType: 'INPAINTING',
      inPaintingParams: { image, maskImage: mask, text: 'hat' },
    }).body as { images: string[] };
    const out = pngOf(inpaint.images[0] as string);
    expect([out.width, out.height]).toEqual([4, 2]);
    expect([...out.data.subarray(8, 12)]).toEqual([10, 20, 30, 255]); // x=2 kept
    expect([...out.data.subarray(0, 3)]).not.toEqual([10, 20, 30]); // x=0 painted
    const outpaint = invoke('amazon.titan-image-generator-v2:0', {
      taskType: 'OUTPAINTING',
      outPaintingParams: { image, maskImage: mask, text: 'beach' },
    }).body as { images: string[] };
    const o = pngOf(outpaint.images[0] as string);
    expect([...o.data.subarray(0, 4)]).toEqual([10, 20, 30, 255]); // black = keep
  });

  it.each([
    [
      { taskType: 'INPAINTING', inPaintingParams: { image: 'bm90IGFuIGltYWdl', maskPrompt: 'cat' } },
      'Unable to read the image',
    ],
    [
      { taskType: 'INPAINTING', inPaintingParams: { image: makePng(4, 2, () => [0, 0, 0, 255]) } },
      'exactly one of maskPrompt or maskImage',
    ],
    [
      {
        taskType: 'INPAINTING',
        inPaintingParams: {
          image: makePng(4, 2, () => [0, 0, 0, 255]),
          maskImage: makePng(2, 2, () => [0, 0, 0, 255]),
        },
      },
      'same dimensions',
    ],
    [
      { taskType: 'IMAGE_VARIATION', imageVariationParams: { images: [], text: 'x' } },
      'expected minimum item count: 1',
    ],
    [
      {
        taskType: 'IMAGE_VARIATION',
        imageVariationParams: { images: [makePng(2, 2, () => [0, 0, 0, 255])], similarityStrength: 0.1 },
      },
      'is not greater or equal to 0.2',
    ],
  ])('rejects edit body %#', (body, message) => {
    expect(rejects('amazon.nova-canvas-v1:0', body)).toContain(message);
  });
});

describe('Stability bodies', () => {
  it('one PNG per call at the aspect ratio, echoing the seed', () => {
    const r = invoke('stability.sd3-5-large-v1:0', { prompt: 'castle', aspect_ratio: '16:9', seed: 7 }).body as {
      seeds: number[];
      finish_reasons: Array<string | null>;
      images: string[];
    };
    expect(r.seeds).toEqual([7]);
    expect(r.finish_reasons).toEqual([null]);
    const png = pngOf(r.images[0] as string);
    expect(png.width).toBeGreaterThan(png.height);
  });

  it.each([
    [{ prompt: 'x', aspect_ratio: '4:3' }, 'is not a valid enum value'],
    [{}, 'required key [prompt] not found'],
    [{ prompt: 'x', seed: 4_294_967_295 }, 'is not less or equal to'],
    [{ prompt: 'x', width: 1024 }, 'extraneous key [width]'],
    [{ prompt: 'x', output_format: 'gif' }, 'is not a valid enum value'],
  ])('rejects body %#', (body, message) => {
    expect(rejects('stability.sd3-5-large-v1:0', body)).toContain(message);
  });

  it('SD3 image-to-image answers at the source size and checks strength', () => {
    const image = makePng(40, 20, () => [1, 2, 3, 255]);
    const r = invoke('stability.sd3-5-large-v1:0', { prompt: 'x', mode: 'image-to-image', image, strength: 0.5 })
      .body as { images: string[] };
    expect([pngOf(r.images[0] as string).width, pngOf(r.images[0] as string).height]).toEqual([40, 20]);
    expect(
      rejects('stability.sd3-5-large-v1:0', { prompt: 'x', mode: 'image-to-image', image, strength: 2 }),
    ).toContain('is not less or equal to 1');
    expect(
      rejects('stability.sd3-5-large-v1:0', {
        prompt: 'x',
        mode: 'image-to-image',
        image,
        strength: 0.5,
        aspect_ratio: '1:1',
      }),
    ).toContain('extraneous key [aspect_ratio]');
  });

  it('Core rejects SD3-only keys', () => {
    expect(rejects('stability.stable-image-core-v1:1', { prompt: 'x', mode: 'text-to-image' })).toContain(
      'extraneous key [mode]',
    );
  });

  it('directives filter outputs through finish_reasons', () => {
    const all = invoke('stability.sd3-5-large-v1:0', { prompt: 'x [[filter:all]]' }).body as Record<string, unknown>;
    expect(all.finish_reasons).toEqual(['Filter reason: output image']);
    expect(all.images).toBeUndefined();
    const odd = invoke('stability.sd3-5-large-v1:0', { prompt: 'x [[filter:odd-seeds]]', seed: 3 }).body as Record<
      string,
      unknown
    >;
    const even = invoke('stability.sd3-5-large-v1:0', { prompt: 'x [[filter:odd-seeds]]', seed: 4 }).body as Record<
      string,
      unknown
    >;
    expect(odd.finish_reasons).toEqual(['Filter reason: output image']);
    expect(even.finish_reasons).toEqual([null]);
  });
});

describe('through the AWS SDK InvokeModel', () => {
  let emulator: RunningEmulator;
  let client: BedrockRuntimeClient;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    const user = BUILTIN_IDENTITY.users[0];
    if (!user) throw new Error('no built-in user');
    client = new BedrockRuntimeClient({
      region: 'us-east-1',
      endpoint: emulator.url,
      credentials: { accessKeyId: user.accessKeyId, secretAccessKey: user.secretAccessKey },
    });
  });
  afterAll(async () => {
    client?.destroy();
    await emulator?.close();
  });

  const send = async (modelId: string, body: unknown) => {
    const out = await client.send(
      new InvokeModelCommand({
        modelId,
        body: JSON.stringify(body),
        contentType: 'application/json',
        accept: 'application/json',
      }),
    );
    return JSON.parse(new TextDecoder().decode(out.body)) as Record<string, unknown>;
  };

  it('serves Titan v2 embeddings', async () => {
    const body = await send('amazon.titan-embed-text-v2:0', { inputText: 'hi', dimensions: 512 });
    expect((body.embedding as number[]).length).toBe(512);
  });

  it('serves Cohere embeddings', async () => {
    const body = await send('cohere.embed-multilingual-v3', { texts: ['a', 'b'], input_type: 'search_query' });
    expect((body.embeddings as number[][]).length).toBe(2);
  });

  it('serves Nova Canvas', async () => {
    const body = await send('amazon.nova-canvas-v1:0', {
      taskType: 'TEXT_IMAGE',
      textToImageParams: { text: 'fox' },
      imageGenerationConfig: { width: 320, height: 320 },
    });
    expect((body.images as string[]).length).toBe(1);
  });

  it('serves Stability', async () => {
    const body = await send('stability.stable-image-core-v1:1', { prompt: 'fox', aspect_ratio: '1:1' });
    expect(body.finish_reasons).toEqual([null]);
  });

  it('returns a ValidationException the SDK surfaces by name', async () => {
    await expect(send('amazon.titan-embed-text-v2:0', { inputText: 'x', dimensions: 300 })).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('#/dimensions'),
    });
  });
});
