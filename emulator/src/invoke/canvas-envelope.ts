/**
 * The task envelope shared by Nova Canvas and Titan Image Generator (`taskType` + one params member +
 * `imageGenerationConfig`), validated per model by the rules each model file passes in.
 * Sources: Nova user guide image-gen-req-resp-structure; Bedrock user guide model-parameters-titan-image.
 *
 * Emulator directives in the prompt text (docs/embeddings-and-images.md):
 * - `[[blocked]]`: the prompt is refused by moderation (ValidationException), as real input filtering does.
 * - `[[filter:N]]`: N images of each call are withheld and `error` says so (N ≥ numberOfImages withholds all).
 * - `[[filter:all]]`: every image is withheld.
 */
import { validationException } from '../errors.js';
import { array, directive, integer, type Json, keys, malformed, number, object, oneOf, string } from './body-checks.js';
import { colourFor, type InputImage, paintMasked, readInputImage, solidPng } from './render.js';
import type { InvokeResult } from './types.js';

export interface CanvasRules {
  readonly label: string;
  readonly taskTypes: readonly string[];
  readonly maxText: number;
  readonly maxSeed: number;
  readonly defaultSeed: number;
  readonly styles: readonly string[] | undefined;
  /** `conditionImage`/`controlMode`/`controlStrength` in textToImageParams. */
  readonly conditioning: boolean;
  /** Returns a message when width×height is not acceptable. */
  readonly checkSize: (width: number, height: number) => string | undefined;
  /** Titan always writes `"error": null`; Nova writes `error` only when outputs were withheld. */
  readonly alwaysWriteError: boolean;
}

const PARAMS_FIELD: Readonly<Record<string, string>> = {
  TEXT_IMAGE: 'textToImageParams',
  COLOR_GUIDED_GENERATION: 'colorGuidedGenerationParams',
  IMAGE_VARIATION: 'imageVariationParams',
  INPAINTING: 'inPaintingParams',
  OUTPAINTING: 'outPaintingParams',
  BACKGROUND_REMOVAL: 'backgroundRemovalParams',
};

export const BLOCKED_MESSAGE =
  'This request has been blocked by our content filters. Our filters automatically flagged this prompt because it may conflict our AUP or AWS Responsible AI Policy. Please adjust your text prompt to submit a new request.';
export const SOME_FILTERED_MESSAGE =
  'Some of the generated images were filtered out because they may conflict with our content filters.';
export const ALL_FILTERED_MESSAGE =
  'All of the generated images have been blocked by our content filters. Please adjust your text prompt to submit a new request.';

function texts(params: Json, path: string, rules: CanvasRules, textRequired: boolean): string | undefined {
  if (textRequired && params.text === undefined) malformed(path, 'required key [text] not found');
  const text = params.text === undefined ? undefined : string(params.text, `${path}/text`, 1, rules.maxText);
  if (params.negativeText !== undefined) string(params.negativeText, `${path}/negativeText`, 1, rules.maxText);
  return text;
}

interface Task {
  taskType: string;
  text: string | undefined;
  source?: InputImage;
  mask?: InputImage | 'centre';
  colour?: string;
}

function readTask(body: Json, rules: CanvasRules): Task {
  const taskType = oneOf(body.taskType, '#/taskType', rules.taskTypes);
  const field = PARAMS_FIELD[taskType] as string;
  const allowedTop = ['taskType', field, ...(taskType === 'BACKGROUND_REMOVAL' ? [] : ['imageGenerationConfig'])];
  keys(body, '#', allowedTop, ['taskType', field]);
  const path = `#/${field}`;
  const params = object(body[field], path);
  switch (taskType) {
    case 'TEXT_IMAGE': {
      const allowed = ['text', 'negativeText'];
      if (rules.styles) allowed.push('style');
      if (rules.conditioning) allowed.push('conditionImage', 'controlMode', 'controlStrength');
      keys(params, path, allowed, ['text']);
      if (params.style !== undefined && rules.styles) oneOf(params.style, `${path}/style`, rules.styles);
      if (params.conditionImage !== undefined)
        readInputImage(string(params.conditionImage, `${path}/conditionImage`), `${path}/conditionImage`);
      if (params.controlMode !== undefined)
        oneOf(params.controlMode, `${path}/controlMode`, ['CANNY_EDGE', 'SEGMENTATION']);
      if (params.controlStrength !== undefined) number(params.controlStrength, `${path}/controlStrength`, 0, 1);
      return { taskType, text: texts(params, path, rules, true) };
    }
    case 'COLOR_GUIDED_GENERATION': {
      keys(params, path, ['colors', 'text', 'negativeText', 'referenceImage'], ['colors', 'text']);
      const colours = array(params.colors, `${path}/colors`, 1, 10).map((c, i) => {
        const s = string(c, `${path}/colors/${i}`);
        if (!/^#[0-9A-Fa-f]{6}$/.test(s))
          malformed(`${path}/colors/${i}`, `string [${s}] does not match pattern ^#[0-9A-Fa-f]{6}$`);
        return s;
      });
      if (params.referenceImage !== undefined)
        readInputImage(string(params.referenceImage, `${path}/referenceImage`), `${path}/referenceImage`);
      return { taskType, text: texts(params, path, rules, true), colour: colours[0] as string };
    }
    case 'IMAGE_VARIATION': {
      keys(params, path, ['images', 'text', 'negativeText', 'similarityStrength'], ['images']);
      const images = array(params.images, `${path}/images`, 1, 5).map((img, i) =>
        readInputImage(string(img, `${path}/images/${i}`), `${path}/images/${i}`),
      );
      if (params.similarityStrength !== undefined)
        number(params.similarityStrength, `${path}/similarityStrength`, 0.2, 1);
      return { taskType, text: texts(params, path, rules, false), source: images[0] as InputImage };
    }
    case 'INPAINTING':
    case 'OUTPAINTING': {
      const allowed = ['image', 'text', 'negativeText', 'maskPrompt', 'maskImage'];
      if (taskType === 'OUTPAINTING') allowed.push('outPaintingMode');
      keys(params, path, allowed, ['image']);
      const source = readInputImage(string(params.image, `${path}/image`), `${path}/image`);
      const hasPrompt = params.maskPrompt !== undefined;
      const hasImage = params.maskImage !== undefined;
      if (hasPrompt === hasImage)
        throw validationException(`${taskType}: exactly one of maskPrompt or maskImage must be provided.`);
      let mask: InputImage | 'centre' = 'centre';
      if (hasPrompt) string(params.maskPrompt, `${path}/maskPrompt`, 1, rules.maxText);
      else {
        const m = readInputImage(string(params.maskImage, `${path}/maskImage`), `${path}/maskImage`);
        if (m.width !== source.width || m.height !== source.height)
          throw validationException(
            `The mask image (${m.width}x${m.height}) must have the same dimensions as the input image (${source.width}x${source.height}).`,
          );
        mask = m;
      }
      if (params.outPaintingMode !== undefined)
        oneOf(params.outPaintingMode, `${path}/outPaintingMode`, ['DEFAULT', 'PRECISE']);
      return { taskType, text: texts(params, path, rules, taskType === 'OUTPAINTING'), source, mask };
    }
    case 'BACKGROUND_REMOVAL': {
      keys(params, path, ['image'], ['image']);
      return {
        taskType,
        text: undefined,
        source: readInputImage(string(params.image, `${path}/image`), `${path}/image`),
      };
    }
    default:
      return malformed('#/taskType', `${JSON.stringify(taskType)} is not a valid enum value`);
  }
}

interface Config {
  width: number;
  height: number;
  n: number;
  seed: number;
  quality: string;
}

function readConfig(body: Json, rules: CanvasRules): Config {
  const config: Config = { width: 1024, height: 1024, n: 1, seed: rules.defaultSeed, quality: 'standard' };
  if (body.imageGenerationConfig === undefined) return config;
  const path = '#/imageGenerationConfig';
  const c = object(body.imageGenerationConfig, path);
  keys(c, path, ['width', 'height', 'quality', 'cfgScale', 'seed', 'numberOfImages']);
  if (c.width !== undefined) config.width = integer(c.width, `${path}/width`, 320, 4096);
  if (c.height !== undefined) config.height = integer(c.height, `${path}/height`, 320, 4096);
  if (c.quality !== undefined) config.quality = oneOf(c.quality, `${path}/quality`, ['standard', 'premium']);
  if (c.cfgScale !== undefined) number(c.cfgScale, `${path}/cfgScale`, 1.1, 10);
  if (c.seed !== undefined) config.seed = integer(c.seed, `${path}/seed`, 0, rules.maxSeed);
  if (c.numberOfImages !== undefined) config.n = integer(c.numberOfImages, `${path}/numberOfImages`, 1, 5);
  const problem = rules.checkSize(config.width, config.height);
  if (problem) throw validationException(problem);
  return config;
}

/** Validates a Nova Canvas / Titan Image body and renders its deterministic answer. */
export function handleCanvasBody(raw: unknown, rules: CanvasRules): InvokeResult {
  const body = object(raw, '#');
  const task = readTask(body, rules);
  const config =
    task.taskType === 'BACKGROUND_REMOVAL'
      ? { width: 0, height: 0, n: 1, seed: 0, quality: 'standard' }
      : readConfig(body, rules);
  if (directive(task.text, 'blocked') !== undefined) throw validationException(BLOCKED_MESSAGE);
  const filter = directive(task.text, 'filter');
  const withheld = filter === undefined ? 0 : filter === 'all' ? config.n : Math.min(config.n, Number(filter) || 0);

  const images: string[] = [];
  for (let i = 0; i < config.n - withheld; i++) {
    const colour = task.colour
      ? ([1, 3, 5].map((o) => Number.parseInt((task.colour as string).slice(o, o + 2), 16)) as unknown as readonly [
          number,
          number,
          number,
        ])
      : colourFor(task.taskType, task.text ?? '', config.seed, i, config.quality);
    switch (task.taskType) {
      case 'INPAINTING':
        images.push(paintMasked(task.source as InputImage, task.mask ?? 'centre', colour, 'black'));
        break;
      case 'OUTPAINTING':
        images.push(paintMasked(task.source as InputImage, task.mask ?? 'centre', colour, 'white'));
        break;
      case 'BACKGROUND_REMOVAL': {
        const s = task.source as InputImage;
        images.push(solidPng(s.width, s.height, colour));
        break;
      }
      default:
        images.push(solidPng(config.width, config.height, colour));
    }
  }
  const out: { images: string[]; error?: string | null } = { images };
  if (withheld > 0) out.error = withheld === config.n ? ALL_FILTERED_MESSAGE : SOME_FILTERED_MESSAGE;
  else if (rules.alwaysWriteError) out.error = null;
  return { body: out };
}
