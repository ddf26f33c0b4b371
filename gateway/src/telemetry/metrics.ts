/**
 * The gateway's Prometheus metrics (served on the admin port). One registry per gateway instance, so
 * tests and benchmarks can run several gateways in one process; label children are cached per label
 * combination so the hot path does one Map lookup per observation.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

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
  readonly #requestChildren = new Map<
    string,
    { count: Counter.Internal; duration: Histogram.Internal<'route' | 'account' | 'model' | 'status'> }
  >();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    this.registry = new Registry();
    const registers = [this.registry];
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'aigw_' });
    this.requests = new Counter({
      name: 'aigw_requests_total',
      help: 'Requests answered, by route, account, model and HTTP status.',
      labelNames: ['route', 'account', 'model', 'status'],
      registers,
    });
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
    this.tokens = new Counter({
      name: 'aigw_tokens_total',
      help: 'Tokens reported by Bedrock, by kind (input, output, cache_read, cache_write).',
      labelNames: ['account', 'model', 'kind'],
      registers,
    });
    this.cost = new Counter({
      name: 'aigw_cost_usd_total',
      help: "Estimated cost in USD from the Model's pricing or the built-in Bedrock price table, by account, model and caller subject.",
      labelNames: ['account', 'model', 'subject'],
      registers,
    });
    this.overhead = new Histogram({
      name: 'aigw_gateway_overhead_seconds',
      help: 'Latency the gateway adds: kind=total is request time minus upstream time; kind=ttft is added time to first token.',
      labelNames: ['route', 'kind'],
      buckets: OVERHEAD_BUCKETS,
      registers,
    });
    this.inflight = new Gauge({
      name: 'aigw_inflight_requests',
      help: 'Requests and streams in progress.',
      labelNames: ['route'],
      registers,
    });
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
  }

  /** Records one finished request (count, latency, and overhead when an upstream call was made). */
  observeRequest(o: RequestObservation): void {
    const key = `${o.route}\u0000${o.account}\u0000${o.model}\u0000${o.status}`;
    let child = this.#requestChildren.get(key);
    if (!child) {
      const labels = { route: o.route, account: o.account, model: o.model, status: String(o.status) };
      child = { count: this.requests.labels(labels), duration: this.requestDuration.labels(labels) };
      this.#requestChildren.set(key, child);
    }
    child.count.inc();
    child.duration.observe(o.seconds);
    if (o.overheadSeconds !== undefined) this.overhead.labels(o.route, 'total').observe(Math.max(0, o.overheadSeconds));
  }

  /** Streams: from request arrival to the first content token written to the caller. */
  observeFirstToken(account: string, model: string, seconds: number): void {
    this.timeToFirstToken.labels(account, model).observe(seconds);
  }

  /**
   * Streams: the gateway's share of the time to the first streamed byte: (first chunk written − request
   * arrival) − (first upstream event − upstream call start).
   */
  observeAddedFirstByte(route: string, seconds: number): void {
    this.overhead.labels(route, 'ttft').observe(Math.max(0, seconds));
  }

  addTokens(account: string, model: string, kind: TokenKind, count: number | undefined): void {
    if (count && count > 0) this.tokens.labels(account, model, kind).inc(count);
  }

  setRevision(revision: string): void {
    this.configRevision.reset();
    this.configRevision.labels(revision).set(1);
  }
}
