/**
 * A ModelRoute request from choice to answer: the attempt plan of the balancer, one call per target with
 * failover before the first byte (docs/resources.md, ModelRoute semantics), the health reports that drive
 * ejection, and the metrics, log lines and shared-store records of it all. One Router per gateway process.
 */
import { performance } from 'node:perf_hooks';
import type { Attributes } from '@opentelemetry/api';
import type { CompiledModelRoute, CompiledRouteTarget } from '../config/index.js';
import { LimitExceededError } from '../limits/index.js';
import type { RouteMetrics } from '../telemetry/index.js';
import type { AffinityKey } from './affinity.js';
import { type EjectionEvent, type RestoreEvent, RouteBalancer, type RouteReason } from './balancer.js';
import { type RoutingOptions, resolveRoutingOptions } from './defaults.js';
import type { EjectionSink } from './ejection-store.js';
import { failureClass } from './failure.js';

/** Span attributes of a routed request (on the request's server span). */
export const ROUTE_ATTR = {
  /** The route's name (without `route/`). */
  route: 'aigw.route',
  /** `account/model` of the target that answered (or failed last). */
  target: 'aigw.route.target',
  /** Why that target was attempted: weight, affinity, failover, probe or ejected. */
  reason: 'aigw.route.reason',
  /** Targets attempted (1 without failover). */
  attempts: 'aigw.route.attempts',
} as const;

/** Response header naming the target (`account/model`) a routed request was sent to. */
export const TARGET_HEADER = 'x-aigateway-target';

/** The log lines the router writes (pino-style). */
export interface RouterLogger {
  info(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface RouterOptions extends Partial<RoutingOptions> {
  metrics: RouteMetrics;
  logger: RouterLogger;
  /** The upstream client's whole-call deadline, ms: here the deadline of all targets of one request. */
  deadlineMs: number;
  /** Shared store of ejections (Redis); absent = this replica only. */
  sink?: EjectionSink | undefined;
  /** Key of a route's record in the sink (routeEjectionKey of the config). */
  sinkKey?: (namespace: string, route: string) => string;
  now?: () => number;
  random?: () => number;
}

/** What one target call gets: the target, why it was chosen, and the limits that keep failover possible. */
export interface TargetCall<T extends CompiledRouteTarget> {
  readonly target: T;
  readonly reason: RouteReason;
  /** Pass to UpstreamCall.limits. */
  readonly limits: { maxAttempts?: number; attemptTimeoutMs?: number; deadlineAt: number };
}

export class Router {
  readonly balancer: RouteBalancer;
  readonly options: RoutingOptions;
  readonly #metrics: RouteMetrics;
  readonly #logger: RouterLogger;
  readonly #deadlineMs: number;
  readonly #sink: EjectionSink | undefined;
  readonly #sinkKey: ((namespace: string, route: string) => string) | undefined;
  /** The namespace of the config in use (one per gateway), for the shared-store key. */
  #namespace = '';

  constructor(options: RouterOptions) {
    const { metrics, logger, deadlineMs, sink, sinkKey, now, random, ...rest } = options;
    this.options = resolveRoutingOptions(rest);
    this.#metrics = metrics;
    this.#logger = logger;
    this.#deadlineMs = deadlineMs;
    this.#sink = sink;
    this.#sinkKey = sinkKey;
    this.balancer = new RouteBalancer({
      ...(now ? { now } : {}),
      ...(random ? { random } : {}),
      probeTimeoutMs: this.options.probeTimeoutMs,
      onEject: (event) => this.#ejected(event),
      onRestore: (event) => this.#restored(event),
    });
  }

  /** Plans one request over the targets the caller may use (never empty). */
  begin<T extends CompiledRouteTarget>(
    route: CompiledModelRoute,
    targets: readonly T[],
    namespace: string,
    key?: AffinityKey,
  ): RoutedRequest<T> {
    this.#namespace = namespace;
    return new RoutedRequest(this, route, this.balancer.plan(route, targets, key), this.#deadlineMs);
  }

  /** @internal */
  decision(route: string, target: string, reason: RouteReason): void {
    this.#metrics.decision(route, target, reason);
  }

  /** @internal */
  failover(route: string, from: string, reason: string): void {
    this.#metrics.failover(route, from, reason);
  }

  async close(): Promise<void> {
    await this.#sink?.close();
  }

  #ejected(event: EjectionEvent): void {
    this.#metrics.ejection(event.route, event.target);
    this.#logger.info(
      {
        route: event.route,
        target: event.target,
        seconds: event.seconds,
        ejections: event.ejections,
        reason: event.reason,
        until: new Date(event.until).toISOString(),
      },
      'route target ejected',
    );
    if (this.#sink && this.#sinkKey) {
      // A record outlives the longest ejection a little, so a replica's restart cannot leave it behind.
      this.#sink.ejected(
        this.#sinkKey(this.#namespace, event.route),
        event.target,
        event.until,
        event.maxSeconds * 1000 + 60_000,
      );
    }
  }

  #restored(event: RestoreEvent): void {
    this.#logger.info({ route: event.route, target: event.target }, 'route target restored');
    if (this.#sink && this.#sinkKey) this.#sink.restored(this.#sinkKey(this.#namespace, event.route), event.target);
  }
}

/** One request's walk through its attempt plan. */
export class RoutedRequest<T extends CompiledRouteTarget> {
  readonly route: CompiledModelRoute;
  readonly plan: readonly { target: T; reason: RouteReason }[];
  /** Targets attempted so far. */
  attempted = 0;
  /** The target attempted last (the first choice before {@link run}). */
  target: T;
  reason: RouteReason;
  readonly #router: Router;
  readonly #deadlineMs: number;
  /** A stream's target awaiting its verdict (given when the stream ends, see {@link streamEnded}). */
  #streaming: { name: string; reason: RouteReason } | undefined;

  constructor(
    router: Router,
    route: CompiledModelRoute,
    plan: readonly { target: T; reason: RouteReason }[],
    deadlineMs: number,
  ) {
    this.#router = router;
    this.route = route;
    this.plan = plan;
    this.#deadlineMs = deadlineMs;
    this.target = plan[0]!.target;
    this.reason = plan[0]!.reason;
  }

  /**
   * Calls `call` for the plan's targets in order until one succeeds (its result is returned) or an error
   * must not fail over (thrown). `call` must reject before anything reached the caller: for a stream, it
   * resolves once the first upstream event arrived and never after the caller saw a byte. `onAttempt` runs
   * before each call (e.g. to name the target in a response header).
   *
   * Failover happens on an error whose class is in the route's retryOn, while the overall deadline
   * (the upstream deadline, from the first attempt) has time left and the caller is still there. A target
   * refused by the caller's own UsagePolicy limits is skipped without counting against its health.
   */
  async run<R>(
    options: { stream: boolean; signal: AbortSignal; onAttempt?: (target: T) => void },
    call: (attempt: TargetCall<T>) => Promise<R>,
  ): Promise<R> {
    const router = this.#router;
    const route = this.route;
    const balancer = router.balancer;
    const deadlineAt = performance.now() + this.#deadlineMs;
    const plan = this.plan;
    let lastError: unknown;
    for (let i = 0; i < plan.length; i++) {
      const step = plan[i]!;
      const name = step.target.servedName;
      const last = i === plan.length - 1;
      this.attempted = i + 1;
      this.target = step.target;
      this.reason = step.reason;
      router.decision(route.name, name, step.reason);
      options.onAttempt?.(step.target);
      // Inside a plan the next target replaces the upstream client's own retries; the last one keeps them.
      const limits = last
        ? { deadlineAt }
        : {
            maxAttempts: 1,
            deadlineAt,
            ...(options.stream ? { attemptTimeoutMs: router.options.failoverFirstEventTimeoutMs } : {}),
          };
      try {
        const result = await call({ target: step.target, reason: step.reason, limits });
        // A stream that started may still break: its target is judged when it ends.
        if (options.stream) this.#streaming = { name, reason: step.reason };
        else balancer.succeeded(route, name);
        return result;
      } catch (err) {
        lastError = err;
        const failure = failureClass(err);
        if (failure) balancer.failed(route, name, failure);
        else if (step.reason === 'probe') balancer.released(route, name);
        if (last || options.signal.aborted || performance.now() >= deadlineAt) throw err;
        if (err instanceof LimitExceededError) continue;
        if (!failure || !route.retryOn.includes(failure)) throw err;
        router.failover(route.name, name, failure);
      }
    }
    throw lastError;
  }

  /**
   * The verdict on a stream's target, once the stream ended: completed (a success), broken by the target
   * after its first event (a failure of its class, counted towards ejection like one before the first
   * byte, though the stream itself is never switched), or ended without a verdict on the target (the
   * caller left, the gateway shut down, an error that is not the target's fault). Once per stream.
   */
  streamEnded(outcome: { error?: unknown; abandoned?: boolean }): void {
    const streaming = this.#streaming;
    if (!streaming) return;
    this.#streaming = undefined;
    const balancer = this.#router.balancer;
    const failure = outcome.abandoned
      ? undefined
      : outcome.error === undefined
        ? 'none'
        : failureClass(outcome.error, true);
    if (failure === 'none') balancer.succeeded(this.route, streaming.name);
    else if (failure) balancer.failed(this.route, streaming.name, failure);
    else if (streaming.reason === 'probe') balancer.released(this.route, streaming.name);
  }

  /** The span attributes of the routing decision so far. */
  attributes(): Attributes {
    return {
      [ROUTE_ATTR.route]: this.route.name,
      [ROUTE_ATTR.target]: this.target.servedName,
      [ROUTE_ATTR.reason]: this.reason,
      [ROUTE_ATTR.attempts]: this.attempted,
    };
  }
}
