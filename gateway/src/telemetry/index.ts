export {
  GEN_AI_BUCKETS,
  GEN_AI_METRIC_NAMES,
  GEN_AI_PROVIDER_NAME,
  GenAiBinding,
  type GenAiMirror,
  type GenAiMirrorBinding,
  type GenAiOperation,
  type GenAiTarget,
} from './genai-metrics.js';
export {
  GatewayMetrics,
  type RequestObservation,
  type TokenKind,
  type UpstreamOutcome,
} from './metrics.js';
export {
  endSpanWithError,
  GEN_AI,
  GEN_AI_PROVIDER,
  startClientSpan,
  startServerSpan,
  type TracingHandle,
  tracingFromEnv,
} from './tracing.js';
