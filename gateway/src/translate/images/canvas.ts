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
import runEditPixelJob, {
  type EditPixelJob,
  type EditPixelResult,
  type MaskRole,
  type PixelProblem,
  pngMayBeTransparent,
} from './edit-pixels.js';
import { type ImageInfo, readImageInfo, toBase64 } from './image-bytes.js';
import { CANVAS_LIMITS, type CanvasLimits, type ImageModelKind, INVOKE_MODEL_MAX_BODY_BYTES } from './models.js';
import {
  CANVAS_INPUT_LIMITS,
  type ImageSize,
  type InputImageLimits,
  inputImageProblem,
  novaCanvasSize,
  titanImageSize,
} from './sizes.js';

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

/** Format and size from the header, refused before any decoding when the model (or the gateway) cannot take it. */
function inspect(file: { bytes: Uint8Array; field: string }, limits: InputImageLimits, maxPixels: number): ImageInfo {
  const param = file.field.replace(/\[\d*\]$/, '');
  if (file.bytes.byteLength > MAX_INPUT_IMAGE_BYTES)
    throw invalidValue(`'${echo(file.field)}' is larger than 10 MB.`, param);
  if (limits.maxBytes !== undefined && file.bytes.byteLength > limits.maxBytes)
    throw invalidValue(
      `'${echo(file.field)}' is ${(file.bytes.byteLength / (1024 * 1024)).toFixed(1)} MB; ${limits.label} accepts input images up to ${limits.maxBytes / (1024 * 1024)} MB.`,
      param,
    );
  const info = readImageInfo(file.bytes);
  if (!info) throw invalidValue(`'${echo(file.field)}' must be a PNG or JPEG image.`, param);
  const problem = inputImageProblem(info, limits, maxPixels);
  if (problem) throw invalidValue(`'${echo(file.field)}' ${problem}.`, param);
  return info;
}

export type EditMode = NonNullable<ImageEditRequest['editMode']>;

/**
 * An edit checked from the form and the image headers alone, and the pixel work it still needs (none
 * for variations, mask prompts and opaque sources). The server runs `pixelJob` in a worker thread and
 * hands its result to {@link buildCanvasEditRequests}.
 */
export interface CanvasEditPlan {
  readonly request: ImageEditRequest;
  readonly kind: CanvasModelKind;
  readonly firstInfo: ImageInfo;
  /** The task when the headers decide it; undefined when the source's transparency does. */
  readonly mode: EditMode | undefined;
  readonly pixelJob: EditPixelJob | undefined;
}

/** Options of {@link planCanvasEdit}. */
export interface CanvasEditOptions {
  kind: CanvasModelKind;
  /** The gateway's cap on decoded images, pixels (never above the model's own bound). Default: the model's. */
  maxPixels?: number;
}

/**
 * Checks an edit for Nova Canvas / Titan Image Generator from the form and the images' headers: every
 * 400 that needs no pixels is raised here, before anything is decoded. The task:
 * - `edit_mode` when given; else INPAINTING when there is a mask, a `mask_prompt`, or transparent pixels in a
 *   PNG `image` (OpenAI's DALL·E 2 rule: without a mask the image's own transparency is the mask); else
 *   IMAGE_VARIATION of the uploaded image(s) guided by the prompt.
 * - Masks follow OpenAI's convention (transparent = change) and are converted to Bedrock's opaque
 *   black/white PNG (`toBedrockMask` in edit-pixels.ts).
 * - INPAINTING/OUTPAINTING keep the source size (Bedrock returns the input's dimensions), so `size` must be
 *   absent, `auto` or equal to it; IMAGE_VARIATION honours `size` under the model's size rules.
 */
export function planCanvasEdit(request: ImageEditRequest, options: CanvasEditOptions): CanvasEditPlan {
  const limits = CANVAS_LIMITS[options.kind];
  const inputLimits = CANVAS_INPUT_LIMITS[options.kind];
  const maxPixels = Math.min(options.maxPixels ?? inputLimits.maxPixels, inputLimits.maxPixels);
  checkText(request.prompt || undefined, 'prompt', limits);
  checkText(request.negativePrompt, 'negative_prompt', limits);
  checkText(request.maskPrompt, 'mask_prompt', limits);
  checkSeed(request.seed, limits);
  const infos = request.images.map((img) => inspect(img, inputLimits, maxPixels));
  const first = request.images[0];
  const firstInfo = infos[0];
  if (!first || !firstInfo) throw invalidValue("'image' is required.", 'image');
  // Outpainting keeps what the black mask covers; inpainting (and a mask taken from transparency) changes it.
  const maskIs: MaskRole = request.editMode === 'outpainting' ? 'keep-region' : 'edit-region';

  let mode: EditMode | undefined;
  let pixelJob: EditPixelJob | undefined;
  if (request.mask) {
    const maskInfo = inspect(request.mask, inputLimits, maxPixels);
    if (maskInfo.format !== 'png') throw invalidValue("'mask' must be a PNG image.", 'mask');
    if (maskInfo.width !== firstInfo.width || maskInfo.height !== firstInfo.height)
      throw invalidValue(
        `'mask' is ${maskInfo.width}x${maskInfo.height} but 'image' is ${firstInfo.width}x${firstInfo.height}; they must be the same size.`,
        'mask',
      );
    mode = request.editMode ?? 'inpainting';
    if (mode !== 'variation') pixelJob = { op: 'mask', mask: request.mask.bytes, maskIs, maxPixels };
  } else if (
    firstInfo.format === 'png' &&
    request.maskPrompt === undefined &&
    request.editMode !== 'variation' &&
    pngMayBeTransparent(first.bytes)
  ) {
    mode = request.editMode;
    pixelJob = { op: 'alpha', image: first.bytes, maskIs, maxPixels };
  } else {
    mode = request.editMode ?? (request.maskPrompt !== undefined ? 'inpainting' : 'variation');
  }
  // Refuse what the headers already decide before any pixel work is queued.
  if (mode !== undefined) checkEditMode(mode, request, firstInfo, pixelJob?.op === 'alpha' ? 'unknown' : false);
  if (mode === 'variation') sizeFor(options.kind, request.size);
  return { request, kind: options.kind, firstInfo, mode, pixelJob };
}

/** The 400s that depend on the task; `maskFromImage` is 'unknown' until the source's pixels were read. */
function checkEditMode(
  mode: EditMode,
  request: ImageEditRequest,
  firstInfo: ImageInfo,
  maskFromImage: boolean | 'unknown',
): void {
  if (mode === 'variation') {
    if (request.images.length > 5)
      throw invalidValue(`Image variation takes 1 to 5 images; got ${request.images.length}.`, 'image');
    return;
  }
  if (request.images.length > 1)
    throw invalidValue(`${mode === 'inpainting' ? 'Inpainting' : 'Outpainting'} takes exactly one 'image'.`, 'image');
  if (!request.mask && request.maskPrompt === undefined && maskFromImage === false)
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
}

function pixelProblem(problem: PixelProblem, param: string): GatewayError {
  return problem === 'too-many-pixels'
    ? invalidValue(`'${param}' has more pixels than this gateway processes.`, param)
    : invalidValue(`'${param}' is not a readable PNG image.`, param);
}

/**
 * The InvokeModel bodies of a planned edit, one per batch of ≤ 5 images, given the result of its pixel
 * job (undefined when the plan has none).
 */
export function buildCanvasEditRequests(
  plan: CanvasEditPlan,
  pixels: EditPixelResult | undefined,
): CanvasImageRequest[] {
  const { request, firstInfo, pixelJob } = plan;
  const limits = CANVAS_LIMITS[plan.kind];
  const first = request.images[0] as ImageEditRequest['images'][number];
  if (pixelJob && !pixels) throw new GatewayError('internal_error', 'the pixel work of the edit did not run');
  if (pixels && !pixels.ok) throw pixelProblem(pixels.problem, pixelJob?.op === 'mask' ? 'mask' : 'image');

  let maskImage: Uint8Array | undefined;
  let source = first.bytes;
  let maskFromImage = false;
  if (pixels?.op === 'mask') maskImage = pixels.mask;
  else if (pixels?.op === 'alpha' && pixels.transparent) {
    maskFromImage = true;
    maskImage = pixels.mask;
    // Once transparency has become the mask, send an opaque image: Bedrock rejects or mis-reads alpha inputs.
    source = pixels.image;
  }
  const mode = plan.mode ?? (maskFromImage ? 'inpainting' : 'variation');
  checkEditMode(mode, request, firstInfo, maskFromImage);
  if (mode === 'variation') {
    maskImage = undefined;
    source = first.bytes;
  }

  const sourceB64 = toBase64(source);
  const size = mode === 'variation' ? sizeFor(plan.kind, request.size) : undefined;
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
 * {@link planCanvasEdit} and {@link buildCanvasEditRequests} with the pixel work done on the calling
 * thread: for tests and small trusted inputs. The server runs the pixel job in its worker threads instead.
 */
export function toCanvasEditRequests(request: ImageEditRequest, options: CanvasEditOptions): CanvasImageRequest[] {
  const plan = planCanvasEdit(request, options);
  return buildCanvasEditRequests(plan, plan.pixelJob ? runEditPixelJob(plan.pixelJob) : undefined);
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
