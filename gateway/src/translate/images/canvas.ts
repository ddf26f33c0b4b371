import { echo, GatewayError, invalidValue, unsupportedParameter } from '../../errors/index.js';
import {
  type CanvasImageRequest,
  type CanvasImageResponse,
  type ImageGenerationConfig,
  type ImageVariationParams,
  type InPaintingParams,
  NOVA_CANVAS_STYLES,
  type NovaCanvasStyle,
  type OutPaintingParams,
} from '../../wire/bedrock/index.js';
import type { ImageEditRequest, ImageGenerationRequest, ImagesResponse } from '../../wire/openai/index.js';
import {
  decodePng,
  flattenPng,
  hasTransparentPixel,
  type ImageInfo,
  readImageInfo,
  toBase64,
  toBedrockMask,
} from './image-bytes.js';
import { CANVAS_LIMITS, type CanvasLimits, type ImageModelKind, INVOKE_MODEL_MAX_BODY_BYTES } from './models.js';
import { type ImageSize, novaCanvasSize, titanImageSize } from './sizes.js';

export type CanvasModelKind = Exclude<ImageModelKind, 'stability'>;

function checkText(value: string | undefined, param: string, limits: CanvasLimits): void {
  if (value !== undefined && value.length > limits.maxText)
    throw invalidValue(
      `'${param}' is ${value.length} characters; ${limits.label} accepts at most ${limits.maxText}.`,
      param,
    );
}

function sizeFor(kind: CanvasModelKind, size: string | undefined): ImageSize {
  return kind === 'nova-canvas' ? novaCanvasSize(size) : titanImageSize(size);
}

/**
 * Splits `n` into calls of at most 5 images (the per-call `numberOfImages` limit of both families).
 * Calls after the first get seed `seed + 5k` (seed defaulting to 0) so they do not repeat the first
 * call's images: Bedrock's seed default is fixed, so unseeded calls would all return the same pictures.
 */
function batches(
  n: number,
  seed: number | undefined,
  limits: CanvasLimits,
): Array<{ count: number; seed: number | undefined }> {
  const out: Array<{ count: number; seed: number | undefined }> = [];
  for (let k = 0, left = n; left > 0; k++) {
    const count = Math.min(left, limits.maxImagesPerCall);
    const s = k === 0 ? seed : ((seed ?? 0) + k * limits.maxImagesPerCall) % (limits.maxSeed + 1);
    out.push({ count, seed: s });
    left -= count;
  }
  return out;
}

function baseConfig(
  request: { quality?: 'standard' | 'premium'; cfgScale?: number },
  batch: { count: number; seed: number | undefined },
  size: ImageSize | undefined,
): ImageGenerationConfig {
  const config: ImageGenerationConfig = { numberOfImages: batch.count };
  if (size) {
    config.width = size.width;
    config.height = size.height;
  }
  if (request.quality) config.quality = request.quality;
  if (request.cfgScale !== undefined) config.cfgScale = request.cfgScale;
  if (batch.seed !== undefined) config.seed = batch.seed;
  return config;
}

function checkSeed(seed: number | undefined, limits: CanvasLimits): void {
  if (seed !== undefined && seed > limits.maxSeed)
    throw invalidValue(`Invalid 'seed' ${seed}: ${limits.label} accepts 0 to ${limits.maxSeed}.`, 'seed');
}

/**
 * TEXT_IMAGE bodies for Nova Canvas / Titan Image Generator, one per batch of ≤ 5 images.
 * `style` is a Nova Canvas preset (case-insensitive); Titan has no styles.
 */
export function toCanvasImageRequests(
  request: ImageGenerationRequest,
  options: { kind: CanvasModelKind },
): CanvasImageRequest[] {
  const limits = CANVAS_LIMITS[options.kind];
  checkText(request.prompt, 'prompt', limits);
  checkText(request.negativePrompt, 'negative_prompt', limits);
  checkSeed(request.seed, limits);
  const size = sizeFor(options.kind, request.size);
  let style: NovaCanvasStyle | undefined;
  if (request.style !== undefined) {
    if (options.kind !== 'nova-canvas')
      throw unsupportedParameter('style', `is not supported by ${limits.label}; only Nova Canvas has style presets.`);
    const upper = request.style.toUpperCase();
    if (!(NOVA_CANVAS_STYLES as readonly string[]).includes(upper))
      throw invalidValue(
        `Invalid 'style' '${echo(request.style)}' for Nova Canvas. Valid styles: ${NOVA_CANVAS_STYLES.join(', ')} (OpenAI's vivid/natural are ignored).`,
        'style',
      );
    style = upper as NovaCanvasStyle;
  }
  return batches(request.n, request.seed, limits).map((batch) => {
    const params: { text: string; negativeText?: string; style?: NovaCanvasStyle } = { text: request.prompt };
    if (request.negativePrompt !== undefined) params.negativeText = request.negativePrompt;
    if (style) params.style = style;
    return {
      taskType: 'TEXT_IMAGE',
      textToImageParams: params,
      imageGenerationConfig: baseConfig(request, batch, size),
    };
  });
}

const MAX_INPUT_IMAGE_BYTES = 10 * 1024 * 1024;

function inspect(file: { bytes: Uint8Array; field: string }): ImageInfo {
  if (file.bytes.byteLength > MAX_INPUT_IMAGE_BYTES)
    throw invalidValue(`'${echo(file.field)}' is larger than 10 MB.`, file.field);
  const info = readImageInfo(file.bytes);
  if (!info)
    throw invalidValue(`'${echo(file.field)}' must be a PNG or JPEG image.`, file.field.replace(/\[\d*\]$/, ''));
  return info;
}

/**
 * Edit bodies for Nova Canvas / Titan Image Generator, one per batch of ≤ 5 images. The task:
 * - `edit_mode` when given; else INPAINTING when there is a mask, a `mask_prompt`, or transparent pixels in a
 *   PNG `image` (OpenAI's DALL·E 2 rule: without a mask the image's own transparency is the mask); else
 *   IMAGE_VARIATION of the uploaded image(s) guided by the prompt.
 * - Masks follow OpenAI's convention (transparent = change) and are converted to Bedrock's opaque
 *   black/white PNG; see {@link toBedrockMask}.
 * - INPAINTING/OUTPAINTING keep the source size (Bedrock returns the input's dimensions), so `size` must be
 *   absent, `auto` or equal to it; IMAGE_VARIATION honours `size` under the model's size rules.
 */
export function toCanvasEditRequests(
  request: ImageEditRequest,
  options: { kind: CanvasModelKind },
): CanvasImageRequest[] {
  const limits = CANVAS_LIMITS[options.kind];
  checkText(request.prompt || undefined, 'prompt', limits);
  checkText(request.negativePrompt, 'negative_prompt', limits);
  checkText(request.maskPrompt, 'mask_prompt', limits);
  checkSeed(request.seed, limits);
  const infos = request.images.map(inspect);
  const first = request.images[0];
  const firstInfo = infos[0];
  if (!first || !firstInfo) throw invalidValue("'image' is required.", 'image');

  let maskImage: Uint8Array | undefined;
  let maskFromImage = false;
  let decodedFirst: ReturnType<typeof decodePng> | undefined;
  if (request.mask) {
    const maskInfo = inspect(request.mask);
    if (maskInfo.format !== 'png') throw invalidValue("'mask' must be a PNG image.", 'mask');
    if (maskInfo.width !== firstInfo.width || maskInfo.height !== firstInfo.height)
      throw invalidValue(
        `'mask' is ${maskInfo.width}x${maskInfo.height} but 'image' is ${firstInfo.width}x${firstInfo.height}; they must be the same size.`,
        'mask',
      );
  } else if (firstInfo.format === 'png' && request.maskPrompt === undefined && request.editMode !== 'variation') {
    decodedFirst = decodePng(first.bytes, 'image');
    maskFromImage = hasTransparentPixel(decodedFirst);
  }

  const mode =
    request.editMode ??
    (request.mask || request.maskPrompt !== undefined || maskFromImage ? 'inpainting' : 'variation');

  if (mode !== 'variation') {
    if (request.images.length > 1)
      throw invalidValue(`${mode === 'inpainting' ? 'Inpainting' : 'Outpainting'} takes exactly one 'image'.`, 'image');
    if (!request.mask && request.maskPrompt === undefined && !maskFromImage)
      throw invalidValue(
        `${mode} needs a 'mask' file, a 'mask_prompt' describing the region, or transparent pixels in 'image'.`,
        'mask',
      );
    if (request.mask && request.maskPrompt !== undefined)
      throw invalidValue("Send either a 'mask' file or a 'mask_prompt', not both.", 'mask_prompt');
    if (mode === 'outpainting' && request.prompt.trim().length === 0)
      throw invalidValue("Outpainting needs a 'prompt'.", 'prompt');
    if (request.size !== undefined && request.size !== `${firstInfo.width}x${firstInfo.height}`)
      throw invalidValue(
        `'size' ${request.size} differs from the image (${firstInfo.width}x${firstInfo.height}); ${mode} returns images at the source size.`,
        'size',
      );
    const maskIs = mode === 'inpainting' ? 'edit-region' : 'keep-region';
    if (request.mask) maskImage = toBedrockMask(decodePng(request.mask.bytes, 'mask'), maskIs);
    else if (maskFromImage && decodedFirst) maskImage = toBedrockMask(decodedFirst, maskIs);
  } else if (request.images.length > 5) {
    throw invalidValue(`Image variation takes 1 to 5 images; got ${request.images.length}.`, 'image');
  }

  // Once transparency has become the mask, send an opaque image: Bedrock rejects or mis-reads alpha inputs.
  const sourceB64 = maskFromImage && decodedFirst ? toBase64(flattenPng(decodedFirst)) : toBase64(first.bytes);
  const size = mode === 'variation' ? sizeFor(options.kind, request.size) : undefined;
  const text = request.prompt.trim().length > 0 ? request.prompt : undefined;

  const bodies = batches(request.n, request.seed, limits).map((batch): CanvasImageRequest => {
    const imageGenerationConfig = baseConfig(request, batch, size);
    switch (mode) {
      case 'inpainting': {
        const p: InPaintingParams = { image: sourceB64 };
        if (text) p.text = text;
        if (request.negativePrompt) p.negativeText = request.negativePrompt;
        if (maskImage) p.maskImage = toBase64(maskImage);
        else p.maskPrompt = request.maskPrompt;
        return { taskType: 'INPAINTING', inPaintingParams: p, imageGenerationConfig };
      }
      case 'outpainting': {
        const p: OutPaintingParams = { image: sourceB64, text: request.prompt };
        if (request.negativePrompt) p.negativeText = request.negativePrompt;
        if (maskImage) p.maskImage = toBase64(maskImage);
        else p.maskPrompt = request.maskPrompt;
        if (request.outpaintingMode) p.outPaintingMode = request.outpaintingMode;
        return { taskType: 'OUTPAINTING', outPaintingParams: p, imageGenerationConfig };
      }
      case 'variation': {
        const p: ImageVariationParams = { images: request.images.map((img) => toBase64(img.bytes)) };
        if (text) p.text = text;
        if (request.negativePrompt) p.negativeText = request.negativePrompt;
        if (request.similarityStrength !== undefined) p.similarityStrength = request.similarityStrength;
        return { taskType: 'IMAGE_VARIATION', imageVariationParams: p, imageGenerationConfig };
      }
      default: {
        const unreachable: never = mode;
        throw new GatewayError('internal_error', `unhandled edit mode ${String(unreachable)}`);
      }
    }
  });
  checkInvokeBodySize(bodies, request.images);
  return bodies;
}

/**
 * InvokeModel takes at most 25,000,000 bytes of body and the base64 images are nearly all of it (4 bytes
 * per 3 uploaded). Bedrock answers a larger body with a 413 before reading it, so such an edit is refused
 * here with a message that says what to change. The exact size is measured only near the limit.
 */
function checkInvokeBodySize(bodies: readonly CanvasImageRequest[], images: ImageEditRequest['images']): void {
  const uploaded = images.reduce((sum, img) => sum + img.bytes.byteLength, 0);
  if ((uploaded * 4) / 3 < INVOKE_MODEL_MAX_BODY_BYTES * 0.9) return;
  for (const body of bodies) {
    const size = Buffer.byteLength(JSON.stringify(body));
    if (size > INVOKE_MODEL_MAX_BODY_BYTES)
      throw invalidValue(
        `The uploaded image(s) make a Bedrock request of ${size.toLocaleString('en-US')} bytes; InvokeModel accepts at most ${INVOKE_MODEL_MAX_BODY_BYTES.toLocaleString('en-US')} (images travel base64-encoded). Send fewer or smaller images.`,
        'image',
      );
  }
}

/** One Nova/Titan call's answer with the number of images it asked for. */
export interface CanvasImageResult {
  body: CanvasImageResponse;
  requested: number;
}

/** The OpenAI response plus how many requested images Bedrock withheld. */
export interface ImagesTranslation {
  response: ImagesResponse;
  /** Images withheld by Bedrock's moderation; the route reports it in `x-aigateway-images-filtered`. */
  filtered: number;
}

/**
 * Collects the images of all calls in order. When Bedrock's moderation withheld some images (`error`
 * set, fewer images than asked) the response carries the rest: a documented partial result. When it
 * withheld all of them the caller gets a 400 `content_policy_violation` with Bedrock's reason, never
 * an empty success.
 */
export function fromCanvasImageResponses(
  results: readonly CanvasImageResult[],
  options: { created: number },
): ImagesTranslation {
  const data: ImagesResponse['data'] = [];
  let requested = 0;
  let reason: string | undefined;
  for (const { body, requested: asked } of results) {
    requested += asked;
    for (const image of body.images ?? []) if (image) data.push({ b64_json: image });
    if (body.error) reason ??= body.error;
  }
  if (data.length === 0) {
    if (reason !== undefined)
      throw new GatewayError('content_policy_violation', `The image model withheld every image: ${reason}`, {
        param: 'prompt',
      });
    throw new GatewayError('upstream_error', 'The image model returned no images.');
  }
  return { response: { created: options.created, data }, filtered: Math.max(0, requested - data.length) };
}
