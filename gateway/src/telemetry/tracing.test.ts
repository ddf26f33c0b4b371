import { SpanKind } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { startServerSpan, tracingEnabled, usageAttributes } from './tracing.js';

describe('tracingEnabled', () => {
  it.each([
    [{}, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }, true],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }, false],
    [{ OTEL_TRACES_EXPORTER: 'console' }, true],
    [{ OTEL_TRACES_EXPORTER: 'otlp' }, true],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'TRUE' }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'false' }, true],
  ] as const)('%j → %s', (env, expected) => {
    expect(tracingEnabled(env)).toBe(expected);
  });
});

describe('usageAttributes', () => {
  it('counts cache reads and writes inside input tokens, as the GenAI conventions do, and also apart', () => {
    expect(usageAttributes({ inputTokens: 10, outputTokens: 4, cacheReadTokens: 100, cacheWriteTokens: 5 })).toEqual({
      'gen_ai.usage.input_tokens': 115,
      'gen_ai.usage.output_tokens': 4,
      'gen_ai.usage.cache_read.input_tokens': 100,
      'gen_ai.usage.cache_creation.input_tokens': 5,
    });
    expect(usageAttributes({ inputTokens: 3 })).toEqual({ 'gen_ai.usage.input_tokens': 3 });
  });
});

describe('startServerSpan', () => {
  const exporter = new InMemorySpanExporter();
  const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('t');

  it.each([
    ['gateway.example.com:8443', 'gateway.example.com', 8443],
    ['gateway.example.com', 'gateway.example.com', 8080],
    ['[::1]:9000', '::1', 9000],
  ])('reads server.address and server.port from Host %s', (host, address, port) => {
    exporter.reset();
    startServerSpan(tracer, {
      method: 'POST',
      route: '/v1/embeddings',
      url: '/v1/embeddings?x=1',
      headers: { host },
      scheme: 'http',
      localPort: 8080,
      clientAddress: '10.0.0.7',
    }).end();
    const [span] = exporter.getFinishedSpans();
    expect(span!.kind).toBe(SpanKind.SERVER);
    expect(span!.name).toBe('POST /v1/embeddings');
    expect(span!.attributes).toMatchObject({
      'server.address': address,
      'server.port': port,
      'url.path': '/v1/embeddings',
      'client.address': '10.0.0.7',
    });
  });
});
