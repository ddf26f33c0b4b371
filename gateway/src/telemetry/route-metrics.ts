/**
 * Metrics of ModelRoute routing (docs/operations.md, Metrics): target decisions by route, target and
 * reason, failovers by the target that failed and why, and ejections by target. Label children are
 * cached per combination, so a decision costs one Map lookup and an increment.
 */
import { Counter, type Registry } from 'prom-client';

export class RouteMetrics {
  readonly decisions: Counter<'route' | 'target' | 'reason'>;
  readonly failovers: Counter<'route' | 'from' | 'reason'>;
  readonly ejections: Counter<'route' | 'target'>;
  readonly #children = new Map<string, Counter.Internal>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.decisions = new Counter({
      name: 'aigw_route_decisions_total',
      help: 'Targets a ModelRoute sent a request to, by route, target (account/model) and reason (weight, affinity, failover, probe, ejected); a request that failed over counts once per target tried.',
      labelNames: ['route', 'target', 'reason'],
      registers,
    });
    this.failovers = new Counter({
      name: 'aigw_route_failovers_total',
      help: 'Requests a ModelRoute moved to another target before the first byte, by route, the target that failed (account/model) and why (throttle, 5xx, timeout, connect).',
      labelNames: ['route', 'from', 'reason'],
      registers,
    });
    this.ejections = new Counter({
      name: 'aigw_route_ejections_total',
      help: 'Times a ModelRoute target (account/model) was ejected after consecutive failures, by route and target.',
      labelNames: ['route', 'target'],
      registers,
    });
  }

  decision(route: string, target: string, reason: string): void {
    this.#child(this.decisions, 'd', route, target, reason).inc();
  }

  failover(route: string, from: string, reason: string): void {
    this.#child(this.failovers, 'f', route, from, reason).inc();
  }

  ejection(route: string, target: string): void {
    this.ejections.labels(route, target).inc();
  }

  #child(counter: Counter<string>, kind: string, a: string, b: string, c: string): Counter.Internal {
    const key = `${kind}\0${a}\0${b}\0${c}`;
    let child = this.#children.get(key);
    if (!child) {
      child = counter.labels(a, b, c);
      this.#children.set(key, child);
    }
    return child;
  }
}
