import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../../errors/index.js';
import type { CanvasImageRequest, CanvasImageResponse, StabilityImageResponse } from '../../wire/bedrock/index.js';
import type { UploadedImage } from '../../wire/openai/index.js';
import {
  fromCanvasImageResponses,
  fromStabilityImageResponses,
  imageModelKind,
  parseImageEditRequest,
  parseImageGenerationRequest,
  planCanvasEdit,
  readImageInfo,
  toCanvasEditRequests,
  toCanvasImageRequests,
  toStabilityImageRequests,
} from './index.js';

interface Fixture {
  name: string;
  modelId: string;
  openai: unknown;
  bedrock?: unknown[];
  bedrockResponses?: unknown[];
  response?: unknown;
  filtered?: number;
  error?: { status: number; code: string; param?: string; message?: string };
}

const dir = join(import.meta.dirname, 'fixtures');
const fixtures: Fixture[] = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Fixture);
const CREATED = 1_700_000_000;

function translate(f: Fixture) {
  const request = parseImageGenerationRequest(f.openai);
  const kind = imageModelKind(f.modelId);
  if (!kind) throw new Error(`fixture ${f.name}: unknown model`);
  if (kind === 'stability') {
    const bodies = toStabilityImageRequests(request);
    const out = f.bedrockResponses
      ? fromStabilityImageResponses(f.bedrockResponses as StabilityImageResponse[], { created: CREATED })
      : undefined;
    return { bodies, out };
  }
  const bodies = toCanvasImageRequests(request, { kind });
  const out = f.bedrockResponses
    ? fromCanvasImageResponses(
        (f.bedrockResponses as CanvasImageResponse[]).map((body, i) => ({
          body,
          requested: (bodies[i] as CanvasImageRequest).imageGenerationConfig?.numberOfImages ?? 1,
        })),
        { created: CREATED },
      )
    : undefined;
  return { bodies, out };
}

function expectGatewayError(fn: () => unknown, expected: NonNullable<Fixture['error']>): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(GatewayError);
  const err = caught as GatewayError;
  expect({ status: err.status, code: err.code }).toEqual({ status: expected.status, code: expected.code });
  if (expected.param) expect(err.param).toBe(expected.param);
  if (expected.message) expect(err.message).toContain(expected.message);
}

describe('image generation fixtures', () => {
  it('has fixtures', () => expect(fixtures.length).toBeGreaterThan(20));
  for (const f of fixtures) {
    it(f.name, () => {
      if (f.error) return expectGatewayError(() => translate(f), f.error);
      const { bodies, out } = translate(f);
      if (f.bedrock) expect(bodies).toEqual(f.bedrock);
      if (f.response !== undefined) {
        expect(out?.response).toEqual(f.response);
        expect(out?.filtered).toBe(f.filtered ?? 0);
      }
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Image edits: multipart inputs are binary, so these cases build their PNGs here.

function png(
  width: number,
  height: number,
  pixel: (x: number, y: number) => [number, number, number, number],
): Uint8Array {
  const p = new PNG({ width, height });
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const [r, g, b, a] = pixel(x, y);
      p.data[i] = r;
      p.data[i + 1] = g;
      p.data[i + 2] = b;
      p.data[i + 3] = a;
    }
  return new Uint8Array(PNG.sync.write(p));
}

function pixelsOf(b64: string): Array<[number, number, number, number]> {
  const p = PNG.sync.read(Buffer.from(b64, 'base64'));
  const out: Array<[number, number, number, number]> = [];
  for (let i = 0; i < p.data.length; i += 4)
    out.push([p.data[i] as number, p.data[i + 1] as number, p.data[i + 2] as number, p.data[i + 3] as number]);
  return out;
}

const opaque = png(4, 2, () => [10, 20, 30, 255]);
// Left half transparent = "edit here" in OpenAI's convention.
const alphaMask = png(4, 2, (x) => (x < 2 ? [0, 0, 0, 0] : [255, 255, 255, 255]));
// The header says 4x2; the bytes after IEND only make the upload large (explicit variations are not decoded).
const nineAndAHalfMb = new Uint8Array(9_500_000);
nineAndAHalfMb.set(opaque);
const file = (field: string, bytes: Uint8Array): UploadedImage => ({
  field,
  bytes,
  filename: 'x.png',
  contentType: 'image/png',
});

function edit(
  fields: Record<string, string>,
  files: UploadedImage[],
  kind: 'nova-canvas' | 'titan-image-v2' = 'nova-canvas',
) {
  return toCanvasEditRequests(parseImageEditRequest({ model: 'a/nova', ...fields }, files), { kind });
}

describe('image edits', () => {
  it('turns an OpenAI alpha mask into a Bedrock black-is-edit mask for INPAINTING', () => {
    const [body] = edit({ prompt: 'a hat', n: '2', seed: '7' }, [file('image', opaque), file('mask', alphaMask)]);
    expect(body?.taskType).toBe('INPAINTING');
    if (body?.taskType !== 'INPAINTING') return;
    expect(body.inPaintingParams.text).toBe('a hat');
    expect(body.inPaintingParams.image).toBe(Buffer.from(opaque).toString('base64'));
    expect(body.imageGenerationConfig).toEqual({ numberOfImages: 2, seed: 7 });
    const mask = pixelsOf(body.inPaintingParams.maskImage ?? '');
    // Row-major 4x2: x<2 black (edit), x>=2 white (keep); all opaque.
    expect(mask.map(([r, , , a]) => [r, a])).toEqual([0, 0, 255, 255, 0, 0, 255, 255].map((v) => [v, 255]));
  });

  it('inverts the mask for OUTPAINTING, where black marks the region to keep', () => {
    const [body] = edit({ prompt: 'beach', edit_mode: 'outpainting', outpainting_mode: 'PRECISE' }, [
      file('image', opaque),
      file('mask', alphaMask),
    ]);
    if (body?.taskType !== 'OUTPAINTING') throw new Error('expected OUTPAINTING');
    expect(body.outPaintingParams.outPaintingMode).toBe('PRECISE');
    expect(pixelsOf(body.outPaintingParams.maskImage ?? '').map(([r]) => r)).toEqual([255, 255, 0, 0, 255, 255, 0, 0]);
  });

  it('uses mask_prompt when no mask file is sent', () => {
    const [body] = edit({ prompt: 'red car', mask_prompt: 'the car' }, [file('image', opaque)], 'titan-image-v2');
    expect(body).toEqual({
      taskType: 'INPAINTING',
      inPaintingParams: { image: Buffer.from(opaque).toString('base64'), text: 'red car', maskPrompt: 'the car' },
      imageGenerationConfig: { numberOfImages: 1 },
    });
  });

  it("uses the image's own transparency as the mask and sends an opaque image (OpenAI's rule without a mask)", () => {
    const [body] = edit({ prompt: 'sky' }, [file('image', alphaMask)]);
    if (body?.taskType !== 'INPAINTING') throw new Error('expected INPAINTING');
    expect(pixelsOf(body.inPaintingParams.image).every(([, , , a]) => a === 255)).toBe(true);
    expect(pixelsOf(body.inPaintingParams.maskImage ?? '').map(([r]) => r)).toEqual([0, 0, 255, 255, 0, 0, 255, 255]);
  });

  it('falls back to IMAGE_VARIATION of opaque images, honouring size, n and similarity', () => {
    const bodies = edit({ prompt: 'more blue', n: '6', size: '512x512', similarity_strength: '0.5' }, [
      file('image[]', opaque),
      file('image[]', opaque),
    ]);
    expect(bodies.map((b) => b.imageGenerationConfig?.numberOfImages)).toEqual([5, 1]);
    const first = bodies[0];
    if (first?.taskType !== 'IMAGE_VARIATION') throw new Error('expected IMAGE_VARIATION');
    expect(first.imageVariationParams.images).toHaveLength(2);
    expect(first.imageVariationParams.similarityStrength).toBe(0.5);
    expect(first.imageGenerationConfig).toMatchObject({ width: 512, height: 512 });
  });

  it('passes an already black/white opaque mask through in Bedrock convention', () => {
    const bw = png(4, 2, (x) => (x === 0 ? [0, 0, 0, 255] : [255, 255, 255, 255]));
    const [body] = edit({ prompt: 'x' }, [file('image', opaque), file('mask', bw)]);
    if (body?.taskType !== 'INPAINTING') throw new Error('expected INPAINTING');
    expect(pixelsOf(body.inPaintingParams.maskImage ?? '').map(([r]) => r)).toEqual([
      0, 255, 255, 255, 0, 255, 255, 255,
    ]);
  });

  const bad: Array<
    [string, Record<string, string>, UploadedImage[], { code: string; param: string; message?: string }]
  > = [
    [
      'mask of another size',
      { prompt: 'x' },
      [
        file('image', opaque),
        file(
          'mask',
          png(2, 2, () => [0, 0, 0, 0]),
        ),
      ],
      { code: 'invalid_value', param: 'mask', message: 'same size' },
    ],
    [
      'mask that is not a PNG',
      { prompt: 'x' },
      [file('image', opaque), file('mask', new Uint8Array([0xff, 0xd8, 0xff, 0xdb, 0, 0, 0, 0, 0, 0]))],
      { code: 'invalid_value', param: 'mask' },
    ],
    [
      'image that is not an image',
      { prompt: 'x' },
      [file('image', new TextEncoder().encode('hello, not an image at all'))],
      { code: 'invalid_value', param: 'image', message: 'PNG or JPEG' },
    ],
    ['no image', { prompt: 'x' }, [], { code: 'missing_required_parameter', param: 'image' }],
    [
      'two masks',
      { prompt: 'x' },
      [file('image', opaque), file('mask', alphaMask), file('mask', alphaMask)],
      { code: 'invalid_value', param: 'mask' },
    ],
    [
      'unexpected file field',
      { prompt: 'x' },
      [file('image', opaque), file('photo', opaque)],
      { code: 'invalid_value', param: 'photo' },
    ],
    [
      'mask and mask_prompt together',
      { prompt: 'x', mask_prompt: 'cat' },
      [file('image', opaque), file('mask', alphaMask)],
      { code: 'invalid_value', param: 'mask_prompt' },
    ],
    [
      'inpainting size differing from the source',
      { prompt: 'x', size: '1024x1024' },
      [file('image', opaque), file('mask', alphaMask)],
      { code: 'invalid_value', param: 'size' },
    ],
    [
      'outpainting without a mask',
      { prompt: 'x', edit_mode: 'outpainting' },
      [file('image', opaque)],
      { code: 'invalid_value', param: 'mask' },
    ],
    [
      'inpainting with two images',
      { prompt: 'x', mask_prompt: 'cat' },
      [file('image[]', opaque), file('image[]', opaque)],
      { code: 'invalid_value', param: 'image' },
    ],
    [
      'unknown edit_mode',
      { prompt: 'x', edit_mode: 'erase' },
      [file('image', opaque)],
      { code: 'invalid_value', param: 'edit_mode' },
    ],
    [
      'similarity_strength out of range',
      { prompt: 'x', similarity_strength: '0.1' },
      [file('image', opaque)],
      { code: 'invalid_value', param: 'similarity_strength' },
    ],
    [
      'response_format url',
      { prompt: 'x', response_format: 'url' },
      [file('image', opaque)],
      { code: 'unsupported_value', param: 'response_format' },
    ],
    ['n as text', { prompt: 'x', n: 'two' }, [file('image', opaque)], { code: 'invalid_type', param: 'n' }],
    [
      // Two 9.5 MB uploads are 25.3 MB of base64: more than InvokeModel's 25,000,000-byte body.
      'images over the InvokeModel body limit',
      { prompt: 'x', edit_mode: 'variation' },
      [file('image[]', nineAndAHalfMb), file('image[]', nineAndAHalfMb)],
      { code: 'invalid_value', param: 'image', message: '25,000,000' },
    ],
  ];
  for (const [name, fields, files, expected] of bad) {
    it(`refuses ${name}`, () => expectGatewayError(() => edit(fields, files), { status: 400, ...expected }));
  }
});

/** `bytes` with the PNG header's width and height replaced: a "hostile" header over tiny data. */
function withPngSize(bytes: Uint8Array, width: number, height: number): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  return out;
}

describe('image edits are refused from their headers before any pixel is decoded', () => {
  const plan = (files: UploadedImage[], fields: Record<string, string> = {}, maxPixels?: number) =>
    planCanvasEdit(parseImageEditRequest({ model: 'a/nova', prompt: 'x', ...fields }, files), {
      kind: 'nova-canvas',
      ...(maxPixels !== undefined ? { maxPixels } : {}),
    });

  const refusals: Array<[string, UploadedImage[], number | undefined, { param: string; message: string }]> = [
    [
      'an 8000x8000 image (beyond Nova Canvas sides and pixels)',
      [file('image', withPngSize(alphaMask, 8000, 8000))],
      undefined,
      { param: 'image', message: 'up to 4096 pixels a side' },
    ],
    [
      'a 4096x4096 image (sides fit, 16.8 million pixels do not)',
      [file('image', withPngSize(alphaMask, 4096, 4096))],
      undefined,
      { param: 'image', message: 'at most 4,194,304 pixels' },
    ],
    [
      'an 8000x8000 mask',
      [file('image', opaque), file('mask', withPngSize(alphaMask, 8000, 8000))],
      undefined,
      { param: 'mask', message: '8000x8000' },
    ],
    [
      "an image above the gateway's own pixel cap",
      [file('image', withPngSize(alphaMask, 2048, 1024))],
      1_000_000,
      { param: 'image', message: 'this gateway processes images of at most 1,000,000 pixels' },
    ],
    [
      'a JPEG whose frame header says 8000x8000',
      [
        file(
          'image',
          new Uint8Array([0xff, 0xd8, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x1f, 0x40, 0x1f, 0x40, 0x03, 0, 0, 0, 0, 0, 0]),
        ),
      ],
      undefined,
      { param: 'image', message: '8000x8000' },
    ],
  ];
  for (const [name, files, maxPixels, expected] of refusals) {
    it(`refuses ${name}`, () => {
      const read = vi.spyOn(PNG.sync, 'read');
      try {
        expectGatewayError(() => plan(files, {}, maxPixels), { status: 400, code: 'invalid_value', ...expected });
        expect(read).not.toHaveBeenCalled();
      } finally {
        read.mockRestore();
      }
    });
  }

  it('refuses a Titan input over its documented 5 MB, which Nova Canvas takes', () => {
    const titan = () =>
      planCanvasEdit(parseImageEditRequest({ model: 'a/titan', prompt: 'x' }, [file('image', nineAndAHalfMb)]), {
        kind: 'titan-image-v2',
      });
    expectGatewayError(titan, { status: 400, code: 'invalid_value', param: 'image', message: 'up to 5 MB' });
    expect(plan([file('image', nineAndAHalfMb)]).mode).toBeUndefined(); // accepted; transparency decides the task
  });

  it('plans no pixel work for an opaque RGB PNG, a mask prompt or a variation', () => {
    const rgb = new PNG({ width: 4, height: 2 });
    rgb.data.fill(200);
    const opaqueRgb = new Uint8Array(PNG.sync.write(rgb, { colorType: 2 }));
    expect(plan([file('image', opaqueRgb)]).pixelJob).toBeUndefined();
    expect(plan([file('image', alphaMask)], { mask_prompt: 'the cat' }).pixelJob).toBeUndefined();
    expect(plan([file('image', alphaMask)], { edit_mode: 'variation' }).pixelJob).toBeUndefined();
    expect(plan([file('image', alphaMask)]).pixelJob).toMatchObject({ op: 'alpha', maskIs: 'edit-region' });
    expect(plan([file('image', opaque), file('mask', alphaMask)], { edit_mode: 'outpainting' }).pixelJob).toMatchObject(
      { op: 'mask', maskIs: 'keep-region' },
    );
  });

  it('refuses what the form decides (two images to inpaint) before scheduling a decode', () => {
    expectGatewayError(() => plan([file('image[]', opaque), file('image[]', opaque), file('mask', alphaMask)]), {
      status: 400,
      code: 'invalid_value',
      param: 'image',
      message: 'exactly one',
    });
  });
});

describe('readImageInfo', () => {
  it('reads PNG and JPEG dimensions from their headers', () => {
    expect(readImageInfo(opaque)).toEqual({ format: 'png', width: 4, height: 2 });
    // Minimal JPEG header: SOI, APP0 (len 4), SOF0 with height 300 and width 500.
    const jpeg = new Uint8Array([
      0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0x2c, 0x01, 0xf4, 0x03,
    ]);
    expect(readImageInfo(jpeg)).toEqual({ format: 'jpeg', width: 500, height: 300 });
    expect(readImageInfo(new Uint8Array([1, 2, 3]))).toBeUndefined();
  });
});
