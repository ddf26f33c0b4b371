/**
 * Amazon Titan Image Generator v1/v2 InvokeModel bodies; see canvas-envelope.ts. v1 lacks colour-guided
 * generation, background removal and image conditioning; both take only the fixed size list.
 */
import { TITAN_IMAGE_SIZES } from '../catalog.js';
import { type CanvasRules, handleCanvasBody } from './canvas-envelope.js';
import type { InvokeHandler } from './types.js';

function titanSizeProblem(width: number, height: number): string | undefined {
  return TITAN_IMAGE_SIZES.includes(`${width}x${height}`)
    ? undefined
    : `The provided image dimensions ${width}x${height} are not supported. Supported sizes: ${TITAN_IMAGE_SIZES.join(', ')}.`;
}

const COMMON = {
  maxText: 512,
  maxSeed: 2_147_483_646,
  defaultSeed: 42,
  styles: undefined,
  checkSize: titanSizeProblem,
  alwaysWriteError: true,
} as const;

export const TITAN_IMAGE_V1_RULES: CanvasRules = {
  ...COMMON,
  label: 'Titan Image Generator v1',
  taskTypes: ['TEXT_IMAGE', 'INPAINTING', 'OUTPAINTING', 'IMAGE_VARIATION'],
  conditioning: false,
};

export const TITAN_IMAGE_V2_RULES: CanvasRules = {
  ...COMMON,
  label: 'Titan Image Generator v2',
  taskTypes: [
    'TEXT_IMAGE',
    'INPAINTING',
    'OUTPAINTING',
    'IMAGE_VARIATION',
    'COLOR_GUIDED_GENERATION',
    'BACKGROUND_REMOVAL',
  ],
  conditioning: true,
};

export const titanImageHandler: InvokeHandler = (body, ctx) =>
  handleCanvasBody(body, ctx.foundationModelId.includes('-v2') ? TITAN_IMAGE_V2_RULES : TITAN_IMAGE_V1_RULES);
