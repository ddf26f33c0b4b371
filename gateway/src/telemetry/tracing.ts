/**
 * OpenTelemetry tracing (DESIGN.md, Observability), set up with `@opentelemetry/sdk-node` from the
 * standard OTEL_* environment: a server span per HTTP request (continuing the caller's W3C trace
 * context), and one GenAI client span per Bedrock call, named and attributed per the OpenTelemetry
 * GenAI semantic conventions (docs/configuration.md, Tracing, names the version). Prompt and completion
 * text are recorded only when explicitly enabled. Off unless an exporter is configured; then spans are
 * exported in batches, so the request path only creates spans. Off means no tracer: routes create no
 * span objects at all.
 */
import {
  type Attributes,
  type Context,
  context,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { UpstreamAttemptHooks, UpstreamAttemptObserver, UpstreamAttemptStart } from '../upstream/index.js';

/** GenAI semantic-convention attribute names (OpenTelemetry GenAI registry). */
export const GEN_AI = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  /** Deprecated name of `gen_ai.provider.name`, still set for backends that read only it. */
  system: 'gen_ai.system',
  requestModel: 'gen_ai.request.model',
  requestMaxTokens: 'gen_ai.request.max_tokens',
  requestTemperature: 'gen_ai.request.temperature',
  requestTopP: 'gen_ai.request.top_p',
  requestStopSequences: 'gen_ai.request.stop_sequences',
  requestChoiceCount: 'gen_ai.request.choice.count',
  requestSeed: 'gen_ai.request.seed',
  requestStream: 'gen_ai.request.stream',
  requestEncodingFormats: 'gen_ai.request.encoding_formats',
  embeddingsDimensionCount: 'gen_ai.embeddings.dimension.count',
  outputType: 'gen_ai.output.type',
  responseId: 'gen_ai.response.id',
  responseModel: 'gen_ai.response.model',
  responseFinishReasons: 'gen_ai.response.finish_reasons',
  responseTimeToFirstChunk: 'gen_ai.response.time_to_first_chunk',
  usageInputTokens: 'gen_ai.usage.input_tokens',
  usageOutputTokens: 'gen_ai.usage.output_tokens',
  usageCacheReadInputTokens: 'gen_ai.usage.cache_read.input_tokens',
  usageCacheCreationInputTokens: 'gen_ai.usage.cache_creation.input_tokens',
  inputMessages: 'gen_ai.input.messages',
  outputMessages: 'gen_ai.output.messages',
} as const;

/** The gateway's own span attributes (`aigw.*`). */
export const AIGW_ATTR = {
  /** The served model name the caller asked for (gen_ai.request.model carries Bedrock's model id). */
  model: 'aigw.model',
  /** The ProviderAccount the call went through. */
  account: 'aigw.account',
  /** Upstream attempts made (1 without retries), on every outcome. */
  upstreamAttempts: 'aigw.upstream.attempts',
  /** Bedrock's `x-amzn-RequestId` of the last attempt that got an answer. */
  upstreamRequestId: 'aws.request_id',
  /** Calls a fan-out request (embeddings, images) made, on the server span. */
  upstreamCalls: 'aigw.upstream.calls',
  /** Index of a fan-out call within its request. */
  callIndex: 'aigw.upstream.call_index',
  /** The request id (`x-request-id`) on the server span. */
  requestId: 'aigw.request_id',
} as const;

/** The `gen_ai.provider.name` value for Bedrock. */
export const GEN_AI_PROVIDER = 'aws.bedrock';

/** GenAI operation names the gateway emits (`gen_ai.operation.name`). */
export type GenAiOperation = 'chat' | 'embeddings' | 'generate_content';

/** Whether prompt and completion text may be recorded on spans (opt-in). */
export const CAPTURE_CONTENT_ENV = 'OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT';

export interface TracingHandle {
  readonly tracer: Tracer;
  /** True when `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true`: chat spans carry message text. */
  readonly captureContent: boolean;
  /** Flushes buffered spans and stops exporting. */
  shutdown(): Promise<void>;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Whether the environment asks for trace export: an OTLP endpoint (`OTEL_EXPORTER_OTLP_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) or an explicit `OTEL_TRACES_EXPORTER`; never with
 * `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`.
 */
export function tracingEnabled(env: Env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  if (exporters.includes('none')) return false;
  if (exporters.length > 0) return true;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim());
}

/**
 * Starts the OpenTelemetry Node SDK for traces when {@link tracingEnabled}. The SDK reads the rest of
 * the standard environment itself from `process.env`: `OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL`
 * (`http/protobuf` by default, `http/json`, `grpc`), endpoints, headers, timeouts and compression,
 * `OTEL_TRACES_SAMPLER(_ARG)`, `OTEL_PROPAGATORS` (default `tracecontext,baggage`), the span limits,
 * `OTEL_RESOURCE_ATTRIBUTES` and `OTEL_SERVICE_NAME`. The resource also carries `service.instance.id`
 * (a UUID per process, overridable through `OTEL_RESOURCE_ATTRIBUTES`), `service.version`, host and OS,
 * and `telemetry.sdk.*`. Metrics and logs are not set up here.
 */
export async function tracingFromEnv(
  env: Env,
  options: { version: string; serviceName?: string },
): Promise<TracingHandle | undefined> {
  if (!tracingEnabled(env)) return undefined;
  // Loaded only when tracing is on: the SDK with its exporters (gRPC, protobuf) costs seconds of start-up
  // and tens of MiB that a gateway without tracing should not pay.
  const { NodeSDK, resources } = await import('@opentelemetry/sdk-node');
  // The semantic conventions too: the module is every stable attribute name (over 300 KB of source) for two of them.
  const { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } = await import('@opentelemetry/semantic-conventions');
  const { defaultResource, resourceFromAttributes, envDetector, hostDetector, osDetector, serviceInstanceIdDetector } =
    resources;
  const sdk = new NodeSDK({
    // Defaults first; the detectors (OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME among them) override them.
    resource: defaultResource().merge(
      resourceFromAttributes({
        [ATTR_SERVICE_NAME]: options.serviceName ?? 'aigateway',
        [ATTR_SERVICE_VERSION]: options.version,
      }),
    ),
    // The process detector is left out by default: it would export the command line. OTEL_NODE_RESOURCE_DETECTORS
    // (read by the SDK) picks detectors explicitly.
    ...(env.OTEL_NODE_RESOURCE_DETECTORS
      ? {}
      : { resourceDetectors: [hostDetector, osDetector, serviceInstanceIdDetector, envDetector] }),
    // Metrics (Prometheus on /metrics) and logs (pino) have their own set-up; without these the SDK
    // would start OTLP metric and log exporters of its own.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  return {
    tracer: trace.getTracer('aigateway', options.version),
    captureContent: env[CAPTURE_CONTENT_ENV]?.trim().toLowerCase() === 'true',
    shutdown: () => sdk.shutdown(),
  };
}

/** What the server span starts with. */
export interface ServerSpanStart {
  method: string;
  /** The matched route template, or undefined for an unmatched request. */
  route: string | undefined;
  /** `request.url` (path and query). */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  scheme: 'http' | 'https';
  /** The socket's local port. */
  localPort: number | undefined;
  clientAddress: string | undefined;
}

/**
 * Starts the server span of a request (HTTP semantic conventions), continuing a `traceparent` the
 * caller sent. Named `{method} {route}`, or the method alone for a request no route matched.
 */
export function startServerSpan(tracer: Tracer, start: ServerSpanStart): Span {
  const parent = propagation.extract(ROOT_CONTEXT, start.headers);
  const attributes: Attributes = {
    'http.request.method': start.method,
    'url.path': pathOf(start.url),
    'url.scheme': start.scheme,
  };
  if (start.route !== undefined) attributes['http.route'] = start.route;
  const host = hostOf(start.headers.host);
  if (host) {
    attributes['server.address'] = host.address;
    const port = host.port ?? start.localPort;
    if (port !== undefined) attributes['server.port'] = port;
  }
  if (start.clientAddress) attributes['client.address'] = start.clientAddress;
  const agent = start.headers['user-agent'];
  if (typeof agent === 'string') attributes['user_agent.original'] = agent;
  const name = start.route !== undefined ? `${start.method} ${start.route}` : start.method;
  return tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
}

/** What a GenAI client span (one Bedrock call) starts with. */
export interface GenAiCallStart {
  operation: GenAiOperation;
  /** Bedrock's model id (also the response model: Bedrock serves the id it was called with). */
  modelId: string;
  /** The served model name the caller used. */
  servedModel: string;
  account: string;
  region: string;
  /** Request attributes of the surface (sampling settings, output type, ...). */
  attributes?: Attributes;
  /** Links (e.g. none today; reserved for batch work). */
  links?: Link[];
}

/**
 * A GenAI client span around one Bedrock call (all its attempts): named
 * `{gen_ai.operation.name} {gen_ai.request.model}`, child of the request's server span. Hand its
 * `onAttempt` to the upstream call: each attempt gets an HTTP client span (`POST`) below this one, and
 * its W3C `traceparent`/`tracestate` go to Bedrock. End it with `succeed` or `fail`, which both record
 * `aigw.upstream.attempts`.
 */
export class GenAiClientSpan {
  readonly span: Span;
  private attempts = 0;
  private ended = false;
  /** The upstream attempt observer for this call. */
  readonly onAttempt: UpstreamAttemptObserver;

  constructor(tracer: Tracer, parent: Span, start: GenAiCallStart) {
    const parentContext: Context = trace.setSpan(context.active(), parent);
    const attributes: Attributes = {
      [GEN_AI.operationName]: start.operation,
      [GEN_AI.providerName]: GEN_AI_PROVIDER,
      [GEN_AI.system]: GEN_AI_PROVIDER,
      [GEN_AI.requestModel]: start.modelId,
      [AIGW_ATTR.model]: start.servedModel,
      [AIGW_ATTR.account]: start.account,
      'cloud.region': start.region,
      ...start.attributes,
    };
    this.span = tracer.startSpan(
      `${start.operation} ${start.modelId}`,
      { kind: SpanKind.CLIENT, attributes, ...(start.links ? { links: start.links } : {}) },
      parentContext,
    );
    this.span.setAttribute(GEN_AI.responseModel, start.modelId);
    this.onAttempt = (attempt: UpstreamAttemptStart) => this.startAttempt(tracer, attempt);
  }

  /**
   * One HTTP client span per attempt, child of this span, whose context goes to Bedrock in
   * `traceparent`/`tracestate` (W3C: the outgoing request's parent is the span of that request).
   */
  private startAttempt(tracer: Tracer, start: UpstreamAttemptStart): UpstreamAttemptHooks {
    this.attempts = start.attempt;
    const server = serverOf(start.origin);
    if (start.attempt === 1 && server) this.span.setAttributes(server);
    const attributes: Attributes = { 'http.request.method': 'POST', ...server };
    if (start.attempt > 1) attributes['http.request.resend_count'] = start.attempt - 1;
    const parent = trace.setSpan(ROOT_CONTEXT, this.span);
    const span = tracer.startSpan('POST', { kind: SpanKind.CLIENT, attributes }, parent);
    const headers: Record<string, string> = {};
    propagation.inject(trace.setSpan(parent, span), headers);
    return {
      headers,
      end: (result) => {
        if (result.status !== undefined) span.setAttribute('http.response.status_code', result.status);
        if (result.requestId) {
          span.setAttribute(AIGW_ATTR.upstreamRequestId, result.requestId);
          this.span.setAttribute(AIGW_ATTR.upstreamRequestId, result.requestId);
        }
        if (result.error) endSpanWithError(span, result.error.code);
        else span.end();
      },
    };
  }

  /** Sets attributes (usage, finish reasons, ...) without ending the span. */
  set(attributes: Attributes): void {
    this.span.setAttributes(attributes);
  }

  /** Ends the span as successful. */
  succeed(attributes?: Attributes): void {
    if (this.ended) return;
    this.ended = true;
    if (attributes) this.span.setAttributes(attributes);
    this.span.setAttribute(AIGW_ATTR.upstreamAttempts, this.attempts);
    this.span.end();
  }

  /** Ends the span as failed with a stable error code (`error.type`), without message text. */
  fail(code: string, attributes?: Attributes): void {
    if (this.ended) return;
    this.ended = true;
    if (attributes) this.span.setAttributes(attributes);
    this.span.setAttribute(AIGW_ATTR.upstreamAttempts, this.attempts);
    endSpanWithError(this.span, code);
  }
}

/** Starts a GenAI client span for one Bedrock call; undefined when tracing is off (no objects created). */
export function startGenAiSpan(
  tracer: Tracer | undefined,
  parent: Span | undefined,
  start: GenAiCallStart,
): GenAiClientSpan | undefined {
  return tracer && parent ? new GenAiClientSpan(tracer, parent, start) : undefined;
}

/**
 * Runs `fn` with `span` as the active span, so clients that read the active context (the S3 client's
 * tracing middleware) parent their spans on it. Without a span, `fn` runs as is.
 */
export function withActiveSpan<T>(span: Span | undefined, fn: () => T): T {
  return span ? context.with(trace.setSpan(context.active(), span), fn) : fn();
}

/**
 * AWS SDK v3 middleware that records each command as a CLIENT span (`S3.PutObject`, … per the AWS SDK
 * semantic conventions) under the active span. Without an active span (tracing off, or work outside a
 * request) it only passes the call on.
 */
export function awsSdkTracingMiddleware(service: string) {
  // Typed loosely on purpose: the SDK's middleware types differ per client, the shape used here does not.
  return (
    next: (args: {
      input: Record<string, unknown>;
    }) => Promise<{ output: { $metadata?: { requestId?: string; httpStatusCode?: number } } }>,
    handlerContext: { commandName?: string },
  ) =>
    async (args: { input: Record<string, unknown> }) => {
      const active = context.active();
      const parent = trace.getSpan(active);
      if (!parent?.isRecording()) return next(args);
      const method = (handlerContext.commandName ?? 'Unknown').replace(/Command$/, '');
      const attributes: Attributes = { 'rpc.system': 'aws-api', 'rpc.service': service, 'rpc.method': method };
      if (typeof args.input.Bucket === 'string') attributes['aws.s3.bucket'] = args.input.Bucket;
      if (typeof args.input.Key === 'string') attributes['aws.s3.key'] = args.input.Key;
      const span = trace
        .getTracer('aigateway')
        .startSpan(`${service}.${method}`, { kind: SpanKind.CLIENT, attributes }, active);
      try {
        const out = await next(args);
        const meta = out.output.$metadata;
        if (meta?.requestId) span.setAttribute(AIGW_ATTR.upstreamRequestId, meta.requestId);
        if (meta?.httpStatusCode) span.setAttribute('http.response.status_code', meta.httpStatusCode);
        span.end();
        return out;
      } catch (err) {
        const e = err as { name?: string; $metadata?: { httpStatusCode?: number; requestId?: string } };
        if (e.$metadata?.httpStatusCode) span.setAttribute('http.response.status_code', e.$metadata.httpStatusCode);
        if (e.$metadata?.requestId) span.setAttribute(AIGW_ATTR.upstreamRequestId, e.$metadata.requestId);
        endSpanWithError(span, typeof e.name === 'string' ? e.name : 'Error');
        throw err;
      }
    };
}

/** GenAI usage attributes from Bedrock's token counts (input tokens exclude cache reads and writes). */
export function usageAttributes(usage: {
  inputTokens?: number | undefined;
  outputTokens?: number | undefined;
  cacheReadTokens?: number | undefined;
  cacheWriteTokens?: number | undefined;
}): Attributes {
  const attributes: Attributes = {};
  const read = usage.cacheReadTokens ?? 0;
  const write = usage.cacheWriteTokens ?? 0;
  // The conventions count cached tokens inside gen_ai.usage.input_tokens; Bedrock reports them apart.
  if (usage.inputTokens !== undefined) attributes[GEN_AI.usageInputTokens] = usage.inputTokens + read + write;
  if (usage.outputTokens !== undefined) attributes[GEN_AI.usageOutputTokens] = usage.outputTokens;
  if (usage.cacheReadTokens !== undefined) attributes[GEN_AI.usageCacheReadInputTokens] = read;
  if (usage.cacheWriteTokens !== undefined) attributes[GEN_AI.usageCacheCreationInputTokens] = write;
  return attributes;
}

/** Ends a span as failed with a stable error code (`error.type`), without message text from the request. */
export function endSpanWithError(span: Span, code: string): void {
  span.setAttribute('error.type', code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
  span.end();
}

/** `server.address`/`server.port` of an upstream origin. */
function serverOf(origin: string): Attributes | undefined {
  try {
    const url = new URL(origin);
    const port = url.port ? Number(url.port) : url.protocol === 'http:' ? 80 : 443;
    return { 'server.address': url.hostname.replace(/^\[|\]$/g, ''), 'server.port': port };
  } catch {
    return undefined; // an origin the endpoint resolver built is always a URL
  }
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/** `host[:port]` of a Host header (IPv6 literals in brackets). */
function hostOf(header: string | string[] | undefined): { address: string; port: number | undefined } | undefined {
  if (typeof header !== 'string' || header === '') return undefined;
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(header);
  if (!m) return undefined;
  const address = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
  return { address, port: m[2] !== undefined ? Number(m[2]) : undefined };
}
