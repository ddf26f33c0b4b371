export { ActivityTracker } from './activity.js';
export { authenticateHook, buildGatewayApp, rejectOtherMethods, sendError } from './app.js';
export { authenticateCaller, authorizeModel, bearerTokenOf, looksLikeJwt, mayUse, routeForSurface } from './auth.js';
export type {
  GatewayEventStream,
  GatewayUpstream,
  IdentityReviewer,
  RequestState,
  ServerContext,
  SnapshotSource,
} from './context.js';
export { toGatewayError } from './errors.js';
export { ConfigStartError, type GatewayOptions, type RunningGateway, startGateway } from './gateway.js';
export { SERVER_DEFAULTS, type ServerOptions } from './options.js';
export { ROUTE_MODULES, type RouteModule } from './routes/index.js';
export { SseWriter, sseEvents } from './sse.js';
export { unsupportedSurfaceError } from './surfaces.js';
export {
  createTokenReviewer,
  jwtExpiry,
  TOKEN_REVIEW_DEFAULTS,
  TOKEN_REVIEW_PATH,
  TokenReviewer,
  type TokenReviewOptions,
  type TokenReviewTransport,
} from './token-review.js';
