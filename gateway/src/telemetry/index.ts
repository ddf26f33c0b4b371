export { UsageLimitMetrics } from './limit-metrics.js';
export { GatewayMetrics, type RequestObservation, type TokenKind } from './metrics.js';
export {
  endSpanWithError,
  GEN_AI,
  GEN_AI_PROVIDER,
  startClientSpan,
  startServerSpan,
  type TracingHandle,
  tracingFromEnv,
} from './tracing.js';
