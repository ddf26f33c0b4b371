/**
 * The gateway's Prometheus metrics (served on the admin port). One registry per gateway instance, so
 * tests and benchmarks can run several gateways in one process; label children are cached per label
 * combination so the hot path does one Map lookup per observation.
 */
import { performance } from 'node:perf_hooks';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ServedModel } from '../config/index.js';
import { bedrockExceptionOf, type GatewayError } from '../errors/index.js';
import type { UpstreamAttemptObserver, UpstreamOperation } from '../upstream/index.js';
import { defaultRuntimeEndpoint, resolveRegion } from '../upstream/index.js';
import { GenAiBinding, GenAiInstruments, type GenAiMirror, type GenAiTarget } from './genai-metrics.js';
import { HistogramSeries } from './histogram-series.js';
import { type PendingCount, PendingCounter, PendingGauge, type PendingLevel, SeriesIndex } from './pending.js';
import type { GenAiOperation } from './tracing.js';

/** Token kinds of `aigw_tokens_total` (DESIGN.md, Observability). */
export type TokenKind = 'input' | 'output' | 'cache_read' | 'cache_write';

/** What one finished request reports. Labels use `-` for "not applicable" (e.g. no model on a 401). */
export interface RequestObservation {
  route: string;
  account: string;
  model: string;
  status: number;
  /** Whole request, seconds. */
  seconds: number;
  /** Gateway's share: total minus time spent waiting on Bedrock, seconds. Omitted when no upstream call was made. */
  overheadSeconds?: number;
}

// Latency buckets from 0.5 ms (gateway overhead) to 5 minutes (long generations).
const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
];
const OVERHEAD_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
// One Bedrock attempt: from a few ms (an early refusal) to minutes (a long stream).
const UPSTREAM_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * prom-client's default runtime gauges that end in `_total` although they are gauges (promtool flags them);
 * the same numbers are in `nodejs_active_handles`, `nodejs_active_requests` and `nodejs_active_resources`
 * by type, which Node.js dashboards sum.
 */
const DROPPED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/** How one upstream attempt ended, for `aigw_upstream_attempts_total`. */
export type UpstreamOutcome = 'ok' | 'retried' | 'failed' | 'client_closed';

export class GatewayMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'route' | 'account' | 'model' | 'status'>;
  readonly requestDuration: Histogram<'route' | 'account' | 'model' | 'status'>;
  readonly timeToFirstToken: Histogram<'account' | 'model'>;
  readonly tokens: Counter<'account' | 'model' | 'kind'>;
  readonly cost: Counter<'account' | 'model' | 'subject'>;
  readonly overhead: Histogram<'route' | 'kind'>;
  readonly inflight: Gauge<'route'>;
  readonly configReloads: Counter<'result'>;
  readonly configRevision: Gauge<'revision'>;
  readonly imageJobs: Counter<'outcome'>;
  readonly imageJobsPending: Gauge;
  readonly teamCost: Counter<'account' | 'model' | 'team'>;
  readonly unpriced: Counter<'account' | 'model' | 'reason'>;
  readonly upstreamDuration: Histogram<'account' | 'region' | 'operation'>;
  readonly upstreamAttempts: Counter<'account' | 'region' | 'operation' | 'outcome'>;
  readonly upstreamErrors: Counter<'account' | 'region' | 'exception'>;
  readonly genAiInstruments: GenAiInstruments;
  readonly #genAi = new WeakMap<object, Map<GenAiOperation, GenAiBinding>>();
  readonly #mirror: GenAiMirror | undefined;
  readonly #upstreamDurations = new SeriesIndex<HistogramSeries<'account' | 'region' | 'operation'>>(3);
  // The counters and the gauge a request touches count in plain numbers until a scrape (pending.ts).
  readonly #requestCounts = new PendingCounter(['route', 'account', 'model', 'status'] as const);
  readonly #tokenCounts = new PendingCounter(['account', 'model', 'kind'] as const);
  readonly #costCounts = new PendingCounter(['account', 'model', 'subject'] as const);
  readonly #teamCostCounts = new PendingCounter(['account', 'model', 'team'] as const);
  readonly #attemptCounts = new PendingCounter(['account', 'region', 'operation', 'outcome'] as const);
  readonly #inflightLevels = new PendingGauge(['route'] as const);
  /**
   * Histogram series by their label values, bound once (histogram-series.ts): prom-client's `labels()` and
   * its per-observation label checks cost more than the observation itself.
   */
  readonly #overheadChildren = new SeriesIndex<HistogramSeries<'route' | 'kind'>>(2);
  readonly #firstTokenChildren = new SeriesIndex<HistogramSeries<'account' | 'model'>>(2);
  readonly #requestChildren = new SeriesIndex<{
    count: PendingCount;
    duration: HistogramSeries<'route' | 'account' | 'model' | 'status'>;
  }>(4);

  constructor(options: { defaultMetrics?: boolean; genAiMirror?: GenAiMirror } = {}) {
    this.registry = new Registry();
    const registers = [this.registry];
    // Unprefixed, as standard Node.js dashboards expect (`process_cpu_seconds_total`, `nodejs_heap_size_used_bytes`).
    if (options.defaultMetrics) {
      collectDefaultMetrics({ register: this.registry });
      for (const name of DROPPED_DEFAULT_METRICS) this.registry.removeSingleMetric(name);
    }
    this.#mirror = options.genAiMirror;
    this.genAiInstruments = new GenAiInstruments(this.registry);
    this.requests = this.#requestCounts.bind(
      new Counter({
        name: 'aigw_requests_total',
        help: 'Requests answered, by route, account, model and HTTP status.',
        labelNames: ['route', 'account', 'model', 'status'],
        registers,
        collect: () => this.#requestCounts.flush(),
      }),
    );
    this.requestDuration = new Histogram({
      name: 'aigw_request_duration_seconds',
      help: 'Request latency from arrival to the last byte written, seconds.',
      labelNames: ['route', 'account', 'model', 'status'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.timeToFirstToken = new Histogram({
      name: 'aigw_time_to_first_token_seconds',
      help: 'Streams: from request arrival to the first content chunk written to the caller, seconds.',
      labelNames: ['account', 'model'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.tokens = this.#tokenCounts.bind(
      new Counter({
        name: 'aigw_tokens_total',
        help: 'Tokens reported by Bedrock, by kind (input, output, cache_read, cache_write).',
        labelNames: ['account', 'model', 'kind'],
        registers,
        collect: () => this.#tokenCounts.flush(),
      }),
    );
    this.cost = this.#costCounts.bind(
      new Counter({
        name: 'aigw_cost_usd_total',
        help: "Estimated cost in USD from the Model's pricing or the built-in Bedrock price table, by account, model and caller subject.",
        labelNames: ['account', 'model', 'subject'],
        registers,
        collect: () => this.#costCounts.flush(),
      }),
    );
    this.overhead = new Histogram({
      name: 'aigw_gateway_overhead_seconds',
      help: 'Latency the gateway adds: kind=total is request time minus upstream time; kind=ttft is added time to first token.',
      labelNames: ['route', 'kind'],
      buckets: OVERHEAD_BUCKETS,
      registers,
    });
    this.inflight = this.#inflightLevels.bind(
      new Gauge({
        name: 'aigw_inflight_requests',
        help: 'Requests and streams in progress.',
        labelNames: ['route'],
        registers,
        collect: () => this.#inflightLevels.flush(),
      }),
    );
    this.configReloads = new Counter({
      name: 'aigw_config_reload_total',
      help: 'Config reload attempts by result (loaded, unchanged, rejected, pending).',
      labelNames: ['result'],
      registers,
    });
    this.configRevision = new Gauge({
      name: 'aigw_config_revision_info',
      help: 'The config revision in service (value 1).',
      labelNames: ['revision'],
      registers,
    });
    this.imageJobs = new Counter({
      name: 'aigw_image_jobs_total',
      help: 'Image pixel jobs (mask conversion, transparency) by outcome: done, refused (queue full), timeout, cancelled, failed.',
      labelNames: ['outcome'],
      registers,
    });
    this.imageJobsPending = new Gauge({
      name: 'aigw_image_jobs_pending',
      help: 'Image pixel jobs running in the worker threads or waiting for one.',
      registers,
    });
    this.teamCost = this.#teamCostCounts.bind(
      new Counter({
        name: 'aigw_team_cost_usd_total',
        help: "Estimated cost in USD by account, model and caller team (a team no collaborator names counts as 'other', no team as '-').",
        labelNames: ['account', 'model', 'team'],
        registers,
        collect: () => this.#teamCostCounts.flush(),
      }),
    );
    this.unpriced = new Counter({
      name: 'aigw_unpriced_requests_total',
      help: 'Requests served whose usage has no price (reason: no_price, or the usage kind without one), so their cost is not counted.',
      labelNames: ['account', 'model', 'reason'],
      registers,
    });
    this.upstreamDuration = new Histogram({
      name: 'aigw_upstream_duration_seconds',
      help: 'Bedrock latency per attempt (streams: until the stream ended), by account, region and operation, seconds.',
      labelNames: ['account', 'region', 'operation'],
      buckets: UPSTREAM_BUCKETS,
      registers,
    });
    this.upstreamAttempts = this.#attemptCounts.bind(
      new Counter({
        name: 'aigw_upstream_attempts_total',
        help: 'Bedrock attempts by outcome: ok, retried (failed and tried again), failed (the error reached the caller), client_closed.',
        labelNames: ['account', 'region', 'operation', 'outcome'],
        registers,
        collect: () => this.#attemptCounts.flush(),
      }),
    );
    this.upstreamErrors = new Counter({
      name: 'aigw_upstream_errors_total',
      help: 'Failed Bedrock attempts by exception (ThrottlingException, ValidationException, AccessDeniedException, ModelNotReadyException, ServiceUnavailableException, ..., http_<status>, timeout, connection_error, other).',
      labelNames: ['account', 'region', 'exception'],
      registers,
    });
  }

  /**
   * The GenAI series of one compiled model and operation, bound once and cached for as long as `key`
   * (the compiled model of a config snapshot) lives.
   */
  genAi(route: ServedModel, operation: GenAiOperation): GenAiBinding {
    let byOperation = this.#genAi.get(route.model);
    if (!byOperation) {
      byOperation = new Map();
      this.#genAi.set(route.model, byOperation);
    }
    let binding = byOperation.get(operation);
    if (!binding) {
      const region = resolveRegion(route.model.modelId, route.model.region);
      const target: GenAiTarget = {
        operation,
        modelId: route.model.modelId,
        serverAddress: route.account.endpoint
          ? new URL(route.account.endpoint).hostname
          : new URL(defaultRuntimeEndpoint(region)).hostname,
      };
      binding = new GenAiBinding(this.genAiInstruments, target, this.#mirror);
      byOperation.set(operation, binding);
    }
    return binding;
  }

  /** The attempt observer for {@link BedrockUpstream}: latency, outcome and exception of every attempt. */
  upstreamObserver(): UpstreamAttemptObserver {
    return (start) => {
      const duration = this.#upstreamDuration(start.account, start.region, start.operation);
      const began = performance.now();
      return {
        end: (result) => {
          duration.observe((performance.now() - began) / 1000);
          const outcome: UpstreamOutcome =
            result.error === undefined
              ? 'ok'
              : result.error.code === 'client_closed_request'
                ? 'client_closed'
                : result.willRetry
                  ? 'retried'
                  : 'failed';
          this.#attemptCounts.child(start.account, start.region, start.operation, outcome).inc();
          if (result.error !== undefined && outcome !== 'client_closed')
            this.upstreamErrors.labels(start.account, start.region, exceptionLabel(result.error)).inc();
        },
      };
    };
  }

  #upstreamDuration(account: string, region: string, operation: UpstreamOperation) {
    let series = this.#upstreamDurations.get(account, region, operation);
    if (!series) {
      series = new HistogramSeries(this.upstreamDuration, { account, region, operation });
      this.#upstreamDurations.set(series, account, region, operation);
    }
    return series;
  }

  /** Records one finished request (count, latency, and overhead when an upstream call was made). */
  observeRequest(o: RequestObservation): void {
    let child = this.#requestChildren.get(o.route, o.account, o.model, o.status);
    if (!child) {
      const labels = { route: o.route, account: o.account, model: o.model, status: String(o.status) };
      child = {
        count: this.#requestCounts.child(o.route, o.account, o.model, o.status),
        duration: new HistogramSeries(this.requestDuration, labels),
      };
      this.#requestChildren.set(child, o.route, o.account, o.model, o.status);
    }
    child.count.inc();
    child.duration.observe(o.seconds);
    if (o.overheadSeconds !== undefined) this.#overheadOf(o.route, 'total').observe(Math.max(0, o.overheadSeconds));
  }

  /** Streams: from request arrival to the first content token written to the caller. */
  observeFirstToken(account: string, model: string, seconds: number): void {
    let child = this.#firstTokenChildren.get(account, model);
    if (!child) {
      child = new HistogramSeries(this.timeToFirstToken, { account, model });
      this.#firstTokenChildren.set(child, account, model);
    }
    child.observe(seconds);
  }

  /**
   * Streams: the gateway's share of the time to the first streamed byte: (first chunk written − request
   * arrival) − (first upstream event − upstream call start).
   */
  observeAddedFirstByte(route: string, seconds: number): void {
    this.#overheadOf(route, 'ttft').observe(Math.max(0, seconds));
  }

  /** The in-flight level of a route (`aigw_inflight_requests{route}`), set on the gauge at each scrape. */
  inflightOf(route: string): PendingLevel<'route'> {
    return this.#inflightLevels.child(route);
  }

  #overheadOf(route: string, kind: 'total' | 'ttft'): HistogramSeries<'route' | 'kind'> {
    let child = this.#overheadChildren.get(route, kind);
    if (!child) {
      child = new HistogramSeries(this.overhead, { route, kind });
      this.#overheadChildren.set(child, route, kind);
    }
    return child;
  }

  addTokens(account: string, model: string, kind: TokenKind, count: number | undefined): void {
    if (count && count > 0) this.#tokenCounts.child(account, model, kind).inc(count);
  }

  /** The `aigw_cost_usd_total` series of a caller subject (callers bind it once, see server/usage.ts). */
  costOf(account: string, model: string, subject: string): PendingCount {
    return this.#costCounts.child(account, model, subject);
  }

  /** The `aigw_team_cost_usd_total` series of a caller team. */
  teamCostOf(account: string, model: string, team: string): PendingCount {
    return this.#teamCostCounts.child(account, model, team);
  }

  setRevision(revision: string): void {
    this.configRevision.reset();
    this.configRevision.labels(revision).set(1);
  }
}

/** The bounded `exception` label of a failed attempt. */
function exceptionLabel(error: GatewayError): string {
  const name = bedrockExceptionOf(error);
  if (name !== undefined) return name;
  if (error.code === 'upstream_timeout') return 'timeout';
  if (error.code === 'upstream_unavailable') return 'connection_error';
  return 'other';
}
