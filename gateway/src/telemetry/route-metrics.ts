/**
 * Metrics of ModelRoute routing (docs/operations.md, Metrics): target decisions by route, target and
 * reason, failovers by the target that failed and why, and ejections by target. Decisions and failovers
 * count in plain numbers handed to prom-client at each scrape (pending.ts), so a decision costs one Map
 * lookup and an addition.
 */
import { Counter, type Registry } from 'prom-client';
import { PendingCounter } from './pending.js';

export class RouteMetrics {
  readonly decisions: Counter<'route' | 'target' | 'reason'>;
  readonly failovers: Counter<'route' | 'from' | 'reason'>;
  readonly ejections: Counter<'route' | 'target'>;
  readonly #decisions = new PendingCounter(['route', 'target', 'reason'] as const);
  readonly #failovers = new PendingCounter(['route', 'from', 'reason'] as const);

  constructor(registry: Registry) {
    const registers = [registry];
    this.decisions = new Counter({
      collect: () => this.#decisions.flush(),
      name: 'aigw_route_decisions_total',
      help: 'Targets a ModelRoute sent a request to, by route, target (account/model) and reason (weight, affinity, failover, probe, ejected); a request that failed over counts once per target tried.',
      labelNames: ['route', 'target', 'reason'],
      registers,
    });
    this.#decisions.bind(this.decisions);
    this.failovers = new Counter({
      collect: () => this.#failovers.flush(),
      name: 'aigw_route_failovers_total',
      help: 'Requests a ModelRoute moved to another target before the first byte, by route, the target that failed (account/model) and why (throttle, 5xx, timeout, connect).',
      labelNames: ['route', 'from', 'reason'],
      registers,
    });
    this.#failovers.bind(this.failovers);
    this.ejections = new Counter({
      name: 'aigw_route_ejections_total',
      help: 'Times a ModelRoute target (account/model) was ejected after consecutive failures, by route and target.',
      labelNames: ['route', 'target'],
      registers,
    });
  }

  decision(route: string, target: string, reason: string): void {
    this.#decisions.child(route, target, reason).inc();
  }

  failover(route: string, from: string, reason: string): void {
    this.#failovers.child(route, from, reason).inc();
  }

  ejection(route: string, target: string): void {
    this.ejections.labels(route, target).inc();
  }
}
