export {
  GEN_AI_BUCKETS,
  GEN_AI_METRIC_NAMES,
  GenAiBinding,
  type GenAiMirror,
  type GenAiMirrorBinding,
  type GenAiTarget,
} from './genai-metrics.js';
export { UsageLimitMetrics } from './limit-metrics.js';
export {
  GatewayMetrics,
  type RequestObservation,
  type TokenKind,
  type UpstreamOutcome,
} from './metrics.js';
export {
  type OtlpSignals,
  otlpLogsEnabled,
  otlpMetricsEnabled,
  otlpSignalsFromEnv,
  type UsageRecord,
} from './otlp.js';
export { RouteMetrics } from './route-metrics.js';
export {
  AIGW_ATTR,
  awsSdkTracingMiddleware,
  CAPTURE_CONTENT_ENV,
  endSpanWithError,
  GEN_AI,
  GEN_AI_PROVIDER,
  type GenAiCallStart,
  GenAiClientSpan,
  type GenAiOperation,
  type ServerSpanStart,
  startGenAiSpan,
  startServerSpan,
  type TracingHandle,
  tracingEnabled,
  tracingFromEnv,
  usageAttributes,
  withActiveSpan,
} from './tracing.js';
