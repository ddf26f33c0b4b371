/**
 * Options of the image worker pool, with their units and defaults, in one place. docs/configuration.md
 * ("Image work") documents the same table; keep the two in step.
 */
import { availableParallelism } from 'node:os';
import { GatewayError } from '../errors/index.js';

export interface ImageWorkOptions {
  /** Worker threads that decode and re-encode images. */
  threads: number;
  /**
   * Image jobs that may wait for a free thread. One more is answered `503 server_overloaded` with
   * `Retry-After`, at once, instead of waiting an unbounded time behind others. 0 = no waiting.
   */
  queue: number;
  /**
   * Largest image decoded, width × height in pixels, checked from the header before anything is decoded.
   * Never above what the model accepts (Nova Canvas and Titan: 4,194,304).
   */
  maxPixels: number;
  /** V8 heap of each worker thread, MiB (`resourceLimits.maxOldGenerationSizeMb`); past it the job fails alone. */
  workerHeapMb: number;
  /** Longest one image job may take, waiting in the queue included, ms; then it is dropped (its thread stopped if it runs) and the caller gets 503. */
  taskTimeoutMs: number;
  /** `Retry-After` sent with the 503 of a full queue, seconds. */
  retryAfterSeconds: number;
  /** An idle worker thread exits after this long, ms (a gateway that serves no edits keeps no threads). */
  idleTimeoutMs: number;
}

/** Defaults of every image-work option (threads, jobs, pixels, MiB, ms, seconds). */
export const IMAGE_WORK_DEFAULTS: Readonly<ImageWorkOptions> = Object.freeze({
  // One decode keeps one core busy; more threads than cores would only slow every decode down.
  threads: availableParallelism(),
  queue: 16,
  // Nova Canvas's largest input (2048 × 2048); a decode of this size holds at most ~100 MB (docs).
  maxPixels: 4_194_304,
  workerHeapMb: 128,
  taskTimeoutMs: 30_000,
  retryAfterSeconds: 1,
  idleTimeoutMs: 60_000,
});

/** `threads` → `AIGW_IMAGE_WORK_THREADS`, `maxPixels` → `AIGW_IMAGE_WORK_MAX_PIXELS`, … */
export function imageWorkEnvName(option: keyof ImageWorkOptions): string {
  return `AIGW_IMAGE_WORK_${option.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

const MINIMUM: Readonly<Record<keyof ImageWorkOptions, number>> = {
  threads: 1,
  queue: 0,
  maxPixels: 1,
  workerHeapMb: 16,
  taskTimeoutMs: 1,
  retryAfterSeconds: 0,
  idleTimeoutMs: 0,
};

/**
 * Image-work options from `AIGW_IMAGE_WORK_<OPTION>` variables, each an integer in the option's unit;
 * unset ones keep their defaults. A value that cannot be read throws `invalid_value` naming the variable,
 * so a typo fails at start-up.
 */
export function imageWorkOptionsFromEnv(env: Readonly<Record<string, string | undefined>>): Partial<ImageWorkOptions> {
  const options: Partial<ImageWorkOptions> = {};
  for (const key of Object.keys(IMAGE_WORK_DEFAULTS) as Array<keyof ImageWorkOptions>) {
    const name = imageWorkEnvName(key);
    const raw = env[name]?.trim();
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < MINIMUM[key])
      throw new GatewayError('invalid_value', `${name} must be an integer of at least ${MINIMUM[key]}; got '${raw}'.`, {
        param: name,
      });
    options[key] = value;
  }
  return options;
}
