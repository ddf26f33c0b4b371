/**
 * `aigw operator`: ProviderAccounts, Models and Secrets of each served namespace → one compiled config
 * (ConfigMap) + credentials (Secret) pair per namespace, status conditions on every object, Events on
 * transitions, and a revision annotation on gateway pods so kubelet refreshes their projected volume
 * at once (kubernetes-design.md §6). Level-triggered: every change re-queues its namespace and the
 * whole namespace is recompiled, so a missed event is repaired by the next one or the periodic resync.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { delimiter, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { KubeConfig } from '@kubernetes/client-node';
import type { Span, Tracer } from '@opentelemetry/api';
import {
  API_KEY_SECRET_TYPE,
  type CompiledAccount,
  type CompiledModel,
  type CompiledModelRoute,
  type CompiledUsagePolicy,
  type CompileProblem,
  type Condition,
  compileConfig,
  type Model,
  type ModelRoute,
  type ProviderAccount,
  type Secret,
  type UsagePolicy,
} from '../../gateway/src/config/index.js';
import { createUsageStore, readPolicyUsage, type UsageStore } from '../../gateway/src/limits/index.js';
import { redactSecrets, scrubSecretText } from '../../gateway/src/logging/index.js';
import { CHECK_RESULT_REASONS, CredentialChecker, type CredentialCheckerOptions } from './credentials.js';
import {
  isKubeStatus,
  KubeClient,
  type KubeObject,
  type OwnerReference,
  pathFor,
  RESOURCES,
  type ResourceRef,
} from './kube/index.js';
import { LeaderElector } from './leader.js';
import { OperatorMetrics, startMetricsServer } from './metrics.js';
import {
  buildOutputs,
  FIELD_MANAGER,
  GATEWAY_LABEL,
  KEY_PROBLEMS_ANNOTATION,
  keyProblemId,
  outputNames,
  parseKeyProblems,
  REVISION_ANNOTATION,
} from './outputs.js';
import { WorkQueue } from './queue.js';
import { createRouteEjectionReader, type RouteEjectionReader } from './route-ejections.js';
import { computeRouteStatus, type RouteStatus } from './route-status.js';
import { type CredentialCheck, computeStatuses, mergeConditions, sameStatus } from './status.js';
import { ReconcileTracing } from './tracing.js';
import {
  budgetCrossings,
  crossingEvent,
  exceededCondition,
  type PendingCondition,
  readyCondition,
  USAGE_REASONS,
} from './usage.js';
import { ListWatch } from './watch.js';
import { withdrawRefusedAccounts } from './withdraw.js';

/** Structured logger, pino's call shape (`logger.info({ fields }, 'message')`). */
export interface OperatorLogger {
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
}

export interface OperatorOptions {
  /** Serve only this namespace (default: POD_NAMESPACE, else the kubeconfig context's namespace). */
  namespace?: string;
  /** Serve every namespace (needs cluster-wide read of ProviderAccounts, Models and Secrets). */
  allNamespaces?: boolean;
  /** Path of a kubeconfig file; default: KUBECONFIG / ~/.kube/config / in-cluster. */
  kubeconfig?: string;
  /** An already loaded kubeconfig (tests). */
  kubeConfig?: KubeConfig;
  /** Campaign for a Lease before acting (default true; env AIGW_LEADER_ELECTION=false turns it off). */
  leaderElection?: boolean;
  /** Lease namespace (default POD_NAMESPACE, else the served namespace). */
  leaseNamespace?: string;
  /** Lease name (default AIGW_LEASE_NAME, else `aigateway-operator`). */
  leaseName?: string;
  /** Candidate identity (default POD_NAME, else hostname + pid). */
  identity?: string;
  leaseDurationSeconds?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /**
   * Prefix of the published objects: `<outputName>-config` (ConfigMap), `<outputName>-credentials`
   * (Secret); gateway pods labelled `aigateway.dev/gateway=<outputName>` are nudged; a Deployment
   * `<outputName>-gateway` in the namespace owns the outputs when it exists.
   * Default: AIGW_OUTPUT_NAME, else `aigateway`.
   */
  outputName?: string;
  /** Full recompile of every namespace this often (default 5 min). */
  resyncMs?: number;
  /** Verify credentials against STS/Bedrock (default true); false leaves CredentialsReady Unknown. */
  credentialChecks?: boolean | CredentialCheckerOptions;
  logger?: OperatorLogger;
  /**
   * Serve `/healthz` (alive) and `/readyz` (a standby, or a leader whose caches are synced) on this
   * port for kubelet probes; default AIGW_OPERATOR_HEALTH_PORT, else none. 0 picks a free port.
   */
  healthPort?: number;
  /** Address of the health server (default 0.0.0.0). */
  healthHost?: string;
  /** OpenTelemetry tracer for reconcile spans (operator/src/tracing.ts); absent = no spans. */
  tracer?: Tracer;
  /**
   * Serve Prometheus `/metrics` on this port (default AIGW_OPERATOR_METRICS_PORT, else none; 0 picks a
   * free port), on `healthHost`.
   */
  metricsPort?: number;
  /**
   * The shared store the gateways count UsagePolicy limits in (default AIGW_REDIS_URL). Without one the
   * operator reads no use: `Exceeded` stays Unknown (NoSharedStore).
   */
  redisUrl?: string;
  /** Its password (default AIGW_REDIS_PASSWORD, else the file named by AIGW_REDIS_PASSWORD_FILE). */
  redisPassword?: string;
  /** How often UsagePolicy status is refreshed from the store (default AIGW_USAGE_STATUS_INTERVAL_SECONDS, else 15 s). */
  usageIntervalMs?: number;
}

/** Defaults of the operator's UsagePolicy status refresh. */
export const USAGE_STATUS_DEFAULTS = { intervalMs: 15_000 } as const;

/** The store options from options, else the environment the chart sets. */
function usageStoreOptions(options: OperatorOptions): { redisUrl?: string; redisPassword?: string; redisCa?: string } {
  const redisUrl = options.redisUrl ?? (process.env.AIGW_REDIS_URL || undefined);
  if (!redisUrl) return {};
  if (!/^rediss?:\/\//.test(redisUrl)) throw new Error('AIGW_REDIS_URL must be a redis:// or rediss:// URL');
  let redisPassword = options.redisPassword ?? (process.env.AIGW_REDIS_PASSWORD || undefined);
  const file = process.env.AIGW_REDIS_PASSWORD_FILE;
  if (redisPassword === undefined && file) {
    try {
      redisPassword = readFileSync(file, 'utf8').trim();
    } catch {
      // The path only: the error of a read could quote nothing secret, but stays terse on purpose.
      throw new Error(`AIGW_REDIS_PASSWORD_FILE (${file}) cannot be read`);
    }
  }
  const caFile = process.env.AIGW_REDIS_CA_FILE;
  let redisCa: string | undefined;
  if (caFile) {
    try {
      redisCa = readFileSync(caFile, 'utf8');
    } catch {
      throw new Error(`AIGW_REDIS_CA_FILE (${caFile}) cannot be read`);
    }
  }
  return {
    redisUrl,
    ...(redisPassword === undefined ? {} : { redisPassword }),
    ...(redisCa === undefined ? {} : { redisCa }),
  };
}

function usageInterval(options: OperatorOptions): number {
  if (options.usageIntervalMs !== undefined) return options.usageIntervalMs;
  const env = process.env.AIGW_USAGE_STATUS_INTERVAL_SECONDS;
  if (env === undefined || env === '') return USAGE_STATUS_DEFAULTS.intervalMs;
  const seconds = Number(env);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new Error('AIGW_USAGE_STATUS_INTERVAL_SECONDS must be a positive number of seconds');
  }
  return seconds * 1000;
}

export interface ReconciledEvent {
  namespace: string;
  revision: string;
  models: number;
}

export interface RunningOperator {
  readonly identity: string;
  isLeader(): boolean;
  /** `reconciled` (ReconciledEvent), `leading`, `stoppedLeading`, `error` (unknown). */
  readonly events: EventEmitter;
  /** Base URL of the health server when one runs. */
  readonly healthUrl: string | undefined;
  /** Base URL of the metrics server when one runs. */
  readonly metricsUrl: string | undefined;
  /**
   * Stops reconciling, releases the lease (so a standby takes over at once) and closes connections.
   * `releaseLease: false` stops like a crashed process would: the standby waits out the lease.
   */
  stop(options?: { releaseLease?: boolean }): Promise<void>;
}

function objectName(o: KubeObject): string {
  return `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

function eventSuffix(): string {
  return `${Date.now().toString(16)}${randomBytes(4).toString('hex')}`;
}

const silentLogger: OperatorLogger = { info() {}, warn() {}, error() {} };

function jsonLogger(): OperatorLogger {
  const write = (level: string) => (fields: Record<string, unknown>, msg: string) =>
    process.stderr.write(
      `${JSON.stringify({ level, time: new Date().toISOString(), component: 'operator', msg: scrubSecretText(msg), ...(redactSecrets(fields) as Record<string, unknown>) })}\n`,
    );
  return { info: write('info'), warn: write('warn'), error: write('error') };
}

/** Where client-node (like client-go) looks for the pod's service-account token. */
const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * Loads the kubeconfig the way kubectl finds it (`file`, else KUBECONFIG, else ~/.kube/config,
 * else the pod's service account), or says how to give one. client-node would otherwise fall back
 * to `http://localhost:8080` and fail later with a TLS message that names none of these.
 */
export function loadKubeConfig(file?: string): KubeConfig {
  const kc = new KubeConfig();
  const read = (what: string, load: () => void) => {
    try {
      load();
    } catch (err) {
      // client-node reads an empty or non-kubeconfig YAML document with a TypeError.
      const why =
        err instanceof TypeError
          ? 'it is not a kubeconfig (YAML with clusters, users and contexts)'
          : String((err as Error).message);
      throw new Error(`cannot read the kubeconfig ${what}: ${why}`);
    }
  };
  if (file) {
    read(`given with --kubeconfig (${file})`, () => kc.loadFromFile(file));
  } else {
    const fromEnv = (process.env.KUBECONFIG ?? '').split(delimiter).filter((f) => f.length > 0);
    const home = process.env.HOME ? join(process.env.HOME, '.kube', 'config') : undefined;
    if (fromEnv.length === 0 && !(home && existsSync(home)) && !existsSync(SERVICE_ACCOUNT_TOKEN)) {
      throw new Error(
        `no kubeconfig and no in-cluster configuration found: KUBECONFIG is not set, ${
          home ?? '$HOME/.kube/config'
        } does not exist, and this is not a pod with a service-account token (${SERVICE_ACCOUNT_TOKEN}). ` +
          'Give one with --kubeconfig FILE or KUBECONFIG=FILE (as for kubectl), or run the operator in the cluster (the Helm chart does).',
      );
    }
    read(fromEnv.length > 0 ? `named by KUBECONFIG (${fromEnv.join(delimiter)})` : `${home}`, () =>
      kc.loadFromDefault(),
    );
  }
  if (!kc.getCurrentCluster()) {
    throw new Error(
      `the kubeconfig has no current context with a cluster (current-context: '${kc.getCurrentContext() || ''}'); ` +
        'set one with `kubectl config use-context NAME`',
    );
  }
  return kc;
}

/** Starts the operator; resolves once it runs (campaigning or leading). */
export async function runOperator(options: OperatorOptions = {}): Promise<RunningOperator> {
  // Checked before anything starts, so a bad value stops nothing half-started.
  const metricsPortEnv = process.env.AIGW_OPERATOR_METRICS_PORT;
  if (metricsPortEnv !== undefined && metricsPortEnv !== '' && !/^\d{1,5}$/.test(metricsPortEnv))
    throw new Error(`AIGW_OPERATOR_METRICS_PORT must be a port number, got '${metricsPortEnv}'`);
  const metricsPort = options.metricsPort ?? (metricsPortEnv ? Number(metricsPortEnv) : undefined);
  const kc = options.kubeConfig ?? loadKubeConfig(options.kubeconfig);
  const client = await KubeClient.fromKubeConfig(kc);
  const logger = options.logger ?? (process.env.NODE_ENV === 'test' ? silentLogger : jsonLogger());
  const contextNamespace = kc.getContextObject(kc.getCurrentContext())?.namespace;
  const namespace = options.allNamespaces
    ? undefined
    : (options.namespace ?? process.env.POD_NAMESPACE ?? contextNamespace ?? 'default');
  const identity = options.identity ?? process.env.POD_NAME ?? `${hostname()}-${process.pid}`;
  const events = new EventEmitter();
  events.on('error', () => undefined);
  const storeOptions = usageStoreOptions(options);
  const usageIntervalMs = usageInterval(options);
  const metrics = new OperatorMetrics({ defaultMetrics: true });

  let controller: Controller | undefined;
  metrics.queueDepth = () => controller?.queueDepth ?? 0;
  const startController = () => {
    const checkerOptions = options.credentialChecks === true ? {} : options.credentialChecks;
    controller = new Controller(client, {
      namespace,
      outputName: options.outputName ?? process.env.AIGW_OUTPUT_NAME ?? 'aigateway',
      resyncMs: options.resyncMs ?? 300_000,
      checker:
        checkerOptions === false
          ? undefined
          : new CredentialChecker({
              ...checkerOptions,
              onResult: (result) => {
                metrics.credentialChecks.labels(result.reason).inc();
                checkerOptions?.onResult?.(result);
              },
            }),
      identity,
      logger,
      events,
      usageIntervalMs,
      // One store per leadership term; without a URL there is no shared use to read.
      store: storeOptions.redisUrl
        ? createUsageStore({
            ...storeOptions,
            onError: (err) => logger.warn({ error: err.message }, 'usage store connection failed; retrying'),
          })
        : undefined,
      ejections: storeOptions.redisUrl
        ? createRouteEjectionReader({
            redisUrl: storeOptions.redisUrl,
            ...(storeOptions.redisPassword === undefined ? {} : { redisPassword: storeOptions.redisPassword }),
            ...(storeOptions.redisCa === undefined ? {} : { redisCa: storeOptions.redisCa }),
            onError: (err) => logger.warn({ error: err.message }, 'route ejection store connection failed; retrying'),
          })
        : undefined,
      tracing: options.tracer ? new ReconcileTracing(options.tracer) : undefined,
      metrics,
    });
    controller.start();
  };
  const stopController = async () => {
    const c = controller;
    controller = undefined;
    await c?.stop();
  };

  let elector: LeaderElector | undefined;
  const leaderElection = options.leaderElection ?? process.env.AIGW_LEADER_ELECTION !== 'false';
  if (!leaderElection) {
    startController();
  } else {
    elector = new LeaderElector(
      client,
      {
        namespace: options.leaseNamespace ?? process.env.POD_NAMESPACE ?? namespace ?? 'default',
        name: options.leaseName ?? process.env.AIGW_LEASE_NAME ?? 'aigateway-operator',
        identity,
        leaseDurationSeconds: options.leaseDurationSeconds,
        renewDeadlineMs: options.renewDeadlineMs,
        retryPeriodMs: options.retryPeriodMs,
      },
      {
        onStartedLeading: () => {
          logger.info({ identity }, 'became leader');
          startController();
          events.emit('leading');
        },
        onStoppedLeading: () => {
          logger.warn({ identity }, 'lost leadership');
          void stopController();
          events.emit('stoppedLeading');
        },
      },
    );
    elector.start();
  }

  const isLeader = () => (elector ? elector.isLeader : true);
  metrics.leader = isLeader;
  const healthPortEnv = process.env.AIGW_OPERATOR_HEALTH_PORT;
  const healthPort = options.healthPort ?? (healthPortEnv ? Number(healthPortEnv) : undefined);
  let health: Server | undefined;
  let healthUrl: string | undefined;
  if (healthPort !== undefined) {
    health = createServer((req, res) => {
      // A standby is ready (it is doing its job: waiting); a leader once its caches are synced.
      const ok = req.url === '/healthz' || (req.url === '/readyz' && (!isLeader() || controller?.synced === true));
      res.writeHead(ok ? 200 : req.url === '/readyz' ? 503 : 404, { 'content-type': 'text/plain' });
      res.end(ok ? 'ok\n' : req.url === '/readyz' ? 'caches not synced\n' : 'not found\n');
    });
    const host = options.healthHost ?? '0.0.0.0';
    try {
      await new Promise<void>((resolve, reject) => {
        health?.once('error', reject);
        health?.listen(healthPort, host, resolve);
      });
    } catch (err) {
      // A taken port is a start-up error with a message, not an unhandled 'error' event; what already
      // runs (controller, elector, client) is stopped so the process can exit.
      await stopController();
      await elector?.stop({ release: true });
      await client.close();
      throw new Error(`operator health server cannot listen on ${host}:${healthPort}: ${(err as Error).message}`);
    }
    const address = health.address() as AddressInfo;
    healthUrl = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  }

  let metricsServer: Awaited<ReturnType<typeof startMetricsServer>> | undefined;
  if (metricsPort !== undefined) {
    const host = options.healthHost ?? '0.0.0.0';
    try {
      metricsServer = await startMetricsServer(metrics.registry, host, metricsPort);
    } catch (err) {
      await new Promise<void>((resolve) => (health ? health.close(() => resolve()) : resolve()));
      await stopController();
      await elector?.stop({ release: true });
      await client.close();
      throw new Error(`operator metrics server cannot listen on ${host}:${metricsPort}: ${(err as Error).message}`);
    }
  }

  let stopped: Promise<void> | undefined;
  return {
    identity,
    events,
    healthUrl,
    metricsUrl: metricsServer?.url,
    isLeader,
    async stop(stopOptions) {
      if (stopped) return stopped;
      stopped = (async () => {
        await metricsServer?.close();
        await new Promise<void>((resolve) => (health ? health.close(() => resolve()) : resolve()));
        await stopController();
        await elector?.stop({ release: stopOptions?.releaseLease ?? true });
        await client.close();
      })();
      return stopped;
    },
  };
}

interface ControllerOptions {
  namespace: string | undefined;
  outputName: string;
  resyncMs: number;
  checker: CredentialChecker | undefined;
  identity: string;
  logger: OperatorLogger;
  events: EventEmitter;
  usageIntervalMs: number;
  store: UsageStore | undefined;
  /** Reads the route targets gateways ejected (the same shared store); absent = no store. */
  ejections: RouteEjectionReader | undefined;
  tracing: ReconcileTracing | undefined;
  metrics: OperatorMetrics;
}

/** Queue key of a UsagePolicy status refresh (a namespace never contains `/`). */
const USAGE_KEY = 'usage/';

/** The ejections a route's status shows (undefined when it shows none read yet). */
function shownEjections(status: NonNullable<ModelRoute['status']>): Map<string, number> | undefined {
  if (status.ejectedTargets === undefined) return undefined;
  const out = new Map<string, number>();
  for (const t of status.targets ?? []) {
    const until = t.ejectedUntil ? Date.parse(t.ejectedUntil) : Number.NaN;
    if (t.servedName && Number.isFinite(until)) out.set(t.servedName, until);
  }
  return out;
}

/** Queue key of a ModelRoute ejection refresh. */
const ROUTES_KEY = 'routes/';

type PolicyObject = UsagePolicy & KubeObject;
type RouteObject = ModelRoute & KubeObject;
type RouteStatusWritten = NonNullable<ModelRoute['status']>;
/** What the last compile said about one route, kept so an ejection refresh recomputes its status alone. */
interface RouteOutcome {
  compiled: CompiledModelRoute | undefined;
  problems: CompileProblem[];
  models: ReadonlyMap<string, CompiledModel>;
}
type PolicyStatus = NonNullable<UsagePolicy['status']> & { reportedCrossings?: string[] };

/** The reconcile loop of one leadership term. */
class Controller {
  private readonly accounts: ListWatch<ProviderAccount & KubeObject>;
  private readonly models: ListWatch<Model & KubeObject>;
  private readonly secrets: ListWatch<Secret & KubeObject>;
  private readonly outputs: ListWatch<KubeObject>;
  private readonly policies: ListWatch<PolicyObject>;
  /** Per namespace, the UsagePolicies of the last published config, by name. */
  private readonly compiledPolicies = new Map<string, Map<string, CompiledUsagePolicy>>();
  /** The status last written per UsagePolicy uid (the watch cache may not show it yet). */
  private readonly policyStatus = new Map<string, PolicyStatus>();
  /** The generation of each UsagePolicy seen (uid → generation): status-only changes recompile nothing. */
  private readonly policyGenerations = new Map<string, number | undefined>();
  private readonly routes: ListWatch<RouteObject>;
  /** The generation of each ModelRoute seen (uid → generation): status-only changes recompile nothing. */
  private readonly routeGenerations = new Map<string, number | undefined>();
  /** The status last written per ModelRoute uid (the watch cache may not show it yet). */
  private readonly routeStatus = new Map<string, RouteStatusWritten>();
  /** Per namespace, the outcome of the last compile per ModelRoute name. */
  private readonly routeOutcomes = new Map<string, Map<string, RouteOutcome>>();
  /** The last ejections read per ModelRoute uid. */
  private readonly routeEjections = new Map<string, Map<string, number>>();
  private usageTimer: NodeJS.Timeout | undefined;
  private readonly queue = new WorkQueue({ baseDelayMs: 200, maxDelayMs: 60_000 });
  /** Problems of api-key Secrets already reported, per namespace ({@link keyProblemId}). */
  private readonly reportedKeyProblems = new Map<string, Set<string>>();
  private readonly abort = new AbortController();
  private worker: Promise<void> | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  /** True once every cache has listed. */
  synced = false;

  /** Namespaces waiting in the queue. */
  get queueDepth(): number {
    return this.queue.length;
  }

  constructor(
    private readonly client: KubeClient,
    private readonly options: ControllerOptions,
  ) {
    const ns = options.namespace;
    const onError = (err: unknown) =>
      options.logger.warn({ error: String((err as Error)?.message ?? err) }, 'watch failed; retrying');
    this.accounts = new ListWatch(client, { path: pathFor(RESOURCES.provideraccounts, ns), onError });
    this.models = new ListWatch(client, { path: pathFor(RESOURCES.models, ns), onError });
    this.secrets = new ListWatch(client, { path: pathFor(RESOURCES.secrets, ns), onError });
    this.outputs = new ListWatch(client, {
      path: pathFor(RESOURCES.configmaps, ns),
      labelSelector: `app.kubernetes.io/managed-by=${FIELD_MANAGER},${GATEWAY_LABEL}=${options.outputName}`,
      onError,
    });
    const watches = [this.accounts, this.models, this.secrets, this.outputs] as ListWatch<KubeObject>[];
    const kinds = ['ProviderAccount', 'Model', 'Secret', 'ConfigMap'];
    for (const [i, w] of watches.entries()) {
      const kind = kinds[i]!;
      w.onChange((type, obj) => {
        if (!obj.metadata.namespace) return;
        options.tracing?.change(type, kind, obj);
        this.queue.add(obj.metadata.namespace);
      });
    }
    this.policies = new ListWatch(client, { path: pathFor(RESOURCES.usagepolicies, ns), onError });
    // The operator writes a policy's status every refresh; only a new spec (generation), a new policy
    // or a deleted one changes the config.
    this.policies.onChange((type, obj) => {
      const uid = obj.metadata.uid ?? objectName(obj);
      const generation = (obj.metadata as { generation?: number }).generation;
      if (type === 'DELETED') {
        this.policyGenerations.delete(uid);
        this.policyStatus.delete(uid);
      } else if (this.policyGenerations.has(uid) && this.policyGenerations.get(uid) === generation) {
        return;
      } else {
        this.policyGenerations.set(uid, generation);
      }
      if (obj.metadata.namespace) this.queue.add(obj.metadata.namespace);
    });
    this.routes = new ListWatch(client, { path: pathFor(RESOURCES.modelroutes, ns), onError });
    // As for policies: the operator writes a route's status (ejections) on its own; only a new spec,
    // a new route or a deleted one changes the config.
    this.routes.onChange((type, obj) => {
      const uid = obj.metadata.uid ?? objectName(obj);
      const generation = (obj.metadata as { generation?: number }).generation;
      if (type === 'DELETED') {
        this.routeGenerations.delete(uid);
        this.routeStatus.delete(uid);
        this.routeEjections.delete(uid);
      } else if (this.routeGenerations.has(uid) && this.routeGenerations.get(uid) === generation) {
        return;
      } else {
        this.routeGenerations.set(uid, generation);
      }
      if (obj.metadata.namespace) {
        options.tracing?.change(type, 'ModelRoute', obj);
        this.queue.add(obj.metadata.namespace);
      }
    });
  }

  private watches(): ListWatch<KubeObject>[] {
    return [
      this.accounts,
      this.models,
      this.secrets,
      this.outputs,
      this.policies,
      this.routes,
    ] as ListWatch<KubeObject>[];
  }

  start(): void {
    for (const w of this.watches()) w.start();
    this.worker = this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.queue.shutDown();
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    if (this.usageTimer) clearInterval(this.usageTimer);
    await Promise.all(this.watches().map((w) => w.stop()));
    await this.worker?.catch(() => undefined);
    await this.options.store?.close().catch(() => undefined);
    await this.options.ejections?.close().catch(() => undefined);
  }

  private namespaces(): Set<string> {
    const out = new Set<string>();
    if (this.options.namespace) out.add(this.options.namespace);
    for (const w of [this.accounts, this.models, this.outputs, this.policies, this.routes] as ListWatch<KubeObject>[]) {
      for (const o of w.list()) if (o.metadata.namespace) out.add(o.metadata.namespace);
    }
    return out;
  }

  private async run(): Promise<void> {
    // A stop before the caches ever synced (API server unreachable, list forbidden) must not wait
    // for a sync that will not come.
    const aborted = new Promise<void>((resolve) => this.abort.signal.addEventListener('abort', () => resolve()));
    await Promise.race([
      Promise.all([
        ...[this.accounts, this.models, this.secrets, this.outputs].map((w) => (w as ListWatch<KubeObject>).synced),
        this.optionalKindListed(
          this.policies,
          RESOURCES.usagepolicies,
          ['UsagePolicy', 'UsagePolicies'],
          'usage policies',
        ),
        this.optionalKindListed(this.routes, RESOURCES.modelroutes, ['ModelRoute', 'ModelRoutes'], 'model routes'),
      ]),
      aborted,
    ]);
    if (this.abort.signal.aborted) return;
    this.synced = true;
    const tracing = this.options.tracing;
    for (const ns of this.namespaces()) {
      tracing?.trigger(ns, 'sync');
      this.queue.add(ns);
    }
    this.resyncTimer = setInterval(() => {
      for (const ns of this.namespaces()) {
        tracing?.trigger(ns, 'resync');
        this.queue.add(ns);
      }
    }, this.options.resyncMs);
    this.resyncTimer.unref();
    this.usageTimer = setInterval(() => {
      for (const [ns, policies] of this.compiledPolicies) if (policies.size > 0) this.queue.add(`${USAGE_KEY}${ns}`);
      if (this.options.ejections) {
        for (const [ns, outcomes] of this.routeOutcomes) {
          if ([...outcomes.values()].some((o) => o.compiled)) this.queue.add(`${ROUTES_KEY}${ns}`);
        }
      }
    }, this.options.usageIntervalMs);
    this.usageTimer.unref();
    for (;;) {
      const ns = await this.queue.get();
      if (ns === undefined || this.abort.signal.aborted) return;
      const span = tracing?.start(ns);
      const { metrics } = this.options;
      const began = performance.now();
      try {
        if (ns.startsWith(USAGE_KEY)) await this.refreshUsage(ns.slice(USAGE_KEY.length));
        else if (ns.startsWith(ROUTES_KEY)) await this.refreshRouteEjections(ns.slice(ROUTES_KEY.length));
        else await this.reconcile(ns, span);
        if (span) ReconcileTracing.end(span);
        this.queue.forget(ns);
        metrics.reconciles.labels('namespace', 'success').inc();
        metrics.reconcileDuration.labels('namespace').observe((performance.now() - began) / 1000);
      } catch (err) {
        if (span) ReconcileTracing.end(span, err);
        if (this.abort.signal.aborted) return;
        tracing?.trigger(ns, 'retry');
        metrics.reconciles.labels('namespace', 'error').inc();
        metrics.reconcileErrors.labels('namespace').inc();
        metrics.reconcileDuration.labels('namespace').observe((performance.now() - began) / 1000);
        const delay = this.queue.addRateLimited(ns);
        this.options.logger.warn(
          {
            namespace: ns,
            retryInMs: delay,
            error: String((err as Error)?.message ?? err),
          },
          'reconcile failed; retrying',
        );
        this.options.events.emit('error', err);
      } finally {
        this.queue.done(ns);
      }
    }
  }

  /**
   * Resolves when the cache of a kind added after the first release (UsagePolicy, ModelRoute) has listed,
   * or at once when the API server does not serve the kind (CRD not applied: `helm upgrade` never updates
   * CRDs) or the operator may not list it. The rest of the config is then published without it, and the
   * watch keeps retrying, so its objects are picked up as soon as the CRD and the rights exist.
   */
  private async optionalKindListed(
    watch: { readonly synced: Promise<void> },
    ref: ResourceRef,
    [kind, kinds]: [string, string],
    what: string,
  ): Promise<void> {
    try {
      await this.client.list(pathFor(ref, this.options.namespace), { limit: 1 }, this.abort.signal);
    } catch (err) {
      const missing = isKubeStatus(err, 404);
      if (missing || isKubeStatus(err, 403)) {
        this.options.logger.warn(
          {},
          missing
            ? `${kind} is not served (apply crds/${ref.plural}.${ref.group}.yaml); publishing without ${what}`
            : `the operator may not list ${kinds}; publishing without ${what}`,
        );
        return;
      }
    }
    await watch.synced;
  }

  private inNamespace<T extends KubeObject>(w: ListWatch<T>, ns: string): T[] {
    return w
      .list()
      .filter((o) => o.metadata.namespace === ns && !o.metadata.deletionTimestamp)
      .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  }

  /** Recompiles one namespace and publishes config, credentials and status. */
  private async reconcile(ns: string, span: Span | undefined): Promise<void> {
    const { logger, outputName } = this.options;
    const accounts = this.inNamespace(this.accounts, ns);
    const models = this.inNamespace(this.models, ns);
    const usagePolicies = this.inNamespace(this.policies, ns);
    const modelRoutes = this.inNamespace(this.routes, ns);
    const names = outputNames(outputName);
    const existing = this.outputs.get(ns, names.configMap);
    // With --all-namespaces, namespaces without any of our objects get no outputs.
    if (
      !this.options.namespace &&
      accounts.length === 0 &&
      models.length === 0 &&
      usagePolicies.length === 0 &&
      modelRoutes.length === 0 &&
      !existing
    )
      return;
    const secrets = this.inNamespace(this.secrets, ns).filter(
      (s) =>
        !(s.metadata.name === names.secret && s.metadata.labels?.['app.kubernetes.io/managed-by'] === FIELD_MANAGER),
    );

    const compiled = compileConfig({ accounts, models, secrets, usagePolicies, modelRoutes }, { namespace: ns });

    // Credential checks run on everything that compiled; credentials AWS refused then take their
    // account (and its Models) out of what is published. A check is never awaited here: the cached
    // result (or, on first sight after a restart, the one the status shows) answers at once, and a
    // finished check re-queues the namespace.
    const checks = new Map<string, CredentialCheck>();
    if (this.options.checker) {
      for (const account of compiled.config.accounts) {
        const shown = accounts
          .find((a) => a.metadata.name === account.name)
          ?.status?.conditions?.find((c) => c.type === 'CredentialsReady');
        const check = this.options.checker.current(
          account as CompiledAccount,
          compiled.credentials.accounts[account.name],
          () => {
            this.options.tracing?.trigger(ns, 'credential-check');
            this.queue.add(ns);
          },
          // Only a finished check's answer stands in for the recheck.
          shown && CHECK_RESULT_REASONS.has(shown.reason)
            ? { status: shown.status, reason: shown.reason, message: shown.message }
            : undefined,
        );
        if (check) checks.set(account.name, check);
      }
    }
    const result = withdrawRefusedAccounts(compiled, checks, models, modelRoutes);
    const revision = result.config.revision;
    span?.setAttributes({
      'aigw.config.revision': revision,
      'aigw.reconcile.models': result.config.models.length,
      'aigw.reconcile.problems': result.problems.length,
    });
    // Key problems are decided before publishing, because the set already reported is kept on the
    // published ConfigMap (so a restart or a new leader does not report them again).
    const keyProblems = await this.reportKeyProblems(ns, secrets, result.problems, existing);

    // Publish: server-side apply is a no-op when nothing changed, so restarts rewrite nothing.
    const owner = await this.gatewayOwner(ns);
    const { configMap, secret } = buildOutputs({
      namespace: ns,
      outputName,
      config: result.config,
      credentials: result.credentials,
      owner,
      reportedKeyProblems: keyProblems,
    });
    const previousRevision = existing?.metadata.annotations?.[REVISION_ANNOTATION];
    // Credentials first: a gateway that sees the new config before its credentials waits for the
    // revisions to agree rather than loading a mismatched pair.
    await this.client.apply(pathFor(RESOURCES.secrets, ns, names.secret), secret, {
      fieldManager: FIELD_MANAGER,
      signal: this.abort.signal,
    });
    await this.client.apply(pathFor(RESOURCES.configmaps, ns, names.configMap), configMap, {
      fieldManager: FIELD_MANAGER,
      signal: this.abort.signal,
    });
    if (previousRevision !== revision) {
      logger.info(
        {
          namespace: ns,
          revision,
          models: result.config.models.length,
          problems: result.problems.length,
        },
        'published config',
      );
    }
    // Level-triggered: any gateway pod not yet annotated with this revision is nudged, also after an
    // operator restart that happened between publishing and nudging.
    await this.nudgeGateways(ns, revision);

    // Status.
    const statuses = computeStatuses({ accounts, models, result, checks, now: new Date().toISOString() });
    for (const account of accounts) {
      const status = statuses.accounts.get(account.metadata.name);
      if (status) await this.writeStatus(RESOURCES.provideraccounts, account, status);
    }
    for (const model of models) {
      const status = statuses.models.get(model.metadata.name);
      if (status) await this.writeStatus(RESOURCES.models, model, status);
    }
    await this.writePolicyReadiness(ns, usagePolicies, result.config.usagePolicies ?? [], result.problems);
    await this.writeRouteStatuses(ns, modelRoutes, result.config.routes ?? [], result.config.models, result.problems);
    this.options.events.emit('reconciled', {
      namespace: ns,
      revision,
      models: result.config.models.length,
    } satisfies ReconciledEvent);
  }

  /** `Ready` of every UsagePolicy after a compile; a policy not refreshed yet gets its use at once. */
  private async writePolicyReadiness(
    ns: string,
    policies: PolicyObject[],
    compiled: readonly CompiledUsagePolicy[],
    problems: readonly CompileProblem[],
  ): Promise<void> {
    const byName = new Map(compiled.map((p) => [p.name, p]));
    this.compiledPolicies.set(ns, byName);
    let unread = false;
    for (const policy of policies) {
      const name = policy.metadata.name;
      const ready = readyCondition(
        byName.get(name),
        problems.filter((p) => p.kind === 'UsagePolicy' && p.name === name),
        (policy.metadata as { generation?: number }).generation,
      );
      await this.writePolicyStatus(policy, { ready });
      // A policy never refreshed (new, or just became valid) shows its use now, not one interval later.
      const refreshed = this.currentPolicyStatus(policy).conditions?.some((c) => c.type === 'Exceeded');
      if (byName.has(name) && !refreshed) unread = true;
    }
    if (unread) this.queue.add(`${USAGE_KEY}${ns}`);
  }

  private currentPolicyStatus(policy: PolicyObject): PolicyStatus {
    return this.policyStatus.get(policy.metadata.uid ?? '') ?? ((policy.status ?? {}) as PolicyStatus);
  }

  /**
   * Writes a UsagePolicy's status from its current one and what changed: `Ready` (after a compile),
   * or use, `Exceeded` and the budget crossings already reported (after a refresh).
   */
  private async writePolicyStatus(
    policy: PolicyObject,
    change: {
      ready?: PendingCondition;
      exceeded?: PendingCondition;
      usage?: PolicyStatus['usage'];
      lastUpdated?: string;
      reportedCrossings?: string[];
    },
  ): Promise<void> {
    const current = this.currentPolicyStatus(policy);
    const previous = current.conditions ?? [];
    const keep = (type: string) => previous.find((c) => c.type === type);
    const ready = change.ready ?? keep('Ready');
    const exceeded = change.exceeded ?? keep('Exceeded');
    const pending = [ready, exceeded].filter((c): c is PendingCondition => c !== undefined);
    const next: PolicyStatus = {
      observedGeneration: (policy.metadata as { generation?: number }).generation,
      conditions: mergeConditions(previous, pending, new Date().toISOString()),
    };
    const usage = change.usage ?? current.usage;
    if (usage) next.usage = usage;
    const lastUpdated = change.lastUpdated ?? current.lastUpdated;
    if (lastUpdated) next.lastUpdated = lastUpdated;
    const crossings = change.reportedCrossings ?? current.reportedCrossings;
    if (crossings && crossings.length > 0) next.reportedCrossings = crossings;
    if (sameStatus(current, next)) return;
    try {
      // A merge patch replaces lists whole; absent fields are cleared with null.
      await this.client.mergePatch(
        pathFor(RESOURCES.usagepolicies, policy.metadata.namespace, policy.metadata.name, 'status'),
        { status: { usage: null, lastUpdated: null, reportedCrossings: null, ...next } },
        this.abort.signal,
      );
    } catch (err) {
      if (isKubeStatus(err, 404)) return; // deleted meanwhile
      throw err;
    }
    if (policy.metadata.uid) this.policyStatus.set(policy.metadata.uid, next);
    // Ready transitions are Events like the other kinds'; Exceeded flips with every minute window and
    // would flood them (the budget crossings have Events of their own).
    await this.recordTransitions(
      policy,
      previous.filter((c) => c.type === 'Ready'),
      next.conditions?.filter((c) => c.type === 'Ready') ?? [],
    );
  }

  /** Reads each enforced UsagePolicy's use from the shared store into its status; Events on budget crossings. */
  private async refreshUsage(ns: string): Promise<void> {
    const compiled = this.compiledPolicies.get(ns);
    if (!compiled) return;
    const store = this.options.store;
    for (const policy of this.inNamespace(this.policies, ns)) {
      const enforced = compiled.get(policy.metadata.name);
      if (!enforced || this.abort.signal.aborted) continue;
      if (!store) {
        await this.writePolicyStatus(policy, {
          exceeded: {
            type: 'Exceeded',
            status: 'Unknown',
            reason: USAGE_REASONS.noSharedStore,
            message:
              'no shared store is configured (limits.redis in the chart, AIGW_REDIS_URL): each gateway replica counts alone and the operator cannot read use',
          },
        });
        continue;
      }
      const now = Date.now();
      let usage: NonNullable<PolicyStatus['usage']>;
      try {
        usage = await readPolicyUsage(store, enforced, now);
      } catch (err) {
        this.options.logger.warn(
          { namespace: ns, usagePolicy: policy.metadata.name, error: String((err as Error)?.message ?? err) },
          'cannot read use from the usage store',
        );
        await this.writePolicyStatus(policy, {
          exceeded: {
            type: 'Exceeded',
            status: 'Unknown',
            reason: USAGE_REASONS.storeUnavailable,
            message: 'the usage store cannot be reached; usage shows the last reading',
          },
        });
        continue;
      }
      const current = this.currentPolicyStatus(policy);
      const crossings = budgetCrossings(usage, current.reportedCrossings ?? []);
      // Recorded before the Events, so a crash in between loses an Event rather than repeating one.
      await this.writePolicyStatus(policy, {
        usage,
        lastUpdated: new Date(now).toISOString(),
        exceeded: exceededCondition(usage),
        reportedCrossings: crossings.keep,
      });
      for (const c of crossings.report) {
        const { reason, note } = crossingEvent(policy.metadata.name, c);
        this.options.logger.warn(
          { namespace: ns, usagePolicy: policy.metadata.name, limit: c.limit, threshold: c.threshold },
          note,
        );
        await this.recordEvent(
          { ...policy, apiVersion: 'aigateway.dev/v1alpha1', kind: 'UsagePolicy' },
          'Warning',
          reason,
          note,
        );
      }
    }
  }

  /** Status of every ModelRoute after a compile; routes not read from the store yet get their ejections at once. */
  private async writeRouteStatuses(
    ns: string,
    routes: RouteObject[],
    compiled: readonly CompiledModelRoute[],
    models: readonly CompiledModel[],
    problems: readonly CompileProblem[],
  ): Promise<void> {
    const byName = new Map(compiled.map((r) => [r.name, r]));
    const modelsByName = new Map(models.map((m) => [m.name, m]));
    const outcomes = new Map<string, RouteOutcome>();
    let unread = false;
    for (const route of routes) {
      const name = route.metadata.name;
      const outcome: RouteOutcome = {
        compiled: byName.get(name),
        problems: problems.filter((p) => p.kind === 'ModelRoute' && p.name === name),
        models: modelsByName,
      };
      outcomes.set(name, outcome);
      await this.writeRouteStatus(route, outcome);
      if (outcome.compiled && this.options.ejections && !this.routeEjections.has(route.metadata.uid ?? '')) {
        unread = true;
      }
    }
    this.routeOutcomes.set(ns, outcomes);
    if (unread) this.queue.add(`${ROUTES_KEY}${ns}`);
  }

  /** Reads which targets of each served route gateways ejected, and writes the routes' status. */
  private async refreshRouteEjections(ns: string): Promise<void> {
    const reader = this.options.ejections;
    const outcomes = this.routeOutcomes.get(ns);
    if (!reader || !outcomes) return;
    for (const route of this.inNamespace(this.routes, ns)) {
      const outcome = outcomes.get(route.metadata.name);
      if (!outcome?.compiled || this.abort.signal.aborted) continue;
      try {
        const ejections = await reader.read(ns, route.metadata.name);
        if (route.metadata.uid) this.routeEjections.set(route.metadata.uid, ejections);
      } catch (err) {
        // The last reading stays in status; the next interval tries again.
        this.options.logger.warn(
          { namespace: ns, modelRoute: route.metadata.name, error: String((err as Error)?.message ?? err) },
          'cannot read route ejections from the shared store',
        );
        return;
      }
      await this.writeRouteStatus(route, outcome);
    }
  }

  private async writeRouteStatus(route: RouteObject, outcome: RouteOutcome): Promise<void> {
    const uid = route.metadata.uid ?? '';
    const current = this.routeStatus.get(uid) ?? route.status ?? {};
    // Until this process has read the store (a restart, a new leader), the ejections status shows stand,
    // so taking over rewrites nothing.
    const ejections = this.options.ejections ? (this.routeEjections.get(uid) ?? shownEjections(current)) : undefined;
    const computed: RouteStatus = computeRouteStatus({
      route,
      compiled: outcome.compiled,
      problems: outcome.problems,
      models: outcome.models,
      ejections,
      now: Date.now(),
    });
    const previous = current.conditions ?? [];
    const next: RouteStatusWritten = {
      ...computed,
      conditions: mergeConditions(previous, computed.conditions, new Date().toISOString()),
    };
    if (sameStatus(current, next)) return;
    try {
      // A merge patch replaces lists whole; fields that no longer apply are cleared with null.
      await this.client.mergePatch(
        pathFor(RESOURCES.modelroutes, route.metadata.namespace, route.metadata.name, 'status'),
        { status: { type: null, ejectedTargets: null, ...next } },
        this.abort.signal,
      );
    } catch (err) {
      if (isKubeStatus(err, 404)) return; // deleted meanwhile
      throw err;
    }
    if (uid) this.routeStatus.set(uid, next);
    // Ready transitions only: its reason already names a refusal (TypeMismatch, InvalidSpec, ...), so an
    // Accepted Event beside it would say the same thing twice.
    await this.recordTransitions(
      { ...route, apiVersion: 'aigateway.dev/v1alpha1', kind: 'ModelRoute' },
      previous.filter((c) => c.type === 'Ready'),
      next.conditions?.filter((c) => c.type === 'Ready') ?? [],
    );
  }

  private async gatewayOwner(ns: string): Promise<OwnerReference | undefined> {
    try {
      const deployment = await this.client.find<KubeObject>(
        pathFor(RESOURCES.deployments, ns, `${this.options.outputName}-gateway`),
        this.abort.signal,
      );
      if (!deployment?.metadata.uid) return undefined;
      // Not a controller reference: the outputs are the operator's, the Deployment only scopes their lifetime.
      return {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: deployment.metadata.name,
        uid: deployment.metadata.uid,
      };
    } catch (err) {
      if (isKubeStatus(err, 403)) return undefined;
      throw err;
    }
  }

  /** Annotates gateway pods with the new revision: any pod update makes kubelet resync its volumes now. */
  private async nudgeGateways(ns: string, revision: string): Promise<void> {
    let pods: KubeObject[];
    try {
      pods = (
        await this.client.list<KubeObject>(
          pathFor(RESOURCES.pods, ns),
          { labelSelector: `${GATEWAY_LABEL}=${this.options.outputName}` },
          this.abort.signal,
        )
      ).items;
    } catch (err) {
      if (isKubeStatus(err, 403)) return;
      throw err;
    }
    for (const pod of pods) {
      if (pod.metadata.annotations?.[REVISION_ANNOTATION] === revision || pod.metadata.deletionTimestamp) continue;
      try {
        await this.client.mergePatch(pathFor(RESOURCES.pods, ns, pod.metadata.name), {
          metadata: { annotations: { [REVISION_ANNOTATION]: revision } },
        });
      } catch (err) {
        if (!isKubeStatus(err, 404))
          this.options.logger.warn(
            {
              namespace: ns,
              pod: pod.metadata.name,
              error: String(err),
            },
            'could not annotate gateway pod',
          );
      }
    }
  }

  private async writeStatus(
    ref: ResourceRef,
    object: (ProviderAccount | Model) & KubeObject,
    status: { conditions: Condition[] },
  ): Promise<void> {
    if (sameStatus(object.status ?? {}, status)) return;
    try {
      await this.client.mergePatch(
        pathFor(ref, object.metadata.namespace, object.metadata.name, 'status'),
        { status },
        this.abort.signal,
      );
    } catch (err) {
      if (isKubeStatus(err, 404)) return; // deleted meanwhile
      throw err;
    }
    await this.recordTransitions(object, object.status?.conditions ?? [], status.conditions);
  }

  /**
   * api-key Secrets have no status, and a refused one only shows as a caller's 401: each new problem
   * (per Secret version) becomes a Warning Event on the Secret and a log line naming it. The problem
   * messages never contain the token. "New" means not reported by this process and not listed on
   * the published ConfigMap (`existing`), so neither a restart nor a new leader repeats an Event.
   * Returns the ids of the problems that stand now, to be published with the config.
   */
  private async reportKeyProblems(
    ns: string,
    secrets: KubeObject[],
    problems: CompileProblem[],
    existing: KubeObject | undefined,
  ): Promise<string[]> {
    const before = new Set([
      ...(this.reportedKeyProblems.get(ns) ?? []),
      ...parseKeyProblems(existing?.metadata.annotations?.[KEY_PROBLEMS_ANNOTATION]),
    ]);
    const now = new Set<string>();
    for (const p of problems) {
      if (p.kind !== 'Secret') continue;
      const secret = secrets.find((s) => s.metadata.name === p.name);
      if (!secret || (secret as KubeObject & { type?: string }).type !== API_KEY_SECRET_TYPE) continue;
      const id = keyProblemId(p.name, secret.metadata.resourceVersion ?? '', p.path, p.message);
      now.add(id);
      if (before.has(id)) continue;
      this.options.logger.warn(
        { namespace: ns, secretName: p.name, field: p.path, problem: p.message },
        'api-key Secret not served',
      );
      // Listed core objects carry no apiVersion/kind.
      await this.recordEvent(
        { ...secret, apiVersion: 'v1', kind: 'Secret' },
        'Warning',
        'InvalidApiKey',
        `${p.path}: ${p.message}; this key is not served`,
      );
    }
    this.reportedKeyProblems.set(ns, now);
    return [...now].sort();
  }

  /** One Kubernetes Event per condition whose status or reason changed. */
  private async recordTransitions(object: KubeObject, before: Condition[], after: Condition[]): Promise<void> {
    for (const c of after) {
      const old = before.find((b) => b.type === c.type);
      if (old && old.status === c.status && old.reason === c.reason) continue;
      await this.recordEvent(
        object,
        c.status === 'False' ? 'Warning' : 'Normal',
        c.type === 'Ready' ? c.reason : `${c.type}${c.reason}`,
        `${c.type}=${c.status}: ${c.message}`,
      );
    }
  }

  /** Creates one `events.k8s.io/v1` Event regarding `object`; best effort (status says the same). */
  private async recordEvent(
    object: KubeObject,
    type: 'Normal' | 'Warning',
    reason: string,
    note: string,
  ): Promise<void> {
    const now = new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    try {
      await this.client.create(pathFor(RESOURCES.events, object.metadata.namespace), {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        // Named like kubectl's events (`<object>.<unique hex>`); generateName ending in `.` is rejected.
        metadata: { name: `${object.metadata.name}.${eventSuffix()}`, namespace: object.metadata.namespace },
        eventTime: now,
        reportingController: 'aigateway.dev/operator',
        reportingInstance: this.options.identity,
        action: 'Reconcile',
        type,
        reason,
        note: note.slice(0, 1024),
        regarding: {
          apiVersion: object.apiVersion,
          kind: object.kind,
          name: object.metadata.name,
          namespace: object.metadata.namespace,
          uid: object.metadata.uid,
          resourceVersion: object.metadata.resourceVersion,
        },
      });
    } catch (err) {
      this.options.logger.warn({ error: String((err as Error)?.message ?? err) }, 'could not record event');
    }
  }
}
