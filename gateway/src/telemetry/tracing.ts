/**
 * OpenTelemetry tracing (DESIGN.md, Observability): a server span per request, continuing the caller's
 * W3C trace context, and a client span around each Bedrock call, with the GenAI semantic-convention
 * attributes. No prompt or completion text is recorded. Off unless an OTLP endpoint is configured, and
 * then exported in batches (OTLP/HTTP), so the request path only creates spans.
 */
import {
  type Attributes,
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

/** GenAI semantic-convention attribute names (OpenTelemetry semconv, gen-ai registry). */
export const GEN_AI = {
  operationName: 'gen_ai.operation.name',
  /** Older name of `gen_ai.provider.name`; both are set for backends that read either. */
  system: 'gen_ai.system',
  providerName: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  requestMaxTokens: 'gen_ai.request.max_tokens',
  requestTemperature: 'gen_ai.request.temperature',
  requestTopP: 'gen_ai.request.top_p',
  responseId: 'gen_ai.response.id',
  responseModel: 'gen_ai.response.model',
  responseFinishReasons: 'gen_ai.response.finish_reasons',
  usageInputTokens: 'gen_ai.usage.input_tokens',
  usageOutputTokens: 'gen_ai.usage.output_tokens',
} as const;

/** The `gen_ai.provider.name` / `gen_ai.system` value for Bedrock. */
export const GEN_AI_PROVIDER = 'aws.bedrock';

export interface TracingHandle {
  readonly tracer: Tracer;
  /** Flushes buffered spans and stops exporting. */
  shutdown(): Promise<void>;
}

/**
 * Sets up tracing from the standard OpenTelemetry environment variables: enabled when
 * `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set, unless
 * `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`. The exporter reads the rest (headers,
 * timeouts) itself; `OTEL_SERVICE_NAME` defaults to `aigateway`. Registers the provider globally, which
 * also installs the W3C trace-context propagator.
 */
export function tracingFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  options: { version: string },
): TracingHandle | undefined {
  if (env.OTEL_SDK_DISABLED?.toLowerCase() === 'true') return undefined;
  if (env.OTEL_TRACES_EXPORTER?.toLowerCase() === 'none') return undefined;
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return undefined;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME || 'aigateway',
      [ATTR_SERVICE_VERSION]: options.version,
    }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  provider.register();
  return { tracer: provider.getTracer('aigateway', options.version), shutdown: () => provider.shutdown() };
}

/** Starts the server span of a request, continuing a `traceparent` the caller sent. */
export function startServerSpan(
  tracer: Tracer,
  name: string,
  headers: Record<string, string | string[] | undefined>,
  attributes: Attributes,
): Span {
  const parent = propagation.extract(ROOT_CONTEXT, headers);
  return tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
}

/** Starts a client span (a Bedrock call) under `parent`, and returns the headers that carry its context. */
export function startClientSpan(
  tracer: Tracer,
  parent: Span,
  name: string,
  attributes: Attributes,
): { span: Span; headers: Record<string, string> } {
  const parentContext: Context = trace.setSpan(context.active(), parent);
  const span = tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, parentContext);
  const headers: Record<string, string> = {};
  propagation.inject(trace.setSpan(parentContext, span), headers);
  return { span, headers };
}

/** Ends a span as failed with a stable error code (`error.type`), without message text from the request. */
export function endSpanWithError(span: Span, code: string): void {
  span.setAttribute('error.type', code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
  span.end();
}
