/**
 * Metrics of usage limits (UsagePolicy), kept apart from the request metrics: limited requests by
 * policy and reason, store failures, and guardrail interventions by policy.
 */
import { Counter, type Registry } from 'prom-client';

export class UsageLimitMetrics {
  readonly limitedRequests: Counter<'policy' | 'reason'>;
  readonly storeFailures: Counter<'operation'>;
  readonly guardrailInterventions: Counter<'policy'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.limitedRequests = new Counter({
      name: 'aigw_limited_requests_total',
      help: 'Requests refused by a UsagePolicy, by policy and reason (requests, tokens, concurrency, daily_budget, monthly_budget, store_unavailable).',
      labelNames: ['policy', 'reason'],
      registers,
    });
    this.storeFailures = new Counter({
      name: 'aigw_usage_store_failures_total',
      help: 'Usage-limit store operations that failed (store unreachable or too slow), by operation (admit, settle).',
      labelNames: ['operation'],
      registers,
    });
    this.guardrailInterventions = new Counter({
      name: 'aigw_guardrail_interventions_total',
      help: "Chat responses a UsagePolicy's guardrail intervened in, by policy.",
      labelNames: ['policy'],
      registers,
    });
  }

  limited(policy: string, reason: string): void {
    this.limitedRequests.labels(policy, reason).inc();
  }

  storeFailure(operation: 'admit' | 'settle'): void {
    this.storeFailures.labels(operation).inc();
  }

  guardrailIntervened(policy: string): void {
    this.guardrailInterventions.labels(policy).inc();
  }
}
