/**
 * ModelRoute routing: target choice (weights, priorities, prompt-cache affinity by rendezvous hashing),
 * outlier ejection with back-off and probes, failover before the first byte, and the shared record of
 * ejections (docs/resources.md, ModelRoute).
 */
export { type AffinityKey, affinityKey, type CachePrefixSource, rendezvousScore, targetSeed } from './affinity.js';
export {
  type BalancerOptions,
  type EjectionEvent,
  type RestoreEvent,
  type RouteAttempt,
  RouteBalancer,
  type RouteReason,
  type TargetHealth,
} from './balancer.js';
export { ROUTING_DEFAULTS, type RoutingOptions, resolveRoutingOptions } from './defaults.js';
export { type EjectionSink, RedisEjectionSink, type RedisEjectionSinkOptions } from './ejection-store.js';
export { failureClass } from './failure.js';
export {
  ROUTE_ATTR,
  RoutedRequest,
  Router,
  type RouterLogger,
  type RouterOptions,
  TARGET_HEADER,
  type TargetCall,
} from './router.js';
