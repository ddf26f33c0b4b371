/**
 * Stability AI text-to-image bodies on Bedrock (SD3 Large, SD3.5 Large, Stable Image Core and Ultra;
 * Bedrock user guide model-parameters-diffusion-*): flat snake_case JSON, one image per call.
 *
 * Emulator directives in `prompt` (docs/embeddings-and-images.md):
 * - `[[filter:all]]`: the output is withheld (`finish_reasons: ["Filter reason: output image"]`, no image).
 * - `[[filter:odd-seeds]]`: withheld only when the call's seed is odd (partial results across calls).
 * - `[[inference-error]]`: `finish_reasons: ["Inference error"]`.
 */
import { digest, directive, integer, keys, malformed, number, object, oneOf, prng, string } from './body-checks.js';
import { colourFor, readInputImage, solidPng } from './render.js';
import type { InvokeHandler } from './types.js';

const ASPECT: Readonly<Record<string, readonly [number, number]>> = {
  '16:9': [1344, 768],
  '1:1': [1024, 1024],
  '21:9': [1536, 640],
  '2:3': [832, 1248],
  '3:2': [1248, 832],
  '4:5': [896, 1120],
  '5:4': [1120, 896],
  '9:16': [768, 1344],
  '9:21': [640, 1536],
};
const MAX_SEED = 4_294_967_294;

export const stabilityHandler: InvokeHandler = (raw, ctx) => {
  const body = object(raw, '#');
  const sd3 = ctx.foundationModelId.startsWith('stability.sd3');
  const allowed = ['prompt', 'negative_prompt', 'aspect_ratio', 'seed', 'output_format'];
  if (sd3) allowed.push('mode', 'image', 'strength');
  keys(body, '#', allowed, ['prompt']);
  const prompt = string(body.prompt, '#/prompt', 1, 10_000);
  if (body.negative_prompt !== undefined) string(body.negative_prompt, '#/negative_prompt', 0, 10_000);
  const mode =
    body.mode === undefined ? 'text-to-image' : oneOf(body.mode, '#/mode', ['text-to-image', 'image-to-image']);
  if (body.output_format !== undefined) oneOf(body.output_format, '#/output_format', ['png', 'jpeg']);
  let [width, height] = ASPECT['1:1'] as readonly [number, number];
  if (body.aspect_ratio !== undefined) {
    // aspect_ratio applies to text-to-image only.
    if (mode === 'image-to-image') malformed('#', 'extraneous key [aspect_ratio] is not permitted');
    [width, height] = ASPECT[oneOf(body.aspect_ratio, '#/aspect_ratio', Object.keys(ASPECT))] as readonly [
      number,
      number,
    ];
  }
  if (mode === 'image-to-image') {
    keys(body, '#', allowed, ['image', 'strength']);
    const img = readInputImage(string(body.image, '#/image'), '#/image');
    width = img.width;
    height = img.height;
    number(body.strength, '#/strength', 0, 1);
  }
  let seed = body.seed === undefined ? 0 : integer(body.seed, '#/seed', 0, MAX_SEED);
  // 0 means "random": derive one from the prompt so the emulator stays deterministic.
  if (seed === 0) seed = Math.floor(prng(digest('stability-seed', prompt))() * MAX_SEED) + 1;

  if (directive(prompt, 'inference-error') !== undefined)
    return { body: { seeds: [seed], finish_reasons: ['Inference error'], images: [] } };
  const filter = directive(prompt, 'filter');
  if (filter === 'all' || (filter === 'odd-seeds' && seed % 2 === 1))
    return { body: { seeds: [seed], finish_reasons: ['Filter reason: output image'] } };
  const image = solidPng(width, height, colourFor('stability', ctx.foundationModelId, prompt, seed));
  return { body: { seeds: [seed], finish_reasons: [null], images: [image] } };
};
