import { type Dispatcher, Pool } from 'undici';

/** One request a target wants sent; headers and body are prepared once per round, not per request. */
export interface RequestSpec {
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * How a streamed body is read to find its first content chunk, the moment a streaming client shows text:
 *   sse          the first complete `data:` line whose JSON has a non-empty `choices[0].delta.content` (an OpenAI
 *                chat stream; the role chunk, whose content is empty, does not count)
 *   eventstream  the first complete AWS event-stream frame whose `:event-type` is `contentBlockDelta` (ConverseStream)
 */
export type StreamReader = 'sse' | 'eventstream';

export interface LoadOptions {
  spec: RequestSpec;
  concurrency: number;
  durationMs: number;
  /** Open-loop arrivals per second; absent = closed loop (each worker sends its next request on reply). */
  ratePerSec?: number;
  /** Read each body as this kind of stream, timing its first content chunk and checking that it completed. */
  stream?: StreamReader;
  /**
   * Closed loop only: start the workers evenly over this many ms instead of all at once, so a run with
   * many long-lived streams measures steady state rather than one burst of connection set-ups.
   */
  rampMs?: number;
  /** Called with the number of requests in flight whenever it rises (to sample open streams). */
  onOpen?: (open: number) => void;
}

export interface LoadResult {
  latenciesMicros: number[];
  /** Time from each request's start to its first content chunk (streams only). */
  firstContentMicros: number[];
  errors: number;
  seconds: number;
  /** CPU time (user + system) this process, the load generator, spent during the run, in µs. */
  clientCpuMicros: number;
  firstError?: string;
}

const LF = 0x0a;
const DATA = Buffer.from('data: ');
const DONE_TAIL = Buffer.from('data: [DONE]\n\n');
const CONTENT_BLOCK_DELTA = Buffer.from('contentBlockDelta');

/**
 * Watches one response body. Until the first content chunk it parses strictly (whole lines or whole frames,
 * never a match on a fragment); after it, it only keeps the last bytes to check how the stream ended, so the
 * generator's own cost per chunk stays small.
 */
export class BodyWatcher {
  #pending: Buffer | undefined;
  #found = false;
  #tail: Buffer = Buffer.alloc(0);

  constructor(readonly kind: StreamReader) {}

  /** Returns true on the chunk that completes the first content chunk. */
  push(chunk: Buffer): boolean {
    if (this.#found) {
      this.#keepTail(chunk);
      return false;
    }
    const buf = this.#pending ? Buffer.concat([this.#pending, chunk]) : chunk;
    const consumed = this.kind === 'sse' ? this.#scanSse(buf) : this.#scanFrames(buf);
    if (this.#found) {
      this.#pending = undefined;
      this.#keepTail(buf);
      return true;
    }
    this.#pending = consumed > 0 ? buf.subarray(consumed) : buf;
    return false;
  }

  /** Whether the stream ended as a successful one ends. */
  complete(): boolean {
    if (!this.#found) return false;
    // An OpenAI stream ends with [DONE]; a failed one ends with an error event instead.
    if (this.kind === 'sse') return this.#tail.subarray(-DONE_TAIL.length).equals(DONE_TAIL);
    return true;
  }

  #keepTail(chunk: Buffer): void {
    this.#tail =
      chunk.length >= DONE_TAIL.length
        ? chunk.subarray(-DONE_TAIL.length)
        : Buffer.concat([this.#tail, chunk]).subarray(-DONE_TAIL.length);
  }

  /** Parses complete lines; returns the bytes consumed. */
  #scanSse(buf: Buffer): number {
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(LF, start);
      if (nl < 0) return start;
      if (buf.subarray(start, start + DATA.length).equals(DATA)) {
        const text = buf.toString('utf8', start + DATA.length, nl);
        if (text !== '[DONE]') {
          const event = JSON.parse(text) as { choices?: { delta?: { content?: unknown } }[] };
          const content = event.choices?.[0]?.delta?.content;
          if (typeof content === 'string' && content.length > 0) {
            this.#found = true;
            return nl + 1;
          }
        }
      }
      start = nl + 1;
    }
  }

  /** Walks complete frames (prelude: total length, headers length); returns the bytes consumed. */
  #scanFrames(buf: Buffer): number {
    let at = 0;
    while (at + 12 <= buf.length) {
      const total = buf.readUInt32BE(at);
      if (at + total > buf.length) return at;
      const headersLength = buf.readUInt32BE(at + 4);
      const headers = buf.subarray(at + 12, at + 12 + headersLength);
      at += total;
      if (headers.includes(CONTENT_BLOCK_DELTA)) {
        this.#found = true;
        return at;
      }
    }
    return at;
  }
}

/**
 * A small load generator on undici's dispatch API with microsecond timing. autocannon reports whole
 * milliseconds, too coarse for sub-millisecond overhead; this one records each request's latency from its
 * scheduled start (open loop), so a slow server cannot hide queueing behind a slower client (coordinated
 * omission). Body chunks are seen in undici's parser callback, as they arrive, with no stream in between.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { spec } = options;
  const pool = new Pool(spec.origin, { connections: options.concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
  const result: LoadResult = { latenciesMicros: [], firstContentMicros: [], errors: 0, seconds: 0, clientCpuMicros: 0 };
  const cpuAtStart = process.cpuUsage();
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(options.durationMs) * 1_000_000n;
  const intervalNs = options.ratePerSec ? BigInt(Math.round(1e9 / options.ratePerSec)) : 0n;
  let nextSlot = started;
  let open = 0;
  const body = Buffer.from(spec.body);

  const fail = (message: string): void => {
    result.errors += 1;
    result.firstError ??= message;
  };

  const one = (scheduledAt: bigint): Promise<void> =>
    new Promise<void>((resolve) => {
      let status = 0;
      const watcher = options.stream ? new BodyWatcher(options.stream) : undefined;
      let errorBody = '';
      open += 1;
      options.onOpen?.(open);
      const done = (): void => {
        open -= 1;
        resolve();
      };
      const handler: Dispatcher.DispatchHandler = {
        // undici takes a handler in its current form only when it has onRequestStart.
        onRequestStart() {},
        onResponseStart(_controller, statusCode) {
          status = statusCode;
        },
        onResponseData(_controller, chunk) {
          if (status !== 200) {
            if (status === -1) return;
            errorBody = (errorBody + chunk.toString()).slice(0, 300);
            return;
          }
          try {
            if (watcher?.push(chunk)) {
              result.firstContentMicros.push(Number(process.hrtime.bigint() - scheduledAt) / 1000);
            }
          } catch (error) {
            // Not the stream it should be (e.g. a data line that is not JSON): count it as an error.
            status = -1;
            errorBody = String(error);
          }
        },
        onResponseEnd() {
          if (status === -1) fail(`unreadable stream: ${errorBody}`);
          else if (status !== 200) fail(`HTTP ${status}: ${errorBody}`);
          else if (watcher && !watcher.complete()) fail('the stream ended without its content or its end marker');
          else result.latenciesMicros.push(Number(process.hrtime.bigint() - scheduledAt) / 1000);
          done();
        },
        onResponseError(_controller, error) {
          fail(String(error));
          done();
        },
      };
      try {
        pool.dispatch({ origin: spec.origin, path: spec.path, method: 'POST', headers: spec.headers, body }, handler);
      } catch (error) {
        fail(String(error));
        done();
      }
    });

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
  const cpu = process.cpuUsage(cpuAtStart);
  result.clientCpuMicros = cpu.user + cpu.system;
  await pool.close();
  return result;
}
