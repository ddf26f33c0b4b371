import { PNG } from 'pngjs';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/index.js';
import type { EditPixelJob } from '../translate/images/index.js';
import { IMAGE_WORK_DEFAULTS, imageWorkOptionsFromEnv } from './defaults.js';
import { type ImageJobOutcome, ImageWorkPool } from './image-pool.js';

/** A `size`×`size` PNG, left half transparent, with noise so that decoding it takes real work. */
function transparentNoise(size: number): Uint8Array {
  const img = new PNG({ width: size, height: size });
  for (let i = 0; i < img.data.length; i += 4) {
    const x = (i / 4) % size;
    img.data[i] = (i * 2654435761) >>> 24;
    img.data[i + 1] = (i * 40503) >>> 8;
    img.data[i + 2] = i >>> 5;
    img.data[i + 3] = x < size / 2 ? 0 : 255;
  }
  return new Uint8Array(PNG.sync.write(img));
}

const small = transparentNoise(8);
const job = (image: Uint8Array): EditPixelJob => ({ op: 'alpha', image, maskIs: 'edit-region', maxPixels: 4_194_304 });

const pools: ImageWorkPool[] = [];
function pool(
  options: ConstructorParameters<typeof ImageWorkPool>[0],
  observer?: ConstructorParameters<typeof ImageWorkPool>[1],
) {
  const p = new ImageWorkPool(options, observer);
  pools.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

async function errorOf(promise: Promise<unknown>): Promise<GatewayError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  return err as GatewayError;
}

describe('the image worker pool', () => {
  it('runs a job in a worker thread and reports its outcome', async () => {
    const outcomes: ImageJobOutcome[] = [];
    const pending: number[] = [];
    const p = pool({ threads: 1 }, { outcome: (o) => outcomes.push(o), pending: (n) => pending.push(n) });
    const result = await p.run(job(small));
    expect(result).toMatchObject({ ok: true, op: 'alpha', transparent: true });
    expect(outcomes).toEqual(['done']);
    expect(pending).toEqual([1, 0]);
  });

  it('answers 503 server_overloaded with Retry-After at once when threads and queue are full', async () => {
    const outcomes: ImageJobOutcome[] = [];
    const p = pool(
      { threads: 1, queue: 0, retryAfterSeconds: 3 },
      { outcome: (o) => outcomes.push(o), pending: () => {} },
    );
    const first = p.run(job(small));
    const err = await errorOf(p.run(job(small)));
    expect({ status: err.status, code: err.code, type: err.type, retry: err.retryAfterSeconds }).toEqual({
      status: 503,
      code: 'server_overloaded',
      type: 'server_error',
      retry: 3,
    });
    await expect(first).resolves.toMatchObject({ ok: true });
    // Admission is released when a job ends: the next one runs.
    await expect(p.run(job(small))).resolves.toMatchObject({ ok: true });
    expect(outcomes).toEqual(['refused', 'done', 'done']);
  });

  it('lets `queue` jobs wait and refuses the one after', async () => {
    const p = pool({ threads: 1, queue: 1 });
    const running = p.run(job(small));
    const waiting = p.run(job(small));
    expect(p.pending).toBe(2);
    expect((await errorOf(p.run(job(small)))).code).toBe('server_overloaded');
    await expect(Promise.all([running, waiting])).resolves.toHaveLength(2);
  });

  it('stops a job past its deadline with a 503 and keeps serving the next', async () => {
    const p = pool({ threads: 1, taskTimeoutMs: 1 });
    const err = await errorOf(p.run(job(transparentNoise(512))));
    expect(err.code).toBe('server_overloaded');
    expect(err.message).toContain('longer than 1 ms');
  });

  it('cancels the job of a caller who left', async () => {
    const p = pool({ threads: 1 });
    const controller = new AbortController();
    const running = p.run(job(transparentNoise(512)), controller.signal);
    controller.abort();
    expect((await errorOf(running)).code).toBe('client_closed_request');
    expect(p.pending).toBe(0);
  });
});

describe('image-work options from the environment', () => {
  it('reads AIGW_IMAGE_WORK_<OPTION> integers and refuses anything else by name', () => {
    expect(imageWorkOptionsFromEnv({ AIGW_IMAGE_WORK_THREADS: '2', AIGW_IMAGE_WORK_MAX_PIXELS: '1000000' })).toEqual({
      threads: 2,
      maxPixels: 1_000_000,
    });
    expect(imageWorkOptionsFromEnv({ AIGW_IMAGE_WORK_QUEUE: '0' })).toEqual({ queue: 0 });
    expect(() => imageWorkOptionsFromEnv({ AIGW_IMAGE_WORK_THREADS: '0' })).toThrow(/AIGW_IMAGE_WORK_THREADS/);
    expect(() => imageWorkOptionsFromEnv({ AIGW_IMAGE_WORK_TASK_TIMEOUT_MS: '5s' })).toThrow(
      /AIGW_IMAGE_WORK_TASK_TIMEOUT_MS/,
    );
    expect(IMAGE_WORK_DEFAULTS.threads).toBeGreaterThanOrEqual(1);
  });
});
