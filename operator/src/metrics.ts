/**
 * The operator's Prometheus metrics, served on `/metrics` of the metrics port (`aigw operator
 * --metrics-port N`): reconciles by result and their latency, reconcile errors, the work-queue depth,
 * whether this replica leads, credential checks by result, and the Node.js runtime metrics.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** prom-client defaults that are gauges named `_total` (promtool flags them); the by-type gauges stay. */
const DROPPED_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export class OperatorMetrics {
  readonly registry = new Registry();
  /** `kind` is the unit of reconciliation: a namespace's ProviderAccounts, Models and Secrets together. */
  readonly reconciles: Counter<'kind' | 'result'>;
  readonly reconcileDuration: Histogram<'kind'>;
  readonly reconcileErrors: Counter<'kind'>;
  readonly credentialChecks: Counter<'result'>;
  #queueDepth: () => number = () => 0;
  #leader: () => boolean = () => false;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics) {
      collectDefaultMetrics({ register: this.registry });
      for (const name of DROPPED_DEFAULT_METRICS) this.registry.removeSingleMetric(name);
    }
    this.reconciles = new Counter({
      name: 'aigw_operator_reconciles_total',
      help: 'Reconciles by kind (namespace: one compile and publish of a namespace) and result (success, error).',
      labelNames: ['kind', 'result'],
      registers,
    });
    this.reconcileDuration = new Histogram({
      name: 'aigw_operator_reconcile_duration_seconds',
      help: 'Time one reconcile took (compile, publish, status writes), seconds.',
      labelNames: ['kind'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: 'aigw_operator_reconcile_errors_total',
      help: 'Reconciles that failed and were re-queued with backoff, by kind.',
      labelNames: ['kind'],
      registers,
    });
    this.credentialChecks = new Counter({
      name: 'aigw_operator_credential_checks_total',
      help: 'Finished credential checks against STS/Bedrock by result (Verified, AccessDenied, Timeout, CheckFailed).',
      labelNames: ['result'],
      registers,
    });
    const self = this;
    new Gauge({
      name: 'aigw_operator_queue_depth',
      help: 'Namespaces waiting in the work queue (queued, not being reconciled).',
      registers,
      collect() {
        this.set(self.#queueDepth());
      },
    });
    new Gauge({
      name: 'aigw_operator_leader',
      help: '1 when this replica holds the leader Lease (or leader election is off), else 0.',
      registers,
      collect() {
        this.set(self.#leader() ? 1 : 0);
      },
    });
  }

  /** Where the queue-depth gauge reads from (the current leadership term's queue). */
  set queueDepth(read: () => number) {
    this.#queueDepth = read;
  }

  set leader(read: () => boolean) {
    this.#leader = read;
  }
}

/** Serves `registry` on `GET /metrics` at host:port; resolves with its URL once listening. */
export async function startMetricsServer(
  registry: Registry,
  host: string,
  port: number,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if ((req.url ?? '').split('?', 1)[0] !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
