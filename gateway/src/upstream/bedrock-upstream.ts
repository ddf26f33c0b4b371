import { performance } from 'node:perf_hooks';
import type { Dispatcher } from 'undici';
import type { AccountCredentials, CompiledAccount } from '../config/index.js';
import { formatDuration, fromBedrockHttpError, GatewayError } from '../errors/index.js';
import { encodeModelIdForPath, parseModelId } from '../models/index.js';
import { UpstreamAuthCache } from './auth/index.js';
import type { Clock, SignableRequest, UpstreamAuth } from './auth/types.js';
import { resolveUpstreamOptions, type UpstreamOptions } from './defaults.js';
import { EndpointResolver } from './endpoint.js';
import { EventStreamDecoder, type UpstreamEvent } from './event-stream.js';
import { createEgressDispatcher } from './proxy.js';
import { backoffDelayMs, parseRetryAfterMs, transientNetworkCode } from './retry.js';

/** Bedrock runtime operations the gateway calls (bedrock-wire.md §0). */
export type UpstreamOperation = 'converse' | 'converse-stream' | 'invoke' | 'invoke-with-response-stream';

/** One call to Bedrock, with everything taken from the request's config snapshot. */
export interface UpstreamCall {
  account: CompiledAccount;
  credentials: AccountCredentials | undefined;
  /** The model's region (the account's unless the Model overrides it); an ARN model id's own region wins. */
  region: string;
  /** The Bedrock model id, inference profile id or ARN, unencoded. */
  modelId: string;
  operation: UpstreamOperation;
  /** The final request body; it is signed and sent byte for byte. */
  body: string | Uint8Array;
  /** Aborted when the caller disconnects: stops retries and destroys the upstream request. */
  signal: AbortSignal;
  /** Extra headers (e.g. `X-Amzn-Bedrock-Trace`, `X-Amzn-Bedrock-GuardrailIdentifier`, `Content-Type`/`Accept` for invoke). */
  headers?: Record<string, string>;
  /** Counts every attempt sent, failed ones included (usage records); shared by the calls of one request. */
  tally?: { attempts: number };
  /** Per-call attempt observer (tracing), called after the client's own `onAttempt`. */
  onAttempt?: UpstreamAttemptObserver;
  /**
   * Overrides for one call (ModelRoute failover): fewer attempts than the client's maxAttempts, a shorter
   * per-attempt timeout, and an absolute deadline (performance.now() ms) shared by the calls of one request.
   * Each can only tighten the client's own limits.
   */
  limits?: { maxAttempts?: number; attemptTimeoutMs?: number; deadlineAt?: number };
}

/** Timing of a non-streaming call, in ms since the first attempt was dispatched. */
export interface UpstreamTiming {
  /** Until the response headers of the successful attempt arrived. */
  firstByteMs: number;
  /** Until the whole body arrived: the upstream share of the request's latency (retries included). */
  totalMs: number;
}

/** A successful non-streaming response. */
export interface UpstreamResponse {
  status: number;
  /** `x-amzn-RequestId`. */
  requestId: string;
  /** Response headers, lower-case names (e.g. `x-amzn-bedrock-input-token-count` on InvokeModel). */
  headers: Record<string, string>;
  body: Uint8Array;
  /** Attempts made, the successful one included. */
  attempts: number;
  /** Same as `timing.totalMs`. */
  upstreamMs: number;
  timing: UpstreamTiming;
}

/** Timing of a stream, in ms since the first attempt was dispatched; fields fill in as the stream runs. */
export interface StreamTiming {
  headersMs: number;
  firstEventMs: number | undefined;
  totalMs: number | undefined;
}

/** What an attempt observer learns when an attempt starts. */
export interface UpstreamAttemptStart {
  /** ProviderAccount name. */
  account: string;
  operation: UpstreamOperation;
  modelId: string;
  /** The signing region. */
  region: string;
  /** `scheme://host[:port]` the attempt goes to. */
  origin: string;
  /** 1 for the first attempt. */
  attempt: number;
}

/** How an attempt ended. For a stream's successful attempt: when the stream ended. */
export interface UpstreamAttemptEnd {
  /** HTTP status, when a response arrived. */
  status: number | undefined;
  /** `x-amzn-RequestId`, when a response arrived. */
  requestId: string | undefined;
  /** Set when the attempt (or the stream it started) failed. */
  error: GatewayError | undefined;
  /** Whether another attempt follows. */
  willRetry: boolean;
}

/** Returned by an observer for one attempt. */
export interface UpstreamAttemptHooks {
  /** Headers to add to this attempt after signing (unsigned), e.g. W3C `traceparent`. */
  headers?: Record<string, string>;
  end(result: UpstreamAttemptEnd): void;
}

/**
 * Called at the start of every upstream attempt, in the caller's async context, so tracing can open a
 * client span per attempt (DESIGN.md, Observability) without the client depending on a tracer.
 */
export type UpstreamAttemptObserver = (start: UpstreamAttemptStart) => UpstreamAttemptHooks | undefined;

/** Construction options of {@link BedrockUpstream}. */
export interface BedrockUpstreamOptions extends Partial<UpstreamOptions> {
  /** Per-attempt hook for traces and metrics. */
  onAttempt?: UpstreamAttemptObserver;
  /** Use this dispatcher instead of the client's own undici Agent (it is then not closed by `close()`). */
  dispatcher?: Dispatcher;
  /** Clock for SigV4 dates and credential expiry (tests). */
  clock?: Clock;
  /** Randomness for backoff and refresh jitter (tests). */
  random?: () => number;
}

const USER_AGENT = 'aigateway';
const MAX_ERROR_BODY_BYTES = 1024 * 1024;
const NO_CREDENTIALS: AccountCredentials = Object.freeze({});
/** Model ids come from the config, so there are few; the memo is cleared if a process ever sees more. */
const MAX_MEMOISED_MODELS = 1024;

/** What a call derives from its model id alone (parsing and percent-encoding it on every call cost about 0.7 µs). */
interface ModelTarget {
  /** The region an ARN pins, if the id is one. */
  arnRegion: string | undefined;
  /** `/model/<encoded id>/`, the path between an endpoint's base path and the operation. */
  pathLabel: string;
  /**
   * Whole request paths by endpoint base path and operation, built once: the signer looks each path up in
   * its own cache, and a path joined anew per request had to be flattened and hashed every time.
   */
  paths: Map<string, Map<string, string>>;
}

/** The request path of `operation` on a model under an endpoint's base path (a few per model: memoised). */
function pathOf(target: ModelTarget, basePath: string, operation: string): string {
  let byOperation = target.paths.get(basePath);
  if (!byOperation) {
    byOperation = new Map();
    target.paths.set(basePath, byOperation);
  }
  let path = byOperation.get(operation);
  if (path === undefined) {
    path = `${basePath}${target.pathLabel}${operation}`;
    byOperation.set(operation, path);
  }
  return path;
}

/**
 * The Bedrock runtime client: signs (SigV4 or bearer), sends over pooled keep-alive undici
 * connections, retries transient failures before anything reached the caller, enforces per-attempt
 * and overall deadlines, and decodes event streams. Constructed once per process and shared across
 * config snapshots; per-account auth (with its cached temporary credentials) is reused across
 * reloads while the account's auth settings and credential material stay the same.
 */
export class BedrockUpstream {
  readonly options: UpstreamOptions;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly endpoints = new EndpointResolver();
  private readonly modelTargets = new Map<string, ModelTarget>();
  private readonly random: () => number;
  private readonly onAttempt: UpstreamAttemptObserver | undefined;
  /** Hot path: the snapshot's own account/credentials objects → auth, without hashing. */
  private readonly byAccount = new WeakMap<CompiledAccount, { credentials: AccountCredentials; auth: UpstreamAuth }>();
  /** Across reloads: digest of settings + credential material → auth. */
  private readonly auths: UpstreamAuthCache;

  constructor(options: BedrockUpstreamOptions = {}) {
    const { dispatcher, clock, random, onAttempt, ...rest } = options;
    this.options = resolveUpstreamOptions(rest);
    this.onAttempt = onAttempt;
    this.auths = new UpstreamAuthCache({
      refreshBeforeMs: this.options.credentialRefreshBeforeMs,
      jitterMs: this.options.credentialRefreshJitterMs,
      failureBackoffMs: this.options.credentialFailureBackoffMs,
      ...(clock ? { clock } : {}),
    });
    this.random = random ?? Math.random;
    this.ownsDispatcher = dispatcher === undefined;
    // One Agent: it keeps one keep-alive Pool per origin (region endpoint or override). HTTP/1.1
    // without pipelining, since a slow generation would stall everything queued behind it. Through
    // HTTPS_PROXY / NO_PROXY when set (proxy.ts).
    this.dispatcher =
      dispatcher ??
      createEgressDispatcher({
        connections: this.options.connections,
        pipelining: 1,
        keepAliveTimeout: this.options.keepAliveTimeoutMs,
        connect: { timeout: this.options.connectTimeoutMs },
      });
  }

  /** The auth scheme of an account, created once and cached (see class docs). */
  authFor(account: CompiledAccount, credentials: AccountCredentials | undefined): UpstreamAuth {
    // Snapshots give credential-less accounts a fresh `{}` per model; treat all of them as one value.
    const material = credentials && hasMaterial(credentials) ? credentials : NO_CREDENTIALS;
    const hit = this.byAccount.get(account);
    if (hit && hit.credentials === material) return hit.auth;
    const auth = this.auths.get(account, credentials);
    this.byAccount.set(account, { credentials: material, auth });
    return auth;
  }

  /**
   * Closes cached auth of accounts no longer in the config (stopping their background refreshes).
   * Call after a reload with the new snapshot's accounts and credentials.
   */
  retainAuth(live: Iterable<{ account: CompiledAccount; credentials: AccountCredentials | undefined }>): void {
    this.auths.retain(live);
  }

  /** A non-streaming call (Converse, InvokeModel). Resolves with the whole body; throws GatewayError. */
  async send(call: UpstreamCall): Promise<UpstreamResponse> {
    const outcome = await this.execute(call, false);
    const { response, startedAt, headersAt } = outcome;
    const totalMs = performance.now() - startedAt;
    return {
      status: response.statusCode,
      requestId: headerValue(response.headers['x-amzn-requestid']) ?? '',
      headers: flattenHeaders(response.headers),
      body: outcome.body ?? new Uint8Array(0),
      attempts: outcome.attempts,
      upstreamMs: totalMs,
      timing: { firstByteMs: headersAt - startedAt, totalMs },
    };
  }

  /**
   * A streaming call (ConverseStream, InvokeModelWithResponseStream). Resolves once the 200 response
   * and its first event arrived (retries happen only up to here, so an exception as the first frame is
   * retried or thrown like an HTTP error); the events are then read from the returned stream. Throws
   * GatewayError.
   */
  async stream(call: UpstreamCall): Promise<UpstreamEventStream> {
    const outcome = await this.execute(call, true);
    // From here the stream is the caller's: only its abort and the idle timeout end it.
    outcome.attempt.clearTimer();
    if (!outcome.reader) {
      // Unreachable: streaming attempts always keep their response body.
      throw new GatewayError('upstream_error', 'Bedrock answered a streaming call without a body.');
    }
    return new UpstreamEventStream(outcome, outcome.reader);
  }

  /** Closes cached auth and, unless one was injected, the connection pools. */
  async close(): Promise<void> {
    this.auths.close();
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  // -----------------------------------------------------------------------------------------------

  private modelTarget(modelId: string): ModelTarget {
    let target = this.modelTargets.get(modelId);
    if (!target) {
      target = {
        arnRegion: parseModelId(modelId)?.arnRegion,
        pathLabel: `/model/${encodeModelIdForPath(modelId)}/`,
        paths: new Map(),
      };
      if (this.modelTargets.size >= MAX_MEMOISED_MODELS) this.modelTargets.clear();
      this.modelTargets.set(modelId, target);
    }
    return target;
  }

  private async execute(call: UpstreamCall, streaming: boolean): Promise<AttemptOutcome> {
    const options = this.options;
    const target = this.modelTarget(call.modelId);
    const region = target.arnRegion ?? call.region;
    const endpoint = this.endpoints.resolve(call.account, region);
    const path = pathOf(target, endpoint.basePath, call.operation);
    const auth = this.authFor(call.account, call.credentials);
    const startedAt = performance.now();
    const limits = call.limits;
    const deadline = Math.min(startedAt + options.deadlineMs, limits?.deadlineAt ?? Number.POSITIVE_INFINITY);
    const maxAttempts = Math.min(options.maxAttempts, limits?.maxAttempts ?? options.maxAttempts);
    const attemptTimeoutMs = Math.min(options.attemptTimeoutMs, limits?.attemptTimeoutMs ?? options.attemptTimeoutMs);
    let refreshedCredentials = false;

    for (let attemptNo = 1; ; attemptNo++) {
      if (call.signal.aborted) throw clientClosed(call.signal.reason);
      const request: SignableRequest = {
        method: 'POST',
        protocol: endpoint.protocol,
        hostname: endpoint.hostname,
        port: endpoint.port,
        path,
        headers: requestHeaders(endpoint.host, streaming, call.headers),
        body: call.body,
        region,
      };
      // Signed per attempt: X-Amz-Date must be fresh and credentials may have been refreshed.
      await authorize(auth, request);
      const hooks =
        this.onAttempt || call.onAttempt
          ? observeAttempt(this.onAttempt, call.onAttempt, {
              account: call.account.name,
              operation: call.operation,
              modelId: call.modelId,
              region,
              origin: endpoint.origin,
              attempt: attemptNo,
            })
          : undefined;
      if (hooks?.headers) Object.assign(request.headers, hooks.headers);
      if (call.tally) call.tally.attempts++;
      let responseStatus: number | undefined;
      let responseId: string | undefined;
      const remaining = deadline - performance.now();
      const attempt = new AttemptSignal(call.signal, Math.max(1, Math.ceil(Math.min(attemptTimeoutMs, remaining))));
      let error: GatewayError;
      let retryAfterMs: number | undefined;
      try {
        let response: ResponseHead;
        let reader: EventStreamReader | undefined;
        let bytes: Uint8Array | undefined;
        let headersAt: number;
        if (streaming) {
          reader = new EventStreamReader(options.maxEventBytes, attempt);
          // Deadlines come from AttemptSignal; for streams the idle timeout guards the body.
          this.dispatcher.dispatch(
            {
              origin: endpoint.origin,
              path,
              method: 'POST',
              headers: request.headers,
              body: call.body,
              headersTimeout: 0,
              bodyTimeout: options.streamIdleTimeoutMs,
            },
            reader,
          );
          response = await reader.head;
          headersAt = reader.headersAt;
        } else {
          // Non-streaming: the body is part of the attempt, so a reset or timeout while reading it
          // is retried like any other (nothing has reached the caller yet).
          const buffered = await this.exchange(endpoint.origin, path, request.headers, call.body, attempt, (head) => {
            responseStatus = head.statusCode;
            responseId = headerValue(head.headers['x-amzn-requestid']);
          });
          headersAt = buffered.headersAt;
          response = buffered;
          bytes = buffered.body;
        }
        responseStatus = response.statusCode;
        responseId = headerValue(response.headers['x-amzn-requestid']);
        if (response.statusCode >= 200 && response.statusCode < 300) {
          const outcome: AttemptOutcome = {
            response,
            reader,
            attempt,
            attempts: attemptNo,
            startedAt,
            headersAt,
            callerSignal: call.signal,
            body: bytes,
            hooks,
          };
          if (streaming) {
            // Hold the stream until its first frame: an exception there (a throttle, say) has reached
            // nobody yet, so it is retried or answered as an ordinary error, not as a 200 that fails at once.
            await reader!.firstEvents();
            return outcome;
          }
          attempt.dispose();
          hooks?.end({ status: responseStatus, requestId: responseId, error: undefined, willRetry: false });
          return outcome;
        }
        const errorBody = reader ? await reader.errorBody() : bytes;
        attempt.dispose();
        retryAfterMs = parseRetryAfterMs(response.headers['retry-after']);
        const errorType = headerValue(response.headers['x-amzn-errortype']);
        error = fromBedrockHttpError({
          status: response.statusCode,
          errorType,
          body: errorBody,
          retryAfterSeconds: retryAfterMs === undefined ? undefined : Math.ceil(retryAfterMs / 1000),
        });
        // Temporary credentials revoked or expired early (clock skew, session revoked): fetch new
        // ones and try again once rather than failing until the next scheduled refresh.
        if (!refreshedCredentials && errorType?.startsWith('ExpiredToken') && auth.kind !== 'accessKey') {
          refreshedCredentials = true;
          auth.invalidate();
          hooks?.end({ status: responseStatus, requestId: responseId, error, willRetry: true });
          attemptNo--;
          continue;
        }
      } catch (thrown) {
        attempt.dispose();
        if (call.signal.aborted) {
          const closed = clientClosed(thrown);
          hooks?.end({ status: responseStatus, requestId: responseId, error: closed, willRetry: false });
          throw closed;
        }
        error = this.transportError(thrown, attempt);
      }

      const wait = Math.max(
        retryAfterMs ?? 0,
        backoffDelayMs(attemptNo, options.retryBaseMs, options.retryCapMs, this.random),
      );
      const retry =
        error.retryable &&
        attemptNo < maxAttempts &&
        (retryAfterMs === undefined || retryAfterMs <= options.maxRetryAfterMs) &&
        performance.now() + wait < deadline;
      hooks?.end({ status: responseStatus, requestId: responseId, error, willRetry: retry });
      if (!retry) throw error;
      await sleep(wait, call.signal);
    }
  }

  /**
   * One non-streaming exchange, buffered, on undici's dispatch API: a handler collects the body chunks
   * directly, without the Readable stream, async iterator, AbortController and async-context resource
   * that `request()` sets up per call (together the largest per-request cost of the client after
   * signing). A 2xx body is capped at maxResponseBytes (GatewayError, not retried); an error body at
   * MAX_ERROR_BODY_BYTES, past which it is dropped (the status and headers still map the error).
   */
  private exchange(
    origin: string,
    path: string,
    headers: Record<string, string>,
    body: string | Uint8Array,
    attempt: AttemptSignal,
    onHead: (head: ResponseHead) => void,
  ): Promise<BufferedResponse> {
    const maxResponseBytes = this.options.maxResponseBytes;
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let limit = 0;
      let head: ResponseHead | undefined;
      let headersAt = 0;
      let overflow: GatewayError | undefined;
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(controller) {
          attempt.onAbort((reason) => controller.abort(reason));
        },
        onResponseStart(_controller, statusCode, responseHeaders) {
          headersAt = performance.now();
          head = { statusCode, headers: responseHeaders };
          limit = statusCode >= 200 && statusCode < 300 ? maxResponseBytes : MAX_ERROR_BODY_BYTES;
          onHead(head);
        },
        onResponseData(controller, chunk) {
          size += chunk.byteLength;
          if (size > limit) {
            overflow = new GatewayError('upstream_error', `The Bedrock response exceeded ${limit} bytes.`);
            controller.abort(overflow);
            return;
          }
          chunks.push(chunk);
        },
        onResponseEnd() {
          if (!head) return reject(new GatewayError('upstream_error', 'Bedrock sent no response.'));
          const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
          resolve({ statusCode: head.statusCode, headers: head.headers, headersAt, body: bytes });
        },
        onResponseError(_controller, error) {
          // An oversized error body is dropped; the error is still mapped from the status and headers.
          if (overflow && head && limit === MAX_ERROR_BODY_BYTES)
            resolve({ statusCode: head.statusCode, headers: head.headers, headersAt, body: undefined });
          else reject(overflow ?? error);
        },
      };
      try {
        // Deadlines come from AttemptSignal, not undici's per-phase timeouts.
        this.dispatcher.dispatch(
          { origin, path, method: 'POST', headers, body, headersTimeout: 0, bodyTimeout: 0 },
          handler,
        );
      } catch (error) {
        reject(error);
      }
    });
  }

  private transportError(thrown: unknown, attempt: AttemptSignal): GatewayError {
    if (attempt.timedOut) {
      return new GatewayError(
        'upstream_timeout',
        `Bedrock did not respond within ${formatDuration(attempt.timeoutMs)}.`,
        {
          retryable: true,
          cause: thrown,
        },
      );
    }
    const code = transientNetworkCode(thrown);
    if (code) {
      return new GatewayError('upstream_unavailable', `Bedrock could not be reached (${code}).`, {
        retryable: true,
        cause: thrown,
      });
    }
    if (thrown instanceof GatewayError) return thrown;
    return new GatewayError('upstream_error', 'The request to Bedrock failed.', { cause: thrown });
  }
}

/** Runs the client's and the call's attempt observers; one set of hooks for both. */
function observeAttempt(
  client: UpstreamAttemptObserver | undefined,
  perCall: UpstreamAttemptObserver | undefined,
  start: UpstreamAttemptStart,
): UpstreamAttemptHooks | undefined {
  const a = client?.(start);
  const b = perCall?.(start);
  if (!a || !b) return a ?? b;
  return {
    headers: { ...a.headers, ...b.headers },
    end(result) {
      a.end(result);
      b.end(result);
    },
  };
}

/** Status and headers of an upstream response. */
interface ResponseHead {
  statusCode: number;
  headers: Dispatcher.ResponseData['headers'];
}

interface BufferedResponse extends ResponseHead {
  headersAt: number;
  /** Undefined when an error body was too large to keep. */
  body: Uint8Array | undefined;
}

interface AttemptOutcome {
  response: ResponseHead;
  /** Streaming calls: the response body, read up to its first event. */
  reader: EventStreamReader | undefined;
  attempt: AttemptSignal;
  attempts: number;
  startedAt: number;
  headersAt: number;
  callerSignal: AbortSignal;
  /** The whole body of a non-streaming response. */
  body: Uint8Array | undefined;
  hooks: UpstreamAttemptHooks | undefined;
}

/** Decoded events a reader holds at most while its consumer is busy before it pauses the socket. */
const MAX_QUEUED_EVENTS = 256;

/**
 * Reads one streaming attempt's response on undici's dispatch API: the body's bytes are decoded into events
 * as they arrive, in the socket's own callback, and queued for {@link UpstreamEventStream}, which takes all
 * events of a read at once. No Readable stream, async iterator or promise per chunk: a stream of 50 tokens
 * costs 50 decodes and one promise per read the consumer actually waited for. While the consumer is busy
 * (waiting for its own socket to drain, say) the upstream socket is paused, so a slow caller holds at most
 * one read of decoded events, not the whole answer.
 *
 * A non-2xx response's body is collected instead (up to MAX_ERROR_BODY_BYTES) for the error mapping.
 */
class EventStreamReader implements Dispatcher.DispatchHandler {
  /** Resolves with the status and headers; rejects when the attempt fails before them. */
  readonly head: Promise<ResponseHead>;
  headersAt = 0;
  /** When the first event was decoded (performance.now()). */
  firstEventAt: number | undefined;
  /** The body ended (cleanly, or with {@link failure} set). */
  ended = false;
  failure: unknown;
  private queue: UpstreamEvent[] = [];
  private readonly decoder: EventStreamDecoder;
  private controller: Dispatcher.DispatchController | undefined;
  private resolveHead!: (head: ResponseHead) => void;
  private rejectHead!: (error: unknown) => void;
  private waiter: (() => void) | undefined;
  /**
   * Whether the consumer is about to take the queue (it was woken, or the attempt is still being set up):
   * events of the same read join it without pausing the socket.
   */
  private expecting = true;
  private error: { chunks: Buffer[]; size: number } | undefined;

  constructor(
    maxEventBytes: number,
    private readonly attempt: AttemptSignal,
  ) {
    this.decoder = new EventStreamDecoder(maxEventBytes);
    this.head = new Promise<ResponseHead>((resolve, reject) => {
      this.resolveHead = resolve;
      this.rejectHead = reject;
    });
    // Never left unobserved: a failure before the headers is also raised by whoever awaits `head`.
    this.head.catch(() => undefined);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    this.attempt.onAbort((reason) => this.abort(reason));
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Dispatcher.ResponseData['headers'],
  ): void {
    // The controller lives as long as the stream and would keep the raw header buffers (a dozen Buffer
    // objects, about 2 KB) that `headers` was parsed from; nothing reads them again.
    controller.rawHeaders = null;
    this.headersAt = performance.now();
    if (statusCode < 200 || statusCode >= 300) this.error = { chunks: [], size: 0 };
    this.resolveHead({ statusCode, headers });
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const error = this.error;
    if (error) {
      error.size += chunk.byteLength;
      if (error.size > MAX_ERROR_BODY_BYTES)
        controller.abort(new GatewayError('upstream_error', 'Error body too large.'));
      else error.chunks.push(chunk);
      return;
    }
    const before = this.queue.length;
    try {
      this.decoder.pushInto(chunk, this.queue);
      this.decoder.throwIfFailed();
    } catch (failure) {
      // Events decoded before the failure stay queued: the consumer gets them, then the error.
      this.fail(failure);
      return;
    }
    if (this.queue.length === before) return;
    this.firstEventAt ??= performance.now();
    if (this.waiter) this.wake();
    else if (!this.expecting || this.queue.length >= MAX_QUEUED_EVENTS) controller.pause();
  }

  onResponseEnd(): void {
    if (this.ended) return;
    if (!this.error) {
      try {
        this.decoder.end();
      } catch (failure) {
        this.fail(failure);
        return;
      }
    }
    this.ended = true;
    this.wake();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.fail(error);
  }

  /** Resolves once an event is queued or the body ended; rejects when it failed with nothing queued. */
  async firstEvents(): Promise<void> {
    while (this.queue.length === 0 && !this.ended) await this.wait();
    if (this.queue.length === 0 && this.failure !== undefined) throw this.failure;
  }

  /** Whether every event decoded so far was taken. */
  get drained(): boolean {
    return this.queue.length === 0;
  }

  /** Takes every queued event (an empty array when none). */
  take(): UpstreamEvent[] {
    this.expecting = false;
    const events = this.queue;
    if (events.length > 0) this.queue = [];
    return events;
  }

  /** Resolves when more events, the end or a failure arrived; resumes a paused socket. */
  wait(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.waiter = resolve;
      if (this.controller?.paused && !this.ended) this.controller.resume();
    });
  }

  /** The whole body of an error response, or undefined when it was too large or cut. */
  async errorBody(): Promise<Uint8Array | undefined> {
    while (!this.ended) await this.wait();
    const error = this.error;
    if (!error || this.failure !== undefined) return undefined;
    return error.chunks.length === 1 ? error.chunks[0]! : Buffer.concat(error.chunks, error.size);
  }

  /** Stops the exchange (idempotent); a consumer waiting for events gets `reason`. */
  abort(reason: Error): void {
    if (this.ended) return;
    this.fail(reason);
  }

  private fail(failure: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = failure;
    this.rejectHead(failure);
    const controller = this.controller;
    if (controller && !controller.aborted) {
      controller.abort(failure instanceof Error ? failure : new Error('Event stream failed.'));
    }
    this.wake();
  }

  private wake(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = undefined;
    this.expecting = true;
    waiter();
  }
}

/**
 * A Bedrock event stream after its 200 headers and first event: iterate it once, event by event or (cheaper)
 * one array per upstream read with {@link UpstreamEventStream.batches}. An `exception` frame makes the
 * iteration throw the mapped GatewayError after the events before it; aborting the call's signal (or
 * {@link UpstreamEventStream.cancel}, or leaving the loop early) destroys the upstream request.
 */
export class UpstreamEventStream implements AsyncIterable<UpstreamEvent> {
  readonly status: number;
  readonly requestId: string;
  readonly headers: Record<string, string>;
  readonly attempts: number;
  readonly timing: StreamTiming;
  private readonly outcome: AttemptOutcome;
  private readonly reader: EventStreamReader;
  private consumed = false;
  private finished = false;

  /** @internal Created by {@link BedrockUpstream.stream}. */
  constructor(outcome: AttemptOutcome, reader: EventStreamReader) {
    this.outcome = outcome;
    this.reader = reader;
    this.status = outcome.response.statusCode;
    this.requestId = headerValue(outcome.response.headers['x-amzn-requestid']) ?? '';
    this.headers = flattenHeaders(outcome.response.headers);
    this.attempts = outcome.attempts;
    this.timing = {
      headersMs: outcome.headersAt - outcome.startedAt,
      firstEventMs: reader.firstEventAt === undefined ? undefined : reader.firstEventAt - outcome.startedAt,
      totalMs: undefined,
    };
  }

  [Symbol.asyncIterator](): AsyncIterator<UpstreamEvent> {
    return this.events(this.batches());
  }

  /** The events one upstream read at a time: each array holds every event its bytes completed (never empty). */
  batches(): AsyncIterable<UpstreamEvent[]> {
    if (this.consumed) throw new TypeError('An UpstreamEventStream can be iterated only once.');
    this.consumed = true;
    return this.read();
  }

  /** Whether the body has ended and every event was handed out: the iteration's next step ends it or throws. */
  get exhausted(): boolean {
    return this.reader.ended && this.reader.drained;
  }

  /** Stops reading and destroys the upstream request (idempotent). */
  cancel(): void {
    if (!this.reader.ended) this.reader.abort(new GatewayError('client_closed_request', 'The stream was cancelled.'));
    this.outcome.attempt.dispose();
    // Never iterated: the generator's cleanup will not run, so close the attempt here.
    if (!this.consumed) this.finish(undefined);
  }

  private finish(error: GatewayError | undefined): void {
    if (this.finished) return;
    this.finished = true;
    this.outcome.hooks?.end({ status: this.status, requestId: this.requestId, error, willRetry: false });
  }

  private async *events(batches: AsyncIterable<UpstreamEvent[]>): AsyncGenerator<UpstreamEvent> {
    for await (const events of batches) for (const event of events) yield event;
  }

  private async *read(): AsyncGenerator<UpstreamEvent[]> {
    const { callerSignal, startedAt } = this.outcome;
    const reader = this.reader;
    let failure: GatewayError | undefined;
    try {
      for (;;) {
        const events = reader.take();
        if (events.length > 0) {
          yield events;
          continue;
        }
        if (reader.ended) {
          if (reader.failure !== undefined) throw reader.failure;
          break;
        }
        await reader.wait();
      }
      this.timing.totalMs = performance.now() - startedAt;
    } catch (error) {
      failure = streamError(error, callerSignal);
      throw failure;
    } finally {
      // Early exit (break, exception frame, abort): make sure the socket is not left half-read.
      if (!reader.ended) reader.abort(new GatewayError('client_closed_request', 'The stream was left before its end.'));
      this.outcome.attempt.dispose();
      this.finish(failure);
    }
  }
}

function streamError(error: unknown, callerSignal: AbortSignal): GatewayError {
  if (callerSignal.aborted) return clientClosed(error);
  if (error instanceof GatewayError) return error;
  if (hasCode(error, 'UND_ERR_BODY_TIMEOUT')) {
    return new GatewayError('upstream_timeout', 'Bedrock stopped sending stream events (idle timeout).', {
      cause: error,
    });
  }
  return new GatewayError('upstream_error', 'The connection to Bedrock was lost mid-stream.', { cause: error });
}

/**
 * Links one attempt to the caller's signal and its own timeout. Streaming attempts read it as an
 * AbortSignal (undici `request()`); buffered ones register a callback ({@link AttemptSignal.onAbort}),
 * so the AbortController is only created when a signal is asked for.
 */
class AttemptSignal {
  private controller: AbortController | undefined;
  private hook: ((reason: Error) => void) | undefined;
  private reason: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  timedOut = false;

  constructor(
    private readonly parent: AbortSignal,
    readonly timeoutMs: number,
  ) {
    if (parent.aborted) this.abort(parent.reason);
    else parent.addEventListener('abort', this.onParentAbort, { once: true });
    this.timer = setTimeout(this.onTimeout, timeoutMs);
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  /** Calls `hook` when the attempt is aborted (at once if it already was). */
  onAbort(hook: (reason: Error) => void): void {
    this.hook = hook;
    if (this.reason) hook(this.reason);
  }

  private abort(reason: unknown): void {
    if (this.reason) return;
    // undici wants an Error; AbortSignal reasons are DOMExceptions unless the caller chose otherwise.
    this.reason = reason instanceof Error ? reason : new DOMException('The operation was aborted.', 'AbortError');
    this.controller?.abort(this.reason);
    this.hook?.(this.reason);
  }

  clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  dispose(): void {
    this.clearTimer();
    this.parent.removeEventListener('abort', this.onParentAbort);
  }

  private readonly onParentAbort = (): void => {
    this.clearTimer();
    this.abort(this.parent.reason);
  };

  private readonly onTimeout = (): void => {
    this.timer = undefined;
    this.timedOut = true;
    this.abort(new DOMException(`No response within ${formatDuration(this.timeoutMs)}`, 'TimeoutError'));
  };
}

function requestHeaders(
  host: string,
  streaming: boolean,
  extra: Record<string, string> | undefined,
): Record<string, string> {
  const headers: Record<string, string> = {
    host,
    'content-type': 'application/json',
    accept: streaming ? 'application/vnd.amazon.eventstream' : 'application/json',
    'user-agent': USER_AGENT,
  };
  if (extra) {
    for (const name of Object.keys(extra)) {
      const lower = name.toLowerCase();
      // The signer owns these; a caller-provided value would break or bypass the signature.
      if (lower === 'authorization' || lower === 'host' || lower.startsWith('x-amz-')) continue;
      headers[lower] = extra[name]!;
    }
  }
  return headers;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(clientClosed(signal.reason));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

async function authorize(auth: UpstreamAuth, request: SignableRequest): Promise<void> {
  try {
    await auth.authorize(request);
  } catch (error) {
    if (error instanceof GatewayError) throw error;
    // E.g. the signer refusing an incomplete credential object from a provider.
    throw new GatewayError('upstream_credentials_unavailable', 'No usable AWS credentials for the provider account.', {
      cause: error,
    });
  }
}

function hasMaterial(credentials: AccountCredentials): boolean {
  return (
    credentials.accessKeyId !== undefined ||
    credentials.secretAccessKey !== undefined ||
    credentials.sessionToken !== undefined ||
    credentials.apiKey !== undefined
  );
}

function clientClosed(cause: unknown): GatewayError {
  return new GatewayError('client_closed_request', 'The client closed the request before Bedrock answered.', { cause });
}

function hasCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function flattenHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
