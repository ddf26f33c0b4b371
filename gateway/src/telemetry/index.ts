export { GatewayMetrics, type RequestObservation, type TokenKind } from './metrics.js';
