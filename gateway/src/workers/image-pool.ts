/**
 * The image worker pool: the pixel work of image edits (PNG decode, mask and re-encode; see
 * translate/images/edit-pixels.ts) runs in worker threads so that a slow image never delays another
 * caller's request, a health probe, or a stream. piscina runs the threads; this class bounds the work in
 * front of them: at most `threads` jobs run and `queue` wait; one more is refused at once with a 503 and
 * `Retry-After`. Each job has a deadline and a V8 heap limit, and a caller that leaves cancels its job
 * (queued: dropped; running: its thread is stopped and replaced).
 */
import { Piscina } from 'piscina';
import { formatDuration, GatewayError } from '../errors/index.js';
import type { EditPixelJob, EditPixelResult } from '../translate/images/index.js';
import { IMAGE_WORK_DEFAULTS, type ImageWorkOptions } from './defaults.js';

// The worker entry is a sibling of the running code: compiled `.js` under dist/, the `.ts` source when
// running from the sources (Node strips the types; the entry has no relative imports to resolve).
const WORKER_EXTENSION = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const WORKER_FILE = new URL(`../translate/images/edit-pixels${WORKER_EXTENSION}`, import.meta.url).href;

/** How one job ended: `refused` when the queue was full, `failed` for a worker crash or out-of-memory. */
export type ImageJobOutcome = 'done' | 'refused' | 'timeout' | 'cancelled' | 'failed';

/** Receives the pool's counts (the gateway's metrics). */
export interface ImageWorkObserver {
  pending(jobs: number): void;
  outcome(outcome: ImageJobOutcome): void;
}

export class ImageWorkPool {
  readonly options: Readonly<ImageWorkOptions>;
  readonly #observer: ImageWorkObserver | undefined;
  #piscina: Piscina<EditPixelJob, EditPixelResult> | undefined;
  #admitted = 0;
  #closed = false;

  constructor(options: Partial<ImageWorkOptions> = {}, observer?: ImageWorkObserver) {
    const merged = { ...IMAGE_WORK_DEFAULTS };
    for (const [key, value] of Object.entries(options) as Array<[keyof ImageWorkOptions, number | undefined]>)
      if (value !== undefined) merged[key] = value;
    this.options = Object.freeze(merged);
    this.#observer = observer;
  }

  /** Jobs running or waiting. */
  get pending(): number {
    return this.#admitted;
  }

  /**
   * Runs one pixel job in a worker. Rejects with `server_overloaded` (503) when `threads + queue` jobs
   * are already admitted or the job outlives `taskTimeoutMs`, and with `client_closed_request` when
   * `signal` (the caller's disconnect) fires first.
   */
  async run(job: EditPixelJob, signal?: AbortSignal): Promise<EditPixelResult> {
    if (this.#closed) throw new GatewayError('shutting_down', 'The gateway is shutting down; retry the request.');
    const { threads, queue, taskTimeoutMs, retryAfterSeconds } = this.options;
    if (this.#admitted >= threads + queue) {
      this.#observer?.outcome('refused');
      throw new GatewayError(
        'server_overloaded',
        `The gateway is busy processing other images (${threads} running, ${queue} waiting); retry after ${retryAfterSeconds} s.`,
        { retryAfterSeconds },
      );
    }
    this.#admitted++;
    this.#observer?.pending(this.#admitted);
    const deadline = AbortSignal.timeout(taskTimeoutMs);
    let outcome: ImageJobOutcome = 'failed';
    try {
      const result = await this.#pool().run(job, { signal: signal ? AbortSignal.any([signal, deadline]) : deadline });
      outcome = 'done';
      return result;
    } catch (err) {
      if (this.#closed) {
        outcome = 'cancelled';
        throw new GatewayError('shutting_down', 'The gateway is shutting down; retry the request.', { cause: err });
      }
      if (signal?.aborted) {
        outcome = 'cancelled';
        throw new GatewayError('client_closed_request', 'The caller closed the request.', { cause: err });
      }
      if (deadline.aborted) {
        outcome = 'timeout';
        throw new GatewayError(
          'server_overloaded',
          `Processing the image took longer than ${formatDuration(taskTimeoutMs)}; retry later or send a smaller image.`,
          { retryAfterSeconds, cause: err },
        );
      }
      if ((err as { code?: unknown } | null)?.code === 'ERR_WORKER_OUT_OF_MEMORY')
        throw new GatewayError(
          'invalid_value',
          `The image needs more memory than this gateway gives one image (${this.options.workerHeapMb} MiB).`,
          { param: job.op === 'mask' ? 'mask' : 'image', cause: err },
        );
      throw new GatewayError('internal_error', 'The image could not be processed.', { cause: err });
    } finally {
      this.#admitted--;
      this.#observer?.pending(this.#admitted);
      this.#observer?.outcome(outcome);
    }
  }

  /** Stops the worker threads (jobs still running are cancelled). Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const piscina = this.#piscina;
    this.#piscina = undefined;
    await piscina?.destroy();
  }

  // Created on first use: a gateway that never edits an image starts no threads.
  #pool(): Piscina<EditPixelJob, EditPixelResult> {
    this.#piscina ??= new Piscina<EditPixelJob, EditPixelResult>({
      filename: WORKER_FILE,
      name: 'default',
      minThreads: 0,
      maxThreads: this.options.threads,
      idleTimeout: this.options.idleTimeoutMs,
      // Admission above already bounds the queue; piscina's own limit would count starting threads too.
      maxQueue: Number.POSITIVE_INFINITY,
      resourceLimits: { maxOldGenerationSizeMb: this.options.workerHeapMb },
    });
    return this.#piscina;
  }
}
