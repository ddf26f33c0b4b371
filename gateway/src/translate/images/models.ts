/** The InvokeModel body dialect of an image model, from its foundation model id. */
export type ImageModelKind = 'nova-canvas' | 'titan-image-v1' | 'titan-image-v2' | 'stability';

/** Foundation ids the gateway translates for (Bedrock model catalog). */
export const IMAGE_MODELS: Readonly<Record<string, ImageModelKind>> = {
  'amazon.nova-canvas-v1:0': 'nova-canvas',
  'amazon.titan-image-generator-v1': 'titan-image-v1',
  'amazon.titan-image-generator-v1:0': 'titan-image-v1',
  'amazon.titan-image-generator-v2:0': 'titan-image-v2',
  'stability.sd3-large-v1:0': 'stability',
  'stability.sd3-5-large-v1:0': 'stability',
  'stability.stable-image-core-v1:0': 'stability',
  'stability.stable-image-core-v1:1': 'stability',
  'stability.stable-image-ultra-v1:0': 'stability',
  'stability.stable-image-ultra-v1:1': 'stability',
};

/** Resolves a foundation model id to its body dialect; undefined for models with other bodies (e.g. SDXL). */
export function imageModelKind(foundationModelId: string | undefined): ImageModelKind | undefined {
  return foundationModelId === undefined ? undefined : IMAGE_MODELS[foundationModelId];
}

/** Models that can serve `/v1/images/edits`, for error messages. */
export const EDIT_CAPABLE_MODELS =
  'Amazon Nova Canvas (amazon.nova-canvas-v1:0) and Amazon Titan Image Generator (amazon.titan-image-generator-v1, amazon.titan-image-generator-v2:0)';

/** Per-call and per-prompt limits of the Nova Canvas / Titan envelope (bedrock-wire.md §6.3–6.4). */
export interface CanvasLimits {
  maxText: number;
  maxSeed: number;
  maxImagesPerCall: number;
  label: string;
}

export const CANVAS_LIMITS: Readonly<Record<Exclude<ImageModelKind, 'stability'>, CanvasLimits>> = {
  'nova-canvas': { maxText: 1024, maxSeed: 858_993_459, maxImagesPerCall: 5, label: 'Nova Canvas' },
  'titan-image-v1': { maxText: 512, maxSeed: 2_147_483_646, maxImagesPerCall: 5, label: 'Titan Image Generator v1' },
  'titan-image-v2': { maxText: 512, maxSeed: 2_147_483_646, maxImagesPerCall: 5, label: 'Titan Image Generator v2' },
};

/** Stability seeds: 0–4,294,967,294 where 0 means random. */
export const STABILITY_MAX_SEED = 4_294_967_294;
export const STABILITY_MAX_PROMPT = 10_000;
/** Largest InvokeModel request body Bedrock accepts, bytes (bedrock-wire.md §6). */
export const INVOKE_MODEL_MAX_BODY_BYTES = 25_000_000;
/** OpenAI's own bound on `n`. */
export const MAX_IMAGES_PER_REQUEST = 10;
