export { GatewayMetrics, type RequestObservation, type TokenKind } from './metrics.js';
export {
  AIGW_ATTR,
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
} from './tracing.js';
