/**
 * Target choice of a ModelRoute, per gateway replica (docs/resources.md, ModelRoute, and the routing
 * section of docs/architecture.md): weighted spread within the best priority that has a healthy target,
 * prompt-cache affinity by weighted rendezvous hashing, an ordered attempt plan for failover, and outlier
 * ejection with a doubling back-off and a single probe. Health is kept by route name and target served
 * name, so it survives config reloads that keep them. The clock and the randomness are injectable.
 */
import type { CompiledModelRoute, CompiledRouteTarget, RouteRetryOn } from '../config/index.js';
import { type AffinityKey, rendezvousScore, targetSeed } from './affinity.js';
import { ROUTING_DEFAULTS } from './defaults.js';

/** Why a target was attempted: the first choice's rule, or `failover` for every later attempt. */
export type RouteReason = 'weight' | 'affinity' | 'failover' | 'probe' | 'ejected';

/** One step of an attempt plan. */
export interface RouteAttempt<T extends CompiledRouteTarget> {
  readonly target: T;
  readonly reason: RouteReason;
}

/** A target taken out of rotation. */
export interface EjectionEvent {
  /** Route name (without `route/`). */
  readonly route: string;
  /** `account/model`. */
  readonly target: string;
  /** Epoch ms the ejection ends. */
  readonly until: number;
  readonly seconds: number;
  /** Ejections since the target last succeeded (1, 2, ...): the back-off exponent + 1. */
  readonly ejections: number;
  /** The failure that tipped it. */
  readonly reason: RouteRetryOn;
  /** The route's longest ejection, seconds (how long a record of it may matter). */
  readonly maxSeconds: number;
}

/** A target back in rotation after an ejection (a request to it succeeded after the ejection ended). */
export interface RestoreEvent {
  readonly route: string;
  readonly target: string;
}

export interface BalancerOptions {
  /** Epoch ms (ejection ends are shared with other replicas as wall-clock times). */
  now?: () => number;
  /** Uniform in [0, 1). */
  random?: () => number;
  /** See RoutingOptions.probeTimeoutMs. */
  probeTimeoutMs?: number;
  onEject?: (event: EjectionEvent) => void;
  onRestore?: (event: RestoreEvent) => void;
}

/** What the balancer knows of one target of one route. */
export interface TargetHealth {
  /** Consecutive failures since the last success (reset by an ejection). */
  failures: number;
  /** Ejections since the last success after an ejection. */
  ejections: number;
  /** Epoch ms the current (or last, unconfirmed) ejection ends; 0 = healthy. */
  ejectedUntil: number;
  /** Epoch ms the probe in flight started; 0 = none. */
  probeSince: number;
}

type TargetState = 'ok' | 'probe' | 'out';

export class RouteBalancer {
  readonly #routes = new Map<string, Map<string, TargetHealth>>();
  readonly #seeds = new Map<string, number>();
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #probeTimeoutMs: number;
  readonly #onEject: ((event: EjectionEvent) => void) | undefined;
  readonly #onRestore: ((event: RestoreEvent) => void) | undefined;

  constructor(options: BalancerOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#probeTimeoutMs = options.probeTimeoutMs ?? ROUTING_DEFAULTS.probeTimeoutMs;
    this.#onEject = options.onEject;
    this.#onRestore = options.onRestore;
  }

  /**
   * The ordered targets to attempt for one request, first choice first, at most `route.maxAttempts`.
   * `targets` are the ones the caller may use (never empty); `key` is the request's affinity key when it
   * carries cache points and the route has affinity on. A probe chosen here is in flight until
   * {@link succeeded}, {@link failed} or {@link released} reports on that target.
   */
  plan<T extends CompiledRouteTarget>(
    route: CompiledModelRoute,
    targets: readonly T[],
    key?: AffinityKey,
  ): RouteAttempt<T>[] {
    const now = this.#now();
    const health = this.#healthOf(route.name);
    const limit = Math.max(1, route.maxAttempts);
    // Each target's state once per plan; the best priority is the lowest one with a usable target.
    const states: TargetState[] = new Array(targets.length);
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i]!;
      const state = this.#stateOf(health.get(target.servedName), now);
      states[i] = state;
      if (state !== 'out' && target.priority < best) best = target.priority;
    }
    if (best === Number.POSITIVE_INFINITY) return this.#panicPlan(health, targets, limit);

    const plan: RouteAttempt<T>[] = [];
    // A probe-eligible target of the best priority takes this request (one probe at a time).
    for (let i = 0; i < targets.length; i++) {
      const target = targets[i]!;
      if (states[i] === 'probe' && target.priority === best) {
        this.#healthEntry(health, target.servedName).probeSince = now;
        plan.push({ target, reason: 'probe' });
        break;
      }
    }
    // Then the healthy targets, priority by priority.
    let priority = best;
    while (plan.length < limit) {
      const group: T[] = [];
      let next = Number.POSITIVE_INFINITY;
      for (let i = 0; i < targets.length; i++) {
        const target = targets[i]!;
        if (states[i] !== 'ok') continue;
        if (target.priority === priority) group.push(target);
        else if (target.priority > priority && target.priority < next) next = target.priority;
      }
      if (group.length > 0) {
        const ordered = key ? this.#byRendezvous(group, key) : this.#byWeight(group, limit - plan.length);
        const reason: RouteReason = plan.length > 0 ? 'failover' : key ? 'affinity' : 'weight';
        for (const target of ordered) {
          if (plan.length >= limit) break;
          plan.push({ target, reason: plan.length === 0 ? reason : 'failover' });
        }
      }
      if (next === Number.POSITIVE_INFINITY) break;
      priority = next;
    }
    return plan;
  }

  /** A call to the target succeeded: consecutive failures reset; after an ejection ended, back in rotation. */
  succeeded(route: CompiledModelRoute, target: string): void {
    const h = this.#healthOf(route.name).get(target);
    if (!h) return;
    h.failures = 0;
    if (h.ejectedUntil === 0) return;
    // Requests sent before an ejection may still succeed during it; only a success after it ends restores.
    if (h.ejectedUntil > this.#now()) return;
    h.ejections = 0;
    h.ejectedUntil = 0;
    h.probeSince = 0;
    this.#onRestore?.({ route: route.name, target });
  }

  /** A call to the target failed with a target fault (see failureClass). */
  failed(route: CompiledModelRoute, target: string, reason: RouteRetryOn): void {
    const now = this.#now();
    const h = this.#healthEntry(this.#healthOf(route.name), target);
    if (h.ejectedUntil > now) return; // already out; requests sent before the ejection do not extend it
    if (h.ejectedUntil > 0) {
      // The ejection ended but the target has not succeeded since: the probe (or a late request) failed.
      this.#eject(route, target, h, now, reason);
      return;
    }
    h.failures++;
    if (h.failures >= Math.max(1, route.ejection.consecutiveFailures)) this.#eject(route, target, h, now, reason);
  }

  /** A probe ended without a verdict on the target (the caller left, a non-target error): free the slot. */
  released(route: CompiledModelRoute, target: string): void {
    const h = this.#healthOf(route.name).get(target);
    if (h) h.probeSince = 0;
  }

  /** A copy of what the balancer knows of a target (undefined = never failed). */
  health(route: string, target: string): Readonly<TargetHealth> | undefined {
    const h = this.#routes.get(route)?.get(target);
    return h ? { ...h } : undefined;
  }

  /** Forgets routes that are no longer configured (call after a reload). */
  retain(routes: Iterable<string>): void {
    const keep = new Set(routes);
    for (const name of this.#routes.keys()) if (!keep.has(name)) this.#routes.delete(name);
  }

  // -----------------------------------------------------------------------------------------------

  #eject(route: CompiledModelRoute, target: string, h: TargetHealth, now: number, reason: RouteRetryOn): void {
    h.ejections++;
    h.failures = 0;
    h.probeSince = 0;
    const { baseSeconds, maxSeconds } = route.ejection;
    const seconds = Math.min(baseSeconds * 2 ** (h.ejections - 1), maxSeconds);
    h.ejectedUntil = now + seconds * 1000;
    this.#onEject?.({
      route: route.name,
      target,
      until: h.ejectedUntil,
      seconds,
      ejections: h.ejections,
      reason,
      maxSeconds,
    });
  }

  #stateOf(h: TargetHealth | undefined, now: number): TargetState {
    if (!h || h.ejectedUntil === 0) return 'ok';
    if (h.ejectedUntil > now) return 'out';
    if (h.probeSince !== 0 && now - h.probeSince < this.#probeTimeoutMs) return 'out';
    return 'probe';
  }

  /** Everything is ejected or being probed: try anyway, the ejection that ends first first. */
  #panicPlan<T extends CompiledRouteTarget>(
    health: Map<string, TargetHealth>,
    targets: readonly T[],
    limit: number,
  ): RouteAttempt<T>[] {
    const ordered = [...targets].sort(
      (a, b) => (health.get(a.servedName)?.ejectedUntil ?? 0) - (health.get(b.servedName)?.ejectedUntil ?? 0),
    );
    return ordered.slice(0, limit).map((target, i) => ({ target, reason: i === 0 ? 'ejected' : 'failover' }));
  }

  /** Highest rendezvous score first. */
  #byRendezvous<T extends CompiledRouteTarget>(group: T[], key: AffinityKey): T[] {
    if (group.length === 1) return group;
    const scores = new Map<T, number>();
    for (const target of group)
      scores.set(target, rendezvousScore(key, this.#seedOf(target.servedName), target.weight));
    return group.sort((a, b) => scores.get(b)! - scores.get(a)!);
  }

  /**
   * Weighted random order without replacement of the first `count` places (positive weights by weight,
   * weight-0 targets after them in spec order; uniform when every weight is 0).
   */
  #byWeight<T extends CompiledRouteTarget>(group: T[], count: number): T[] {
    if (group.length === 1) return group;
    const out: T[] = [];
    const weighted: T[] = [];
    const unweighted: T[] = [];
    let total = 0;
    for (const target of group) {
      if (target.weight > 0) {
        weighted.push(target);
        total += target.weight;
      } else unweighted.push(target);
    }
    const byWeight = weighted.length > 0;
    const rest = byWeight ? weighted : unweighted;
    while (rest.length > 0 && out.length < count) {
      let pick = rest.length - 1; // float rounding can leave r just above the last weight
      if (byWeight) {
        let r = this.#random() * total;
        for (let i = 0; i < rest.length; i++) {
          const w = rest[i]!.weight;
          if (r < w) {
            pick = i;
            break;
          }
          r -= w;
        }
      } else pick = Math.floor(this.#random() * rest.length);
      const chosen = rest.splice(pick, 1)[0]!;
      total -= chosen.weight;
      out.push(chosen);
    }
    if (byWeight) for (const target of unweighted) if (out.length < count) out.push(target);
    return out;
  }

  #seedOf(name: string): number {
    let seed = this.#seeds.get(name);
    if (seed === undefined) {
      seed = targetSeed(name);
      this.#seeds.set(name, seed);
    }
    return seed;
  }

  #healthOf(route: string): Map<string, TargetHealth> {
    let health = this.#routes.get(route);
    if (!health) {
      health = new Map();
      this.#routes.set(route, health);
    }
    return health;
  }

  #healthEntry(health: Map<string, TargetHealth>, target: string): TargetHealth {
    let h = health.get(target);
    if (!h) {
      h = { failures: 0, ejections: 0, ejectedUntil: 0, probeSince: 0 };
      health.set(target, h);
    }
    return h;
  }
}
