/** OpenAI `/v1/images/generations` and `/v1/images/edits` shapes (types only). */

/** A validated image-generation request. */
export interface ImageGenerationRequest {
  model: string;
  prompt: string;
  n: number;
  /** Raw `size` as sent (`WxH`, a Stability aspect ratio, or undefined for `auto`/absent). */
  size?: string;
  /** `standard` or `premium` after mapping OpenAI's `standard`/`hd` (and gpt-image's `low|medium|high`). */
  quality?: 'standard' | 'premium';
  /** A model-specific style preset; OpenAI's `vivid`/`natural` are dropped at parse time. */
  style?: string;
  /** Extension: what the image should not contain. */
  negativePrompt?: string;
  /** Extension: seed for reproducible output. */
  seed?: number;
  /** Extension: prompt adherence (Nova/Titan `cfgScale`). */
  cfgScale?: number;
  user?: string;
}

/** One uploaded file of a multipart request. */
export interface UploadedImage {
  /** Multipart field name (`image`, `image[]`, `mask`). */
  field: string;
  filename?: string;
  contentType?: string;
  bytes: Uint8Array;
}

export type ImageEditMode = 'inpainting' | 'outpainting' | 'variation';

/** A validated image-edit request (multipart form fields + files). */
export interface ImageEditRequest {
  model: string;
  prompt: string;
  images: UploadedImage[];
  mask?: UploadedImage;
  n: number;
  size?: string;
  quality?: 'standard' | 'premium';
  negativePrompt?: string;
  seed?: number;
  cfgScale?: number;
  /** Extension: describe the region to edit instead of sending a mask (Nova/Titan `maskPrompt`). */
  maskPrompt?: string;
  /** Extension: force a task; default inferred (mask → inpainting, else variation). */
  editMode?: ImageEditMode;
  /** Extension: IMAGE_VARIATION `similarityStrength` 0.2–1.0. */
  similarityStrength?: number;
  /** Extension: OUTPAINTING `outPaintingMode`. */
  outpaintingMode?: 'DEFAULT' | 'PRECISE';
  user?: string;
}

export interface ImageObject {
  b64_json: string;
  revised_prompt?: string;
}

export interface ImagesResponse {
  created: number;
  data: ImageObject[];
  output_format?: 'png' | 'jpeg';
  size?: string;
  quality?: string;
}
