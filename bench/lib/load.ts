import { Pool } from 'undici';

/** One request a target wants sent; headers and body are prepared once per round, not per request. */
export interface RequestSpec {
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** Decides when the first token arrived in a streamed body; returns true on the chunk that carries it. */
export type FirstTokenProbe = (chunk: Buffer) => boolean;

export interface LoadOptions {
  spec: RequestSpec;
  concurrency: number;
  durationMs: number;
  /** Open-loop arrivals per second; absent = closed loop (each worker sends its next request on reply). */
  ratePerSec?: number;
  /** Measure time to first token with this probe (streaming targets). */
  firstToken?: FirstTokenProbe;
  /**
   * Closed loop only: start the workers evenly over this many ms instead of all at once, so a run with
   * many long-lived streams measures steady state rather than one burst of connection set-ups.
   */
  rampMs?: number;
}

export interface LoadResult {
  latenciesMicros: number[];
  firstTokenMicros: number[];
  errors: number;
  seconds: number;
  firstError?: string;
}

/**
 * A small load generator on undici with microsecond timing. autocannon reports whole milliseconds, too coarse
 * for sub-millisecond overhead; this one records each request's latency from its scheduled start (open loop),
 * so a slow server cannot hide queueing behind a slower client (coordinated omission).
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { spec } = options;
  const pool = new Pool(spec.origin, { connections: options.concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
  const result: LoadResult = { latenciesMicros: [], firstTokenMicros: [], errors: 0, seconds: 0 };
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(options.durationMs) * 1_000_000n;
  const intervalNs = options.ratePerSec ? BigInt(Math.round(1e9 / options.ratePerSec)) : 0n;
  let nextSlot = started;

  const one = async (scheduledAt: bigint): Promise<void> => {
    try {
      const res = await pool.request({ method: 'POST', path: spec.path, headers: spec.headers, body: spec.body });
      let sawFirst = false;
      for await (const chunk of res.body) {
        if (!sawFirst && options.firstToken && options.firstToken(chunk as Buffer)) {
          sawFirst = true;
          result.firstTokenMicros.push(Number(process.hrtime.bigint() - scheduledAt) / 1000);
        }
      }
      if (res.statusCode !== 200) {
        result.errors += 1;
        result.firstError ??= `HTTP ${res.statusCode}`;
        return;
      }
      result.latenciesMicros.push(Number(process.hrtime.bigint() - scheduledAt) / 1000);
    } catch (error) {
      result.errors += 1;
      result.firstError ??= String(error);
    }
  };

  const worker = async (index: number): Promise<void> => {
    const ramp = intervalNs > 0n ? 0 : (options.rampMs ?? 0);
    if (ramp > 0) await new Promise((r) => setTimeout(r, (index * ramp) / options.concurrency));
    for (;;) {
      let scheduledAt: bigint;
      if (intervalNs > 0n) {
        scheduledAt = nextSlot;
        nextSlot += intervalNs;
        const waitNs = scheduledAt - process.hrtime.bigint();
        // Rounded up: a timer that fired before the slot would send early and report less than the latency.
        if (waitNs > 0n) await new Promise((r) => setTimeout(r, Math.ceil(Number(waitNs) / 1e6)));
      } else {
        scheduledAt = process.hrtime.bigint();
      }
      if (scheduledAt >= deadline) return;
      await one(scheduledAt);
    }
  };

  await Promise.all(Array.from({ length: options.concurrency }, (_, i) => worker(i)));
  result.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await pool.close();
  return result;
}
