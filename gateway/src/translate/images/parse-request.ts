import {
  echo,
  GatewayError,
  invalidType,
  invalidValue,
  missingParameter,
  unsupportedValue,
} from '../../errors/index.js';
import type {
  ImageEditMode,
  ImageEditRequest,
  ImageGenerationRequest,
  UploadedImage,
} from '../../wire/openai/index.js';
import { MAX_IMAGES_PER_REQUEST } from './models.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Fields shared by JSON generation bodies and multipart edit forms. Multipart values arrive as strings,
 * so a form's numbers are parsed from text; a JSON body must send JSON numbers, as OpenAI requires
 * (`"n": "2"` is an invalid_type there too).
 */
function readNumber(value: unknown, param: string, integer: boolean, form: boolean): number | undefined {
  if (value === undefined || value === null || (form && value === '')) return undefined;
  const n = form && typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || (integer && !Number.isInteger(n)))
    throw invalidType(param, integer ? 'an integer' : 'a number');
  return n;
}

function readString(value: unknown, param: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidType(param, 'a string');
  return value;
}

/**
 * OpenAI `quality`: `standard`/`hd` (DALL·E 3) and `low`/`medium`/`high` (gpt-image) map onto Bedrock's
 * `standard`/`premium`; `auto` leaves the model default.
 */
function readQuality(value: unknown): 'standard' | 'premium' | undefined {
  const q = readString(value, 'quality');
  switch (q) {
    case undefined:
    case 'auto':
      return undefined;
    case 'standard':
    case 'low':
    case 'medium':
      return 'standard';
    case 'hd':
    case 'high':
    case 'premium':
      return 'premium';
    default:
      throw invalidValue(
        `Invalid 'quality' '${echo(q)}': expected standard, hd, low, medium, high or auto.`,
        'quality',
      );
  }
}

/**
 * Only base64 output exists: Bedrock returns image bytes, and the gateway keeps no image store to serve
 * URLs from. `url` is refused clearly instead of silently returning b64_json to a client that reads `url`.
 */
function checkResponseFormat(value: unknown): void {
  const f = readString(value, 'response_format');
  if (f === undefined || f === 'b64_json') return;
  if (f === 'url')
    throw unsupportedValue(
      'response_format',
      "'url' is not available for Bedrock image models; request 'b64_json' (the image bytes are returned inline).",
    );
  throw invalidValue(`Invalid 'response_format' '${echo(f)}': expected 'b64_json'.`, 'response_format');
}

function checkOutputFormat(value: unknown): void {
  const f = readString(value, 'output_format');
  if (f === undefined || f === 'png') return;
  throw unsupportedValue('output_format', `'${echo(f)}' is not offered; Bedrock image models return PNG.`);
}

function readN(value: unknown, form: boolean): number {
  const n = readNumber(value, 'n', true, form) ?? 1;
  if (n < 1 || n > MAX_IMAGES_PER_REQUEST)
    throw invalidValue(`Invalid 'n' ${n}: expected 1 to ${MAX_IMAGES_PER_REQUEST}.`, 'n');
  return n;
}

function readPrompt(value: unknown, required: boolean): string {
  if (value === undefined || value === null) {
    if (required) throw missingParameter('prompt');
    return '';
  }
  if (typeof value !== 'string') throw invalidType('prompt', 'a string');
  if (required && value.trim().length === 0) throw invalidValue("'prompt' must not be empty.", 'prompt');
  return value;
}

/** The optional fields common to generation and edits (OpenAI fields plus the documented extensions). */
function readCommon(src: Record<string, unknown>, form: boolean) {
  const out: {
    size?: string;
    quality?: 'standard' | 'premium';
    negativePrompt?: string;
    seed?: number;
    cfgScale?: number;
    user?: string;
  } = {};
  const size = readString(src.size, 'size');
  if (size !== undefined && size !== 'auto') out.size = size;
  const quality = readQuality(src.quality);
  if (quality) out.quality = quality;
  const negative = readString(src.negative_prompt, 'negative_prompt');
  if (negative !== undefined) {
    if (negative.length === 0) throw invalidValue("'negative_prompt' must not be empty when given.", 'negative_prompt');
    out.negativePrompt = negative;
  }
  const seed = readNumber(src.seed, 'seed', true, form);
  if (seed !== undefined) {
    if (seed < 0) throw invalidValue("'seed' must be 0 or greater.", 'seed');
    out.seed = seed;
  }
  const cfg = readNumber(src.cfg_scale, 'cfg_scale', false, form);
  if (cfg !== undefined) {
    if (cfg < 1.1 || cfg > 10) throw invalidValue(`Invalid 'cfg_scale' ${cfg}: expected 1.1 to 10.`, 'cfg_scale');
    out.cfgScale = cfg;
  }
  const user = readString(src.user, 'user');
  if (user !== undefined) out.user = user;
  checkResponseFormat(src.response_format);
  checkOutputFormat(src.output_format);
  // gpt-image's partial-image streaming has no Bedrock counterpart; a streaming client would wait for SSE.
  if (src.stream === true || src.stream === 'true')
    throw unsupportedValue('stream', 'streaming image generation is not available for Bedrock image models.');
  return out;
}

/**
 * Validates an OpenAI `/v1/images/generations` body. Extensions beyond OpenAI's fields:
 * `negative_prompt`, `seed`, `cfg_scale`. `style` keeps its raw value; OpenAI's DALL·E 3 `vivid`/`natural`
 * have no Bedrock counterpart and are dropped, anything else is checked per model by the translator.
 */
export function parseImageGenerationRequest(body: unknown): ImageGenerationRequest {
  if (!isRecord(body)) throw new GatewayError('invalid_request', 'The request body must be a JSON object.');
  const model = readString(body.model, 'model');
  if (model === undefined) throw missingParameter('model');
  if (model.length === 0) throw invalidType('model', 'a non-empty string');
  const request: ImageGenerationRequest = {
    model,
    prompt: readPrompt(body.prompt, true),
    n: readN(body.n, false),
    ...readCommon(body, false),
  };
  const style = readString(body.style, 'style');
  if (style !== undefined && style !== 'vivid' && style !== 'natural') request.style = style;
  return request;
}

const EDIT_MODES: readonly ImageEditMode[] = ['inpainting', 'outpainting', 'variation'];

/**
 * Validates an OpenAI `/v1/images/edits` multipart form. `image` (or `image[]`, several for variations)
 * and `mask` are files; the rest are text fields. Extensions: `mask_prompt`, `edit_mode`
 * (`inpainting` | `outpainting` | `variation`), `similarity_strength`, `outpainting_mode`, plus the
 * generation extensions.
 */
export function parseImageEditRequest(
  fields: Record<string, unknown>,
  files: readonly UploadedImage[],
): ImageEditRequest {
  const model = readString(fields.model, 'model');
  if (model === undefined || model.length === 0) throw missingParameter('model');
  const images = files.filter((f) => f.field === 'image' || /^image\[\d*\]$/.test(f.field));
  const masks = files.filter((f) => f.field === 'mask');
  const others = files.filter((f) => !images.includes(f) && !masks.includes(f));
  if (others.length > 0)
    throw invalidValue(
      `Unexpected file field '${echo(others[0]?.field)}': only 'image' and 'mask' take files.`,
      others[0]?.field ?? 'image',
    );
  if (images.length === 0) throw missingParameter('image');
  if (masks.length > 1) throw invalidValue("Only one 'mask' file may be sent.", 'mask');
  const request: ImageEditRequest = {
    model,
    prompt: readPrompt(fields.prompt, false),
    images,
    n: readN(fields.n, true),
    ...readCommon(fields, true),
  };
  if (masks[0]) request.mask = masks[0];
  const maskPrompt = readString(fields.mask_prompt, 'mask_prompt');
  if (maskPrompt !== undefined && maskPrompt.length > 0) request.maskPrompt = maskPrompt;
  const mode = readString(fields.edit_mode, 'edit_mode');
  if (mode !== undefined) {
    if (!(EDIT_MODES as readonly string[]).includes(mode))
      throw invalidValue(`Invalid 'edit_mode' '${echo(mode)}': expected ${EDIT_MODES.join(', ')}.`, 'edit_mode');
    request.editMode = mode as ImageEditMode;
  }
  const similarity = readNumber(fields.similarity_strength, 'similarity_strength', false, true);
  if (similarity !== undefined) {
    if (similarity < 0.2 || similarity > 1)
      throw invalidValue(`Invalid 'similarity_strength' ${similarity}: expected 0.2 to 1.0.`, 'similarity_strength');
    request.similarityStrength = similarity;
  }
  const outMode = readString(fields.outpainting_mode, 'outpainting_mode');
  if (outMode !== undefined) {
    if (outMode !== 'DEFAULT' && outMode !== 'PRECISE')
      throw invalidValue(
        `Invalid 'outpainting_mode' '${echo(outMode)}': expected DEFAULT or PRECISE.`,
        'outpainting_mode',
      );
    request.outpaintingMode = outMode;
  }
  return request;
}
