/**
 * OTLP export of the GenAI metrics and of the usage records, from the standard OpenTelemetry environment
 * (docs/configuration.md, Metrics and Usage records). Prometheus on `/metrics` stays the source of every
 * metric; when OTLP metrics are on, the four GenAI histograms are also recorded on an OpenTelemetry meter
 * (same names, units, attributes and bucket boundaries) and pushed periodically. Usage records go out as
 * OTLP log records when `OTEL_LOGS_EXPORTER` names `otlp`.
 */
import type { Attributes, Histogram } from '@opentelemetry/api';
import { type Logger, SeverityNumber } from '@opentelemetry/api-logs';
import type { Resource } from '@opentelemetry/resources';
import type { LoggerProvider } from '@opentelemetry/sdk-logs';
import type { MeterProvider } from '@opentelemetry/sdk-metrics';
import { GEN_AI_BUCKETS, type GenAiMirror, type GenAiMirrorBinding, type GenAiTarget } from './genai-metrics.js';
import { GEN_AI_PROVIDER } from './tracing.js';

type Env = Readonly<Record<string, string | undefined>>;

/** A usage record as the gateway logs it (docs/configuration.md, Usage records). */
export type UsageRecord = Record<string, unknown>;

export interface OtlpSignals {
  /** Mirror of the GenAI histograms onto an OTLP meter; absent when OTLP metrics are off. */
  readonly genAiMirror: GenAiMirror | undefined;
  /** Sends one usage record as an OTLP log record; absent when OTLP logs are off. */
  readonly usageRecords: ((record: UsageRecord) => void) | undefined;
  /** Flushes and stops the exporters. */
  shutdown(): Promise<void>;
}

function exporterList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((v) => v.trim().toLowerCase())
    .filter((v) => v.length > 0);
}

/**
 * OTLP metrics are on when an endpoint is set (`OTEL_EXPORTER_OTLP_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`) and `OTEL_METRICS_EXPORTER` is unset or names `otlp`, or when
 * `OTEL_METRICS_EXPORTER` names `otlp` (the exporter's default endpoint then applies); never with
 * `OTEL_SDK_DISABLED=true`.
 */
export function otlpMetricsEnabled(env: Env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  const exporters = exporterList(env.OTEL_METRICS_EXPORTER);
  if (exporters.includes('otlp')) return true;
  if (exporters.length > 0) return false; // `none`, `prometheus`, ...: /metrics already serves Prometheus
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT?.trim());
}

/** OTLP usage records are opt-in: `OTEL_LOGS_EXPORTER` names `otlp` (and the SDK is not disabled). */
export function otlpLogsEnabled(env: Env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  return exporterList(env.OTEL_LOGS_EXPORTER).includes('otlp');
}

function protocolOf(env: Env, signal: 'METRICS' | 'LOGS'): string {
  return (env[`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`] ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf')
    .trim()
    .toLowerCase();
}

async function resourceOf(version: string): Promise<Resource> {
  const {
    defaultResource,
    detectResources,
    envDetector,
    hostDetector,
    osDetector,
    resourceFromAttributes,
    serviceInstanceIdDetector,
  } = await import('@opentelemetry/resources');
  // Loaded here, with the exporters, for the same reason as in tracing.ts.
  const { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } = await import('@opentelemetry/semantic-conventions');
  // As the trace SDK builds it: defaults, then service name and version, then the detectors
  // (OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME override the defaults).
  return defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'aigateway', [ATTR_SERVICE_VERSION]: version }))
    .merge(detectResources({ detectors: [hostDetector, osDetector, serviceInstanceIdDetector, envDetector] }));
}

/**
 * Starts the OTLP metric and log pipelines the environment asks for (see {@link otlpMetricsEnabled},
 * {@link otlpLogsEnabled}); the exporters read endpoints, headers, timeouts and compression from the
 * environment themselves, `OTEL_EXPORTER_OTLP_(METRICS|LOGS_)PROTOCOL` picks http/protobuf (default),
 * http/json or grpc, and `OTEL_METRIC_EXPORT_INTERVAL` the push interval (default 60 s).
 */
export async function otlpSignalsFromEnv(env: Env, options: { version: string }): Promise<OtlpSignals> {
  const metricsOn = otlpMetricsEnabled(env);
  const logsOn = otlpLogsEnabled(env);
  if (!metricsOn && !logsOn) return { genAiMirror: undefined, usageRecords: undefined, shutdown: async () => {} };
  // The SDKs and exporters (gRPC and protobuf among them) are loaded only when a signal is on: together
  // they are some 20 MiB of resident memory that a gateway without OTLP export should not carry.
  const resource = await resourceOf(options.version);
  let meterProvider: MeterProvider | undefined;
  let loggerProvider: LoggerProvider | undefined;
  if (metricsOn) {
    const { MeterProvider, PeriodicExportingMetricReader } = await import('@opentelemetry/sdk-metrics');
    const protocol = protocolOf(env, 'METRICS');
    const exporter =
      protocol === 'grpc'
        ? new (await import('@opentelemetry/exporter-metrics-otlp-grpc')).OTLPMetricExporter()
        : protocol === 'http/json'
          ? new (await import('@opentelemetry/exporter-metrics-otlp-http')).OTLPMetricExporter()
          : new (await import('@opentelemetry/exporter-metrics-otlp-proto')).OTLPMetricExporter();
    const interval = Number(env.OTEL_METRIC_EXPORT_INTERVAL);
    meterProvider = new MeterProvider({
      resource,
      readers: [
        new PeriodicExportingMetricReader({
          exporter,
          ...(Number.isFinite(interval) && interval > 0 ? { exportIntervalMillis: interval } : {}),
        }),
      ],
    });
  }
  if (logsOn) {
    const { BatchLogRecordProcessor, LoggerProvider } = await import('@opentelemetry/sdk-logs');
    const protocol = protocolOf(env, 'LOGS');
    const exporter =
      protocol === 'grpc'
        ? new (await import('@opentelemetry/exporter-logs-otlp-grpc')).OTLPLogExporter()
        : protocol === 'http/json'
          ? new (await import('@opentelemetry/exporter-logs-otlp-http')).OTLPLogExporter()
          : new (await import('@opentelemetry/exporter-logs-otlp-proto')).OTLPLogExporter();
    loggerProvider = new LoggerProvider({ resource, processors: [new BatchLogRecordProcessor({ exporter })] });
  }
  const logger = loggerProvider?.getLogger('aigateway', options.version);
  return {
    genAiMirror: meterProvider ? otelGenAiMirror(meterProvider, options.version) : undefined,
    usageRecords: logger ? (record) => emitUsageRecord(logger, record) : undefined,
    async shutdown() {
      await Promise.all([meterProvider?.shutdown(), loggerProvider?.shutdown()]);
    },
  };
}

/** The GenAI instruments on an OpenTelemetry meter, attributes built once per series. */
function otelGenAiMirror(provider: MeterProvider, version: string): GenAiMirror {
  const meter = provider.getMeter('aigateway', version);
  const tokenUsage = meter.createHistogram('gen_ai.client.token.usage', {
    description: 'Number of input and output tokens used.',
    unit: '{token}',
    advice: { explicitBucketBoundaries: [...GEN_AI_BUCKETS.tokenUsage] },
  });
  const duration = meter.createHistogram('gen_ai.client.operation.duration', {
    description: 'GenAI operation duration.',
    unit: 's',
    advice: { explicitBucketBoundaries: [...GEN_AI_BUCKETS.operationDuration] },
  });
  const ttft = meter.createHistogram('gen_ai.server.time_to_first_token', {
    description: 'Time to generate first token for successful responses.',
    unit: 's',
    advice: { explicitBucketBoundaries: [...GEN_AI_BUCKETS.timeToFirstToken] },
  });
  const tpot = meter.createHistogram('gen_ai.server.time_per_output_token', {
    description: 'Time per output token generated after the first token for successful responses.',
    unit: 's',
    advice: { explicitBucketBoundaries: [...GEN_AI_BUCKETS.timePerOutputToken] },
  });
  return { bind: (target) => new OtelGenAiBinding(target, { tokenUsage, duration, ttft, tpot }) };
}

class OtelGenAiBinding implements GenAiMirrorBinding {
  readonly #base: Attributes;
  readonly #input: Attributes;
  readonly #output: Attributes;
  readonly #errors = new Map<string, Attributes>();
  readonly #h: { tokenUsage: Histogram; duration: Histogram; ttft: Histogram; tpot: Histogram };

  constructor(
    target: GenAiTarget,
    histograms: { tokenUsage: Histogram; duration: Histogram; ttft: Histogram; tpot: Histogram },
  ) {
    this.#h = histograms;
    this.#base = Object.freeze({
      'gen_ai.operation.name': target.operation,
      'gen_ai.provider.name': GEN_AI_PROVIDER,
      'gen_ai.request.model': target.modelId,
      'gen_ai.response.model': target.modelId,
      'server.address': target.serverAddress,
    });
    this.#input = Object.freeze({ ...this.#base, 'gen_ai.token.type': 'input' });
    this.#output = Object.freeze({ ...this.#base, 'gen_ai.token.type': 'output' });
  }

  tokens(type: 'input' | 'output', count: number): void {
    this.#h.tokenUsage.record(count, type === 'input' ? this.#input : this.#output);
  }

  duration(seconds: number, errorType: string | undefined): void {
    if (errorType === undefined) {
      this.#h.duration.record(seconds, this.#base);
      return;
    }
    let attributes = this.#errors.get(errorType);
    if (!attributes) {
      attributes = Object.freeze({ ...this.#base, 'error.type': errorType });
      this.#errors.set(errorType, attributes);
    }
    this.#h.duration.record(seconds, attributes);
  }

  timeToFirstToken(seconds: number): void {
    this.#h.ttft.record(seconds, this.#base);
  }

  timePerOutputToken(seconds: number): void {
    this.#h.tpot.record(seconds, this.#base);
  }
}

/** One usage record as an OTLP log record: body `request served`, the fields as attributes (`aigw.usage.*`). */
function emitUsageRecord(logger: Logger, record: UsageRecord): void {
  const attributes: Attributes = {};
  for (const [key, value] of Object.entries(record)) {
    if (value === null || value === undefined) continue;
    if (typeof value === 'object' && !Array.isArray(value)) {
      for (const [inner, v] of Object.entries(value as Record<string, unknown>))
        if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean')
          attributes[`aigw.usage.${key}.${inner}`] = v;
    } else if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') {
      attributes[`aigw.usage.${key}`] = value;
    } else if (Array.isArray(value)) {
      attributes[`aigw.usage.${key}`] = value.filter((v): v is string => typeof v === 'string');
    }
  }
  logger.emit({
    severityNumber: SeverityNumber.INFO,
    severityText: 'INFO',
    body: 'request served',
    attributes,
  });
}
