/**
 * InvokeModel bodies of Bedrock's image models (types only).
 * Sources: Nova user guide `image-gen-req-resp-structure`, Bedrock user guide `model-parameters-titan-image`
 * and the Stability `model-parameters-diffusion-*` pages.
 */

/** Nova Canvas and Titan Image Generator share this envelope. */
export interface ImageGenerationConfig {
  width?: number;
  height?: number;
  quality?: 'standard' | 'premium';
  cfgScale?: number;
  seed?: number;
  numberOfImages?: number;
}

/** Nova Canvas `textToImageParams.style` presets (Nova user guide, "Visual Styles"). */
export const NOVA_CANVAS_STYLES = [
  '3D_ANIMATED_FAMILY_FILM',
  'DESIGN_SKETCH',
  'FLAT_VECTOR_ILLUSTRATION',
  'GRAPHIC_NOVEL_ILLUSTRATION',
  'MAXIMALISM',
  'MIDCENTURY_RETRO',
  'PHOTOREALISM',
  'SOFT_DIGITAL_PAINTING',
] as const;
export type NovaCanvasStyle = (typeof NOVA_CANVAS_STYLES)[number];

export interface TextToImageParams {
  text: string;
  negativeText?: string;
  /** Nova Canvas only. */
  style?: NovaCanvasStyle;
}

export interface InPaintingParams {
  /** Base64 PNG/JPEG. */
  image: string;
  text?: string;
  negativeText?: string;
  /** Exactly one of `maskPrompt` / `maskImage`; a mask image is black (edit) on white (keep). */
  maskPrompt?: string;
  maskImage?: string;
}

export interface OutPaintingParams {
  image: string;
  text: string;
  negativeText?: string;
  maskPrompt?: string;
  maskImage?: string;
  outPaintingMode?: 'DEFAULT' | 'PRECISE';
}

export interface ImageVariationParams {
  images: string[];
  text?: string;
  negativeText?: string;
  similarityStrength?: number;
}

/** The task bodies the gateway sends to Nova Canvas / Titan Image Generator. */
export type CanvasImageRequest =
  | { taskType: 'TEXT_IMAGE'; textToImageParams: TextToImageParams; imageGenerationConfig?: ImageGenerationConfig }
  | { taskType: 'INPAINTING'; inPaintingParams: InPaintingParams; imageGenerationConfig?: ImageGenerationConfig }
  | { taskType: 'OUTPAINTING'; outPaintingParams: OutPaintingParams; imageGenerationConfig?: ImageGenerationConfig }
  | {
      taskType: 'IMAGE_VARIATION';
      imageVariationParams: ImageVariationParams;
      imageGenerationConfig?: ImageGenerationConfig;
    };

/** `error` is set when Bedrock withheld some or all outputs (content moderation). */
export interface CanvasImageResponse {
  images?: string[];
  error?: string | null;
}

/** Stability aspect ratios accepted by Bedrock's SD3 / Stable Image Core / Ultra bodies. */
export const STABILITY_ASPECT_RATIOS = ['16:9', '1:1', '21:9', '2:3', '3:2', '4:5', '5:4', '9:16', '9:21'] as const;
export type StabilityAspectRatio = (typeof STABILITY_ASPECT_RATIOS)[number];

export interface StabilityImageRequest {
  prompt: string;
  negative_prompt?: string;
  aspect_ratio?: StabilityAspectRatio;
  /** 0–4,294,967,294; 0 = random. */
  seed?: number;
  output_format?: 'png' | 'jpeg';
  /** SD3.x only. */
  mode?: 'text-to-image';
}

/** One image per call; a filtered call may carry only `finish_reasons`. */
export interface StabilityImageResponse {
  seeds?: number[];
  finish_reasons?: Array<string | null>;
  images?: string[];
}
