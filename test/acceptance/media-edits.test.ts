/**
 * Acceptance: `POST /v1/images/edits` (multipart) through the official openai SDK's `toFile` against
 * `aigw serve` in front of `aigw emulator` (Nova Canvas, Titan Image v1/v2).
 *
 * The emulator paints the region Bedrock would redraw and keeps the rest of a PNG source, so each test
 * can see which region a mask selected: a red source stays red where it was kept.
 */
import { randomFillSync } from 'node:crypto';
import { toFile } from 'openai';
import type { ImageEditParamsNonStreaming as ImageEditParams } from 'openai/resources/images';
import { PNG } from 'pngjs';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_KEY,
  decodePng,
  expectOpenAIError,
  M,
  type MediaStack,
  makePng,
  metricValue,
  OUTSIDER_KEY,
  pixel,
  rawPng,
  startMediaStack,
} from './media-stack.js';

let stack: MediaStack;
beforeAll(async () => {
  stack = await startMediaStack();
});
afterAll(async () => {
  await stack?.close();
});

const W = 320;
const H = 320;
const RED = [255, 0, 0, 255];
/** An opaque red source. */
const redSource = makePng(W, H, () => RED);
/** OpenAI-style mask: the left half fully transparent (= edit), the right half opaque (= keep). */
const leftHalfMask = makePng(W, H, (x) => (x < W / 2 ? [0, 0, 0, 0] : [0, 0, 0, 255]));

/** The emulator's built-in demo Bedrock API key (docs/emulator.md). */
const EMULATOR_API_KEY = 'ABSKRW11bGF0b3JEZW1vS2V5';

const png = (bytes: Buffer, name = 'image.png') => toFile(bytes, name, { type: 'image/png' });
const isRed = (p: number[]) => p[0] === 255 && p[1] === 0 && p[2] === 0;

/** Extension fields travel as extra form fields; the SDK sends every key of the params object. */
type EditParams = ImageEditParams & Record<string, unknown>;
const edit = (params: EditParams) => stack.client.images.edit(params as ImageEditParams);

/** Raw multipart POST (for what the SDK will not send). */
async function postForm(form: FormData, headers: Record<string, string> = {}) {
  const res = await fetch(`${stack.baseURL}/images/edits`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, ...headers },
    body: form,
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json, text };
}

function form(fields: Record<string, string>, files: [string, Buffer, string?, string?][]): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  for (const [field, bytes, name = 'image.png', type = 'image/png'] of files)
    f.append(field, new Blob([new Uint8Array(bytes)], { type }), name);
  return f;
}

describe('images.edit through the SDK', () => {
  it('Nova Canvas inpainting: the transparent half of the mask is redrawn, the opaque half kept', async () => {
    const res = await edit({
      model: M.novaCanvas,
      image: await png(redSource),
      mask: await png(leftHalfMask, 'mask.png'),
      prompt: 'a blue sky on the left',
    });
    expect(res.data).toHaveLength(1);
    const out = decodePng(res.data?.[0]?.b64_json as string);
    expect([out.width, out.height]).toEqual([W, H]);
    expect(isRed(pixel(out, W - 10, H / 2))).toBe(true);
    expect(isRed(pixel(out, 10, H / 2))).toBe(false);
  });

  it('Titan Image v1 and v2 inpaint the same way; n=2 gives two images', async () => {
    for (const model of [M.titanImageV1, M.titanImageV2]) {
      const res = await edit({
        model,
        image: await png(redSource),
        mask: await png(leftHalfMask, 'mask.png'),
        prompt: 'grass',
        n: 2,
      });
      expect(res.data).toHaveLength(2);
      for (const d of res.data ?? []) {
        const out = decodePng(d.b64_json as string);
        expect(isRed(pixel(out, W - 10, 10))).toBe(true);
        expect(isRed(pixel(out, 10, 10))).toBe(false);
      }
    }
  });

  it('outpainting keeps the opaque (kept) area and redraws the transparent area', async () => {
    const res = await edit({
      model: M.novaCanvas,
      image: await png(redSource),
      mask: await png(leftHalfMask, 'mask.png'),
      prompt: 'extend the scene',
      edit_mode: 'outpainting',
      outpainting_mode: 'PRECISE',
    });
    const out = decodePng(res.data?.[0]?.b64_json as string);
    expect(isRed(pixel(out, W - 10, H / 2))).toBe(true);
    expect(isRed(pixel(out, 10, H / 2))).toBe(false);
  });

  it('no mask, an image with transparent pixels: its own transparency is the edit area', async () => {
    // Top half transparent (edit), bottom half opaque red (keep).
    const source = makePng(W, H, (_x, y) => (y < H / 2 ? [0, 0, 0, 0] : RED));
    const res = await edit({ model: M.novaCanvas, image: await png(source), prompt: 'clouds' });
    const out = decodePng(res.data?.[0]?.b64_json as string);
    expect([out.width, out.height]).toEqual([W, H]);
    expect(isRed(pixel(out, W / 2, H - 10))).toBe(true);
    expect(isRed(pixel(out, W / 2, 10))).toBe(false);
    expect(pixel(out, W / 2, 10)[3]).toBe(255);
  });

  it('a Bedrock-style opaque black/white mask: black is the edit area', async () => {
    const bwMask = makePng(W, H, (_x, y) => (y < H / 2 ? [0, 0, 0, 255] : [255, 255, 255, 255]));
    const res = await edit({
      model: M.novaCanvas,
      image: await png(redSource),
      mask: await png(bwMask, 'm.png'),
      prompt: 'x',
    });
    const out = decodePng(res.data?.[0]?.b64_json as string);
    expect(isRed(pixel(out, W / 2, H - 10))).toBe(true);
    expect(isRed(pixel(out, W / 2, 10))).toBe(false);
  });

  it('other PNG kinds: palette+tRNS source, gray+alpha mask, 1-bit mask, 16-bit source, RGB colour key', async () => {
    const half = (left: number[], right: number[]) => (x: number) => (x < W / 2 ? left : right);
    // Palette: index 0 opaque red, index 1 fully transparent (tRNS); the left half uses index 1.
    const paletteSource = rawPng({
      width: W,
      height: H,
      colorType: 3,
      bitDepth: 8,
      row: () => Buffer.from(Array.from({ length: W }, (_, x) => (x < W / 2 ? 1 : 0))),
      chunks: [
        ['PLTE', Buffer.from([255, 0, 0, 0, 0, 0])],
        ['tRNS', Buffer.from([255, 0])],
      ],
    });
    const grayAlphaMask = rawPng({
      width: W,
      height: H,
      colorType: 4,
      bitDepth: 8,
      row: () => Buffer.from(Array.from({ length: W }, (_, x) => half([0, 0], [0, 255])(x)).flat()),
    });
    // 1-bit grayscale, Bedrock style: black (0) left = edit, white (1) right = keep.
    const oneBitMask = rawPng({
      width: W,
      height: H,
      colorType: 0,
      bitDepth: 1,
      row: () => Buffer.from(Array.from({ length: W / 8 }, (_, i) => (i * 8 < W / 2 ? 0x00 : 0xff))),
    });
    const red16 = rawPng({
      width: W,
      height: H,
      colorType: 6,
      bitDepth: 16,
      row: () => Buffer.concat(Array.from({ length: W }, () => Buffer.from([255, 255, 0, 0, 0, 0, 255, 255]))),
    });
    // RGB with a tRNS colour key: green pixels (left) are transparent, red (right) opaque.
    const colourKey = rawPng({
      width: W,
      height: H,
      colorType: 2,
      bitDepth: 8,
      row: () => Buffer.from(Array.from({ length: W }, (_, x) => half([0, 255, 0], [255, 0, 0])(x)).flat()),
      chunks: [['tRNS', Buffer.from([0, 0, 0, 255, 0, 0])]],
    });
    const cases: [string, Buffer, Buffer | undefined][] = [
      ['palette source, no mask', paletteSource, undefined],
      ['gray+alpha mask', redSource, grayAlphaMask],
      ['1-bit mask on a 16-bit source', red16, oneBitMask],
      ['colour-key transparency, no mask', colourKey, undefined],
    ];
    for (const [name, image, mask] of cases) {
      const res = await edit({
        model: M.novaCanvas,
        image: await png(image),
        ...(mask ? { mask: await png(mask, 'mask.png') } : {}),
        prompt: name,
      });
      const out = decodePng(res.data?.[0]?.b64_json as string);
      expect([out.width, out.height], name).toEqual([W, H]);
      expect(isRed(pixel(out, W - 10, H / 2)), name).toBe(true);
      expect(isRed(pixel(out, 10, H / 2)), name).toBe(false);
    }
  });

  it('no mask on an opaque image: a variation at the requested size', async () => {
    const res = await edit({
      model: M.novaCanvas,
      image: await png(redSource),
      prompt: 'same but at night',
      size: '512x512',
    });
    const out = decodePng(res.data?.[0]?.b64_json as string);
    expect([out.width, out.height]).toEqual([512, 512]);
  });

  it('several images (image[]) make one variation; mask_prompt selects an area without a mask', async () => {
    const blue = makePng(W, H, () => [0, 0, 255, 255]);
    const res = await edit({
      model: M.titanImageV2,
      image: [await png(redSource, 'a.png'), await png(blue, 'b.png')],
      prompt: 'a blend',
      size: '512x512',
      similarity_strength: 0.5,
    });
    expect(res.data).toHaveLength(1);
    const masked = await edit({
      model: M.novaCanvas,
      image: await png(redSource),
      prompt: 'a hat',
      mask_prompt: 'the head',
    });
    expect(masked.data).toHaveLength(1);
    const out = decodePng(masked.data?.[0]?.b64_json as string);
    expect([out.width, out.height]).toEqual([W, H]);
  });

  it('a repeated plain image field (as some clients send lists) is a multi-image variation too', async () => {
    const res = await postForm(
      form({ model: M.novaCanvas, prompt: 'two sources', size: '512x512' }, [
        ['image', redSource, 'a.png'],
        ['image', makePng(W, H, () => [0, 0, 255, 255]), 'b.png'],
      ]),
    );
    expect(res.status, res.text.slice(0, 300)).toBe(200);
    const out = decodePng((res.json as { data: { b64_json: string }[] }).data[0]?.b64_json as string);
    expect([out.width, out.height]).toEqual([512, 512]);
  });

  it('size equal to the source (or auto) is accepted for inpainting', async () => {
    for (const size of [`${W}x${H}`, 'auto']) {
      const res = await edit({
        model: M.novaCanvas,
        image: await png(redSource),
        mask: await png(leftHalfMask, 'mask.png'),
        prompt: 'x',
        size: size as 'auto',
      });
      expect(res.data).toHaveLength(1);
    }
  });

  it('moderation on edits: withheld images are reported, all withheld is content_policy_violation', async () => {
    const some = await postForm(
      form({ model: M.novaCanvas, prompt: 'x [[filter:1]]', n: '3' }, [
        ['image', redSource],
        ['mask', leftHalfMask, 'mask.png'],
      ]),
    );
    expect(some.status, some.text.slice(0, 300)).toBe(200);
    expect((some.json as { data: unknown[] }).data).toHaveLength(2);
    expect(some.headers.get('x-aigateway-images-filtered')).toBe('1');
    const all = expectOpenAIError(
      await postForm(
        form({ model: M.titanImageV2, prompt: 'x [[filter:all]]' }, [
          ['image', redSource],
          ['mask', leftHalfMask, 'mask.png'],
        ]),
      ),
      400,
    );
    expect(all.code).toBe('content_policy_violation');
  });

  it('each edited image is priced', async () => {
    const labels = { account: 'media', model: 'amazon-nova-canvas-v1-0' };
    const before = await metricValue(stack, 'aigw_cost_usd_total', labels);
    await edit({
      model: M.novaCanvas,
      image: await png(redSource),
      mask: await png(leftHalfMask, 'm.png'),
      prompt: 'x',
      n: 2,
    });
    const after = await metricValue(stack, 'aigw_cost_usd_total', labels);
    expect(after - before).toBeCloseTo(0.08, 6);
  });
});

describe('images.edit: bad input is a clear 4xx in OpenAI shape', () => {
  it('a model that cannot edit: 400 naming the editable models', async () => {
    for (const model of [M.imageCore, M.sd3Large, M.sdxl]) {
      const err = expectOpenAIError(await postForm(form({ model, prompt: 'x' }, [['image', redSource]])), 400);
      expect(err.message).toMatch(/Nova Canvas|nova-canvas/i);
      expect(err.message).toMatch(/Titan/i);
      // Only models that can edit are offered, not the generation-only Stability ones.
      expect(err.message).not.toMatch(/stability\.(sd3|stable-image)/);
    }
    expectOpenAIError(await postForm(form({ model: M.titanEmbedV2, prompt: 'x' }, [['image', redSource]])), 400);
    expectOpenAIError(await postForm(form({ model: M.novaLite, prompt: 'x' }, [['image', redSource]])), 400);
    expectOpenAIError(await postForm(form({ model: 'media/gpt-image-1', prompt: 'x' }, [['image', redSource]])), 404);
  });

  it('the SDK sees the wrong-model error as an APIError 400', async () => {
    const err = await edit({ model: M.imageUltra, image: await png(redSource), prompt: 'x' }).catch((e: unknown) => e);
    expect((err as { status?: number }).status).toBe(400);
  });

  const cases: {
    name: string;
    fields: Record<string, string>;
    files: [string, Buffer, string?, string?][];
    param?: string;
    status?: number;
  }[] = [
    { name: 'no image', fields: { model: M.novaCanvas, prompt: 'x' }, files: [], param: 'image' },
    { name: 'no model', fields: { prompt: 'x' }, files: [['image', redSource]], param: 'model' },
    {
      name: 'mask of another size',
      fields: { model: M.novaCanvas, prompt: 'x' },
      files: [
        ['image', redSource],
        ['mask', makePng(160, 160, () => [0, 0, 0, 0]), 'mask.png'],
      ],
      param: 'mask',
    },
    {
      name: 'inpainting size different from the source',
      fields: { model: M.novaCanvas, prompt: 'x', size: '512x512' },
      files: [
        ['image', redSource],
        ['mask', leftHalfMask, 'mask.png'],
      ],
      param: 'size',
    },
    {
      name: 'a text file as the image',
      fields: { model: M.novaCanvas, prompt: 'x' },
      files: [['image', Buffer.from('hello, not an image'), 'a.txt', 'text/plain']],
    },
    {
      name: 'bytes that are not PNG/JPEG declared as octet-stream',
      fields: { model: M.novaCanvas, prompt: 'x' },
      files: [['image', Buffer.from('GIF89a........'), 'a.gif', 'application/octet-stream']],
      param: 'image',
    },
    {
      name: 'a corrupt PNG',
      fields: { model: M.novaCanvas, prompt: 'x' },
      files: [['image', Buffer.concat([redSource.subarray(0, 40), Buffer.alloc(40)])]],
    },
    {
      name: 'a mask that is not an image',
      fields: { model: M.novaCanvas, prompt: 'x' },
      files: [
        ['image', redSource],
        ['mask', Buffer.from('nope'), 'mask.txt', 'text/plain'],
      ],
    },
    {
      name: 'response_format url',
      fields: { model: M.novaCanvas, prompt: 'x', response_format: 'url' },
      files: [['image', redSource]],
      param: 'response_format',
    },
    { name: 'n = 0', fields: { model: M.novaCanvas, prompt: 'x', n: '0' }, files: [['image', redSource]], param: 'n' },
    {
      name: 'n = eleven',
      fields: { model: M.novaCanvas, prompt: 'x', n: 'eleven' },
      files: [['image', redSource]],
      param: 'n',
    },
    {
      name: 'bad edit_mode',
      fields: { model: M.novaCanvas, prompt: 'x', edit_mode: 'erase' },
      files: [['image', redSource]],
      param: 'edit_mode',
    },
    {
      name: 'outpainting without a prompt',
      fields: { model: M.novaCanvas, edit_mode: 'outpainting', mask_prompt: 'the sky' },
      files: [['image', redSource]],
      param: 'prompt',
    },
    {
      name: 'similarity_strength out of range',
      fields: { model: M.novaCanvas, prompt: 'x', similarity_strength: '0.1' },
      files: [['image', redSource]],
      param: 'similarity_strength',
    },
    {
      name: 'prompt over 1,024 chars',
      fields: { model: M.novaCanvas, prompt: 'a'.repeat(1025) },
      files: [
        ['image', redSource],
        ['mask', leftHalfMask, 'mask.png'],
      ],
      param: 'prompt',
    },
    {
      name: 'Titan prompt over 512 chars',
      fields: { model: M.titanImageV2, prompt: 'a'.repeat(513) },
      files: [
        ['image', redSource],
        ['mask', leftHalfMask, 'mask.png'],
      ],
      param: 'prompt',
    },
    {
      name: 'two masks',
      fields: { model: M.novaCanvas, prompt: 'x' },
      files: [
        ['image', redSource],
        ['mask', leftHalfMask, 'm1.png'],
        ['mask', leftHalfMask, 'm2.png'],
      ],
      param: 'mask',
    },
    {
      name: 'an unexpected file field',
      fields: { model: M.novaCanvas, prompt: 'x' },
      files: [
        ['image', redSource],
        ['reference', redSource, 'r.png'],
      ],
    },
    {
      name: 'seven files',
      fields: { model: M.novaCanvas, prompt: 'x' },
      files: Array.from({ length: 7 }, (_, i) => [`image[${i}]`, redSource, `i${i}.png`] as [string, Buffer, string]),
    },
    {
      name: 'a file over 10 MB',
      fields: { model: M.novaCanvas, prompt: 'x' },
      files: [['image', Buffer.concat([redSource, Buffer.alloc(10 * 1024 * 1024 + 1)])]],
    },
    {
      name: 'a text field over 64 KiB',
      fields: { model: M.novaCanvas, prompt: 'x', negative_prompt: 'n'.repeat(70 * 1024) },
      files: [['image', redSource]],
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const err = expectOpenAIError(await postForm(form(c.fields, c.files)), c.status ?? 400);
      if (c.param) expect(err.param).toBe(c.param);
    });
  }

  it('images over InvokeModel 25,000,000-byte body: a 400 up front, and the next edit is not held up', async () => {
    // Three 1400x1400 noise PNGs, stored uncompressed: ~7.8 MB each, within the 10 MB file limit, but
    // ~31 MB once base64-encoded into one IMAGE_VARIATION body.
    const noise = new PNG({ width: 1400, height: 1400 });
    randomFillSync(noise.data);
    for (let i = 3; i < noise.data.length; i += 4) noise.data[i] = 255;
    const big = PNG.sync.write(noise, { deflateLevel: 0 });
    expect(big.length).toBeLessThan(10 * 1024 * 1024);
    const err = expectOpenAIError(
      await postForm(
        form({ model: M.novaCanvas, prompt: 'x' }, [
          ['image[]', big, 'a.png'],
          ['image[]', big, 'b.png'],
          ['image[]', big, 'c.png'],
        ]),
      ),
      400,
    );
    expect(err.param).toBe('image');
    expect(err.message).toContain('25,000,000');
    const started = Date.now();
    const ok = await edit({ model: M.novaCanvas, image: await png(redSource), prompt: 'next', size: '512x512' });
    expect(ok.data).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('the emulator closes the connection after a too-large InvokeModel body, so the next call is not stuck', async () => {
    // One keep-alive connection, as the gateway's pool uses: the 413 must not leave it half-read.
    const agent = new Agent({ connections: 1, pipelining: 1 });
    try {
      const invoke = (body: string | Buffer) =>
        request(`${stack.emulatorURL}/model/amazon.nova-canvas-v1:0/invoke`, {
          dispatcher: agent,
          method: 'POST',
          headers: { authorization: `Bearer ${EMULATOR_API_KEY}`, 'content-type': 'application/json' },
          body,
        });
      const tooBig = await invoke(Buffer.alloc(30_000_000, 0x61));
      expect(tooBig.statusCode).toBe(413);
      await tooBig.body.text();
      const started = Date.now();
      const next = await invoke(
        JSON.stringify({
          taskType: 'TEXT_IMAGE',
          textToImageParams: { text: 'after the 413' },
          imageGenerationConfig: { width: 320, height: 320 },
        }),
      );
      expect(next.statusCode).toBe(200);
      await next.body.text();
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await agent.close();
    }
  });

  it('too many text fields is a 400', async () => {
    const fields: Record<string, string> = { model: M.novaCanvas, prompt: 'x' };
    for (let i = 0; i < 40; i++) fields[`extra_${i}`] = 'v';
    expectOpenAIError(await postForm(form(fields, [['image', redSource]])), 400);
  });

  it('a JSON body is a 415', async () => {
    const res = await fetch(`${stack.baseURL}/images/edits`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: M.novaCanvas, prompt: 'x', image: redSource.toString('base64') }),
    });
    const text = await res.text();
    expectOpenAIError({ status: res.status, headers: res.headers, json: JSON.parse(text), text }, 415);
  });

  it('a truncated multipart body is a 400, and the gateway keeps serving', async () => {
    const boundary = 'aigwboundary';
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\n${M.novaCanvas}\r\n--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n${redSource.subarray(0, 100).toString('latin1')}`;
    const res = await fetch(`${stack.baseURL}/images/edits`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: Buffer.from(body, 'latin1'),
    });
    const text = await res.text();
    expectOpenAIError({ status: res.status, headers: res.headers, json: JSON.parse(text), text }, 400);
    const ok = await edit({ model: M.novaCanvas, image: await png(redSource), prompt: 'still up', size: '512x512' });
    expect(ok.data).toHaveLength(1);
  });

  it('multipart without a boundary, or with no parts at all, is a 400', async () => {
    for (const [contentType, body] of [
      ['multipart/form-data', 'whatever'],
      ['multipart/form-data; boundary=xyz', ''],
      ['multipart/form-data; boundary=xyz', '--xyz\r\nContent-Disposition: form-data; name="model"\r\n\r\nmedia'],
    ] as const) {
      const res = await fetch(`${stack.baseURL}/images/edits`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': contentType },
        body,
      });
      const text = await res.text();
      expectOpenAIError({ status: res.status, headers: res.headers, json: JSON.parse(text), text }, 400);
    }
  });

  it('a caller who may not use the account gets a 403/404 on all three endpoints, never the model', async () => {
    const headers = { authorization: `Bearer ${OUTSIDER_KEY}` };
    const asJson = async (path: string, body: unknown) => {
      const res = await fetch(`${stack.baseURL}${path}`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, headers: res.headers, json: JSON.parse(text) as unknown, text };
    };
    const results = [
      await asJson('/embeddings', { model: M.titanEmbedV2, input: 'x' }),
      await asJson('/images/generations', { model: M.novaCanvas, prompt: 'x' }),
      await postForm(form({ model: M.novaCanvas, prompt: 'x' }, [['image', redSource]]), headers),
    ];
    for (const res of results) {
      expect([403, 404], res.text).toContain(res.status);
      expectOpenAIError(res, res.status);
      expect(res.text).not.toContain('"data"');
    }
  });

  it('no API key is a 401 before the upload is read', async () => {
    const res = await fetch(`${stack.baseURL}/images/edits`, {
      method: 'POST',
      body: form({ model: M.novaCanvas }, [['image', redSource]]),
    });
    const text = await res.text();
    expectOpenAIError({ status: res.status, headers: res.headers, json: JSON.parse(text), text }, 401);
  });
});
