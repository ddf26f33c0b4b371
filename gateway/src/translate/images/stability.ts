import { GatewayError, invalidValue, unsupportedParameter } from '../../errors/index.js';
import type { StabilityImageRequest, StabilityImageResponse } from '../../wire/bedrock/index.js';
import type { ImageGenerationRequest } from '../../wire/openai/index.js';
import type { ImagesTranslation } from './canvas.js';
import { STABILITY_MAX_PROMPT, STABILITY_MAX_SEED } from './models.js';
import { stabilityAspectRatio } from './sizes.js';

/**
 * Stability bodies: one image per call, so `n` fans out into `n` bodies. A caller `seed` s gives call k
 * seed s + k (distinct images, still reproducible); without one each call sends no seed and Stability
 * picks a random one. Quality tiers are separate Stability models (Core, SD3.5, Ultra), so `hd` is refused
 * rather than silently ignored; style presets are Nova Canvas only.
 */
export function toStabilityImageRequests(request: ImageGenerationRequest): StabilityImageRequest[] {
  if (request.prompt.length > STABILITY_MAX_PROMPT)
    throw invalidValue(`'prompt' is ${request.prompt.length} characters; Stability accepts at most 10,000.`, 'prompt');
  if (request.negativePrompt !== undefined && request.negativePrompt.length > STABILITY_MAX_PROMPT)
    throw invalidValue("'negative_prompt' exceeds 10,000 characters.", 'negative_prompt');
  if (request.quality === 'premium')
    throw unsupportedParameter(
      'quality',
      "'hd' has no meaning for Stability models; choose the Stable Image Ultra model for its highest quality.",
    );
  if (request.style !== undefined)
    throw unsupportedParameter('style', 'is not supported by Stability models; only Nova Canvas has style presets.');
  if (request.cfgScale !== undefined)
    throw unsupportedParameter('cfg_scale', 'is not accepted by Stability models on Bedrock.');
  if (request.seed !== undefined && request.seed > STABILITY_MAX_SEED)
    throw invalidValue(`Invalid 'seed' ${request.seed}: Stability accepts 0 to ${STABILITY_MAX_SEED}.`, 'seed');
  const aspect = stabilityAspectRatio(request.size);
  const bodies: StabilityImageRequest[] = [];
  for (let k = 0; k < request.n; k++) {
    const body: StabilityImageRequest = { prompt: request.prompt };
    if (request.negativePrompt !== undefined) body.negative_prompt = request.negativePrompt;
    if (aspect) body.aspect_ratio = aspect;
    // Seed 0 means "random" to Stability, so a caller's 0 stays 0 only for the first call.
    if (request.seed !== undefined) body.seed = k === 0 ? request.seed : (request.seed + k) % (STABILITY_MAX_SEED + 1);
    body.output_format = 'png';
    bodies.push(body);
  }
  return bodies;
}

/**
 * Collects Stability images in call order. `finish_reasons[0]` null = success; `Filter reason: ...` = withheld
 * by moderation (partial response, or 400 `content_policy_violation` when every image was withheld);
 * `Inference error` = a 502, since the model failed rather than refused.
 */
export function fromStabilityImageResponses(
  bodies: readonly StabilityImageResponse[],
  options: { created: number },
): ImagesTranslation {
  const data: ImagesTranslation['response']['data'] = [];
  let filtered = 0;
  let reason: string | undefined;
  for (const body of bodies) {
    const finish = body.finish_reasons?.[0] ?? null;
    const image = body.images?.[0];
    if (finish === null && image) {
      data.push({ b64_json: image });
      continue;
    }
    if (finish !== null && /inference error/i.test(finish))
      throw new GatewayError('upstream_error', `The Stability model failed: ${finish}.`);
    filtered++;
    reason ??= finish ?? 'no image returned';
  }
  if (data.length === 0)
    throw new GatewayError('content_policy_violation', `The image model withheld every image: ${reason}.`, {
      param: 'prompt',
    });
  return { response: { created: options.created, data }, filtered };
}
