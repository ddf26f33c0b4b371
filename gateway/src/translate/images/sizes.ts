import { echo, invalidValue } from '../../errors/index.js';
import { STABILITY_ASPECT_RATIOS, type StabilityAspectRatio } from '../../wire/bedrock/index.js';

export interface ImageSize {
  width: number;
  height: number;
}

/** Titan Image Generator's accepted width×height pairs (Bedrock user guide, model-parameters-titan-image). */
export const TITAN_IMAGE_SIZES = [
  '1024x1024',
  '768x768',
  '512x512',
  '768x1152',
  '384x576',
  '1152x768',
  '576x384',
  '768x1280',
  '384x640',
  '1280x768',
  '640x384',
  '896x1152',
  '448x576',
  '1152x896',
  '576x448',
  '768x1408',
  '384x704',
  '1408x768',
  '704x384',
  '640x1408',
  '320x704',
  '1408x640',
  '704x320',
  '1152x640',
  '1173x640',
] as const;

/** Nova Canvas bounds (Nova user guide, image-gen-access): sides 320–4096 in steps of 16, 1:4..4:1, ≤ 4.19 MP. */
export const NOVA_MIN_SIDE = 320;
export const NOVA_MAX_SIDE = 4096;
export const NOVA_MAX_PIXELS = 4_194_304;

/**
 * OpenAI sizes with no exact Stability ratio, mapped to the nearest one (1792×1024 is 1.75:1, 16:9 is 1.78:1)
 * so the DALL·E 3 landscape/portrait sizes in existing code keep working.
 */
const STABILITY_NEAR_SIZES: Readonly<Record<string, StabilityAspectRatio>> = {
  '1792x1024': '16:9',
  '1024x1792': '9:16',
};

const SIZE_RE = /^([1-9]\d{0,4})x([1-9]\d{0,4})$/;

/** `auto` and absence both mean "the model's default". */
function isDefault(size: string | undefined): size is undefined {
  return size === undefined || size === 'auto';
}

function parseWxH(size: string, hint: string): ImageSize {
  const m = SIZE_RE.exec(size);
  if (!m)
    throw invalidValue(
      `Invalid 'size' '${echo(size)}': expected WIDTHxHEIGHT in pixels, e.g. 1024x1024. ${hint}`,
      'size',
    );
  return { width: Number(m[1]), height: Number(m[2]) };
}

/** Nova Canvas `size` → width/height, checking every documented bound; default 1024×1024. */
export function novaCanvasSize(size: string | undefined): ImageSize {
  if (isDefault(size)) return { width: 1024, height: 1024 };
  const hint =
    'Nova Canvas accepts widths and heights from 320 to 4096 that are multiples of 16, an aspect ratio between 1:4 and 4:1 and at most 4,194,304 pixels.';
  const s = parseWxH(size, hint);
  const problems: string[] = [];
  for (const [name, v] of [
    ['width', s.width],
    ['height', s.height],
  ] as const) {
    if (v < NOVA_MIN_SIDE || v > NOVA_MAX_SIDE) problems.push(`${name} ${v} is outside 320–4096`);
    else if (v % 16 !== 0) problems.push(`${name} ${v} is not a multiple of 16`);
  }
  if (problems.length === 0) {
    if (s.width > 4 * s.height || s.height > 4 * s.width) problems.push('the aspect ratio is beyond 1:4 or 4:1');
    else if (s.width * s.height > NOVA_MAX_PIXELS) problems.push(`${s.width * s.height} pixels exceed 4,194,304`);
  }
  if (problems.length > 0)
    throw invalidValue(`Invalid 'size' '${echo(size)}' for Nova Canvas: ${problems.join('; ')}. ${hint}`, 'size');
  return s;
}

/** Titan Image Generator `size` → width/height from its fixed list; default 1024×1024. */
export function titanImageSize(size: string | undefined): ImageSize {
  if (isDefault(size)) return { width: 1024, height: 1024 };
  if (!(TITAN_IMAGE_SIZES as readonly string[]).includes(size))
    throw invalidValue(
      `Invalid 'size' '${echo(size)}' for Titan Image Generator. Valid sizes: ${TITAN_IMAGE_SIZES.join(', ')}.`,
      'size',
    );
  return parseWxH(size, '');
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * Stability models take an `aspect_ratio`, not pixels. A `WxH` size maps to the ratio it reduces to
 * (1024x1024 → 1:1, 1536x1024 → 3:2, ...), the two DALL·E 3 sizes map to 16:9 / 9:16, and an aspect ratio
 * itself (`16:9`) is accepted as `size` too. Anything else is a 400 listing what works.
 */
export function stabilityAspectRatio(size: string | undefined): StabilityAspectRatio | undefined {
  if (isDefault(size)) return undefined;
  if ((STABILITY_ASPECT_RATIOS as readonly string[]).includes(size)) return size as StabilityAspectRatio;
  const near = STABILITY_NEAR_SIZES[size];
  if (near) return near;
  const m = SIZE_RE.exec(size);
  if (m) {
    const w = Number(m[1]);
    const h = Number(m[2]);
    const g = gcd(w, h);
    const ratio = `${w / g}:${h / g}`;
    if ((STABILITY_ASPECT_RATIOS as readonly string[]).includes(ratio)) return ratio as StabilityAspectRatio;
  }
  throw invalidValue(
    `Invalid 'size' '${echo(size)}' for Stability models, which take an aspect ratio. Use one of ${STABILITY_ASPECT_RATIOS.join(', ')} (as 'size' itself or as a WIDTHxHEIGHT with that ratio, e.g. 1024x1024, 1536x1024), or 1792x1024 / 1024x1792.`,
    'size',
  );
}

/** Titan Image Generator's largest input image (Bedrock user guide, titan-image-models: "Max input image size – 5 MB"). */
const TITAN_MAX_INPUT_BYTES = 5 * 1024 * 1024;

/** The largest input image of an edit, per model family, before the gateway decodes anything. */
export interface InputImageLimits {
  /** Longest side, pixels. */
  maxSide: number;
  /** Width × height, pixels. */
  maxPixels: number;
  /** Largest file, bytes, where the model documents one. */
  maxBytes?: number;
  label: string;
}

/**
 * Input images of Nova Canvas follow its resolution rules (Nova user guide, image-gen-access: "Input
 * images for image generation" points to "Supported image resolutions"): sides up to 4096 and at most
 * 4,194,304 pixels. Titan Image Generator documents no larger input (its outputs stop at 1408 px a
 * side), so the same bounds apply, plus its documented 5 MB per file; Bedrock's own finer rules (multiples of 16, Titan's fixed sizes) are
 * left to Bedrock, as they cost nothing to check there.
 */
export const CANVAS_INPUT_LIMITS: Readonly<
  Record<'nova-canvas' | 'titan-image-v1' | 'titan-image-v2', InputImageLimits>
> = {
  'nova-canvas': { maxSide: NOVA_MAX_SIDE, maxPixels: NOVA_MAX_PIXELS, label: 'Nova Canvas' },
  'titan-image-v1': {
    maxSide: NOVA_MAX_SIDE,
    maxPixels: NOVA_MAX_PIXELS,
    maxBytes: TITAN_MAX_INPUT_BYTES,
    label: 'Titan Image Generator v1',
  },
  'titan-image-v2': {
    maxSide: NOVA_MAX_SIDE,
    maxPixels: NOVA_MAX_PIXELS,
    maxBytes: TITAN_MAX_INPUT_BYTES,
    label: 'Titan Image Generator v2',
  },
};

/**
 * Why an input image of `width`×`height` cannot be sent (the model's bounds, or the gateway's own pixel
 * cap when that is lower), or undefined when it can. Reads only the header's numbers.
 */
export function inputImageProblem(
  size: ImageSize,
  limits: InputImageLimits,
  gatewayMaxPixels: number,
): string | undefined {
  const { width, height } = size;
  if (width === 0 || height === 0) return `is ${width}x${height} pixels: not an image`;
  if (width > limits.maxSide || height > limits.maxSide)
    return `is ${width}x${height} pixels; ${limits.label} accepts input images up to ${limits.maxSide} pixels a side and ${limits.maxPixels.toLocaleString('en-US')} pixels in total`;
  if (width * height > limits.maxPixels)
    return `is ${width}x${height} = ${(width * height).toLocaleString('en-US')} pixels; ${limits.label} accepts input images of at most ${limits.maxPixels.toLocaleString('en-US')} pixels`;
  if (width * height > gatewayMaxPixels)
    return `is ${width}x${height} = ${(width * height).toLocaleString('en-US')} pixels; this gateway processes images of at most ${gatewayMaxPixels.toLocaleString('en-US')} pixels`;
  return undefined;
}
