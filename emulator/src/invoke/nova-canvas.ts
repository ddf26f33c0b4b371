/** Amazon Nova Canvas (`amazon.nova-canvas-v1:0`) InvokeModel bodies; see canvas-envelope.ts. */
import { type CanvasRules, handleCanvasBody } from './canvas-envelope.js';
import type { InvokeHandler } from './types.js';

/** Nova user guide, image-gen-access: sides 320–4096 divisible by 16, ratio 1:4..4:1, ≤ 4,194,304 pixels. */
export function novaSizeProblem(width: number, height: number): string | undefined {
  if (width % 16 !== 0 || height % 16 !== 0)
    return `Invalid image dimensions ${width}x${height}: width and height must be divisible by 16.`;
  if (width > 4 * height || height > 4 * width)
    return `Invalid image dimensions ${width}x${height}: the aspect ratio must be between 1:4 and 4:1.`;
  if (width * height > 4_194_304)
    return `Invalid image dimensions ${width}x${height}: the total pixel count must not exceed 4,194,304.`;
  return undefined;
}

export const NOVA_CANVAS_RULES: CanvasRules = {
  label: 'Nova Canvas',
  taskTypes: [
    'TEXT_IMAGE',
    'COLOR_GUIDED_GENERATION',
    'IMAGE_VARIATION',
    'INPAINTING',
    'OUTPAINTING',
    'BACKGROUND_REMOVAL',
  ],
  maxText: 1024,
  maxSeed: 858_993_459,
  defaultSeed: 12,
  styles: [
    '3D_ANIMATED_FAMILY_FILM',
    'DESIGN_SKETCH',
    'FLAT_VECTOR_ILLUSTRATION',
    'GRAPHIC_NOVEL_ILLUSTRATION',
    'MAXIMALISM',
    'MIDCENTURY_RETRO',
    'PHOTOREALISM',
    'SOFT_DIGITAL_PAINTING',
  ],
  conditioning: true,
  checkSize: novaSizeProblem,
  alwaysWriteError: false,
};

export const novaCanvasHandler: InvokeHandler = (body) => handleCanvasBody(body, NOVA_CANVAS_RULES);
