/**
 * A running gateway: config store + watcher, the OpenAI API server, the admin server, and graceful
 * shutdown (readiness fails first, the listener stops, in-flight requests and streams drain within the
 * grace period, then the rest closes). Used by `aigw serve` and by the end-to-end tests in-process.
 */
import type { AddressInfo } from 'node:net';
import type { Tracer } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { type AdminServer, formatHost, startAdminServer } from '../admin/index.js';
import { BatchControlPlane, type BatchOptions, BatchService, resolveBatchOptions } from '../batches/index.js';
import {
  type AccountCredentials,
  type CompiledAccount,
  type ConfigSource,
  ConfigStore,
  routeEjectionKey,
} from '../config/index.js';
import { MediaFetcher } from '../fetch/index.js';
import { type FilesOptions, resolveFilesOptions, virtualFileId } from '../files/index.js';
import { createUsageStore, LIMITS_DEFAULTS, RedisUsageStore, UsageLimiter } from '../limits/index.js';
import { createLogger } from '../logging/index.js';
import { RedisEjectionSink, Router, type RoutingOptions } from '../routing/index.js';
import { AccountStorage, type StorageOptions } from '../storage/index.js';
import {
  GatewayMetrics,
  type GenAiMirror,
  RouteMetrics,
  UsageLimitMetrics,
  type UsageRecord,
} from '../telemetry/index.js';
import {
  BedrockUpstream,
  type BedrockUpstreamOptions,
  UPSTREAM_DEFAULTS,
  type UpstreamAttemptObserver,
} from '../upstream/index.js';
import { type ImageWorkOptions, ImageWorkPool } from '../workers/index.js';
import { ActivityTracker } from './activity.js';
import { buildGatewayApp } from './app.js';
import type { GatewayUpstream, IdentityReviewer, ServerContext } from './context.js';
import { SERVER_DEFAULTS, type ServerOptions } from './options.js';

export interface GatewayOptions {
  source: ConfigSource;
  /** API listen address; default 127.0.0.1 (the CLI defaults to 0.0.0.0). */
  host?: string;
  /** API port; default 8080; 0 picks a free port. */
  port?: number;
  /** Admin listen address; default `host`. */
  adminHost?: string;
  /** Admin port; default 9090; 0 picks a free port; null disables the admin server. */
  adminPort?: number | null;
  logger?: Logger;
  /** Upstream client; default a BedrockUpstream built from `upstreamOptions`. */
  upstream?: GatewayUpstream;
  upstreamOptions?: BedrockUpstreamOptions;
  /** Media fetcher for image URLs in chat; default a MediaFetcher with its defaults; null disables fetching. */
  mediaFetcher?: MediaFetcher | null;
  server?: Partial<ServerOptions>;
  /** The image worker pool (threads, queue, pixel cap, ...); defaults in `IMAGE_WORK_DEFAULTS`. */
  imageWork?: Partial<ImageWorkOptions>;
  /** Config watch timings; false disables watching (tests that reload by hand). */
  watch?: { pollIntervalMs?: number; debounceMs?: number } | false;
  /** Require a config at start (standalone); when false the gateway starts unready and waits for one (cluster). */
  requireConfig?: boolean;
  /** Verifies in-cluster callers' service-account tokens (TokenReview); absent = API keys only. */
  identityReviewer?: IdentityReviewer;
  /** OpenTelemetry tracer for request and upstream spans; absent = tracing off. */
  tracer?: Tracer;
  /** Record prompt and completion text on GenAI spans; default false. */
  captureContent?: boolean;
  /** Register process-level default metrics (CPU, memory, event loop); default false. */
  processMetrics?: boolean;
  /** Also record the GenAI metrics here (OTLP); absent = Prometheus only. */
  genAiMirror?: GenAiMirror;
  /** Also send every usage record here (OTLP logs); absent = stdout only. */
  usageRecords?: (record: UsageRecord) => void;
  /** Files API limits (FILES_DEFAULTS). */
  files?: Partial<FilesOptions>;
  /** S3 storage layer options (STORAGE_DEFAULTS). */
  storage?: Partial<StorageOptions>;
  /** UsagePolicy enforcement: the shared store (Redis URL) and a clock offset for tests. */
  limits?: {
    redisUrl?: string | undefined;
    redisPassword?: string | undefined;
    /** PEM CA of a `rediss://` store (AIGW_REDIS_CA_FILE). */
    redisCa?: string | undefined;
    /** Store command timeout, ms (LIMITS_DEFAULTS.storeTimeoutMs). */
    storeTimeoutMs?: number | undefined;
    /** Reserve one request ahead while counters are at most half used (AIGW_LIMITS_RESERVE_AHEAD; default on). */
    reserveAhead?: boolean | undefined;
    clockOffsetMs?: number | undefined;
  };
  /** Batch API options (BATCH_DEFAULTS). */
  batches?: Partial<BatchOptions>;
  /** ModelRoute routing options (ROUTING_DEFAULTS). */
  routing?: Partial<RoutingOptions>;
}

export interface RunningGateway {
  readonly url: string;
  readonly port: number;
  readonly admin: AdminServer | undefined;
  readonly store: ConfigStore;
  readonly metrics: GatewayMetrics;
  readonly app: FastifyInstance;
  readonly draining: boolean;
  /** Graceful shutdown; resolves when everything is closed. Idempotent. */
  shutdown(options?: { graceMs?: number; delayMs?: number }): Promise<void>;
  /** Immediate shutdown (open streams are cut). */
  close(): Promise<void>;
}

/** `startGateway` needed a config and the source's was rejected; `problems` has one line per problem. */
export class ConfigStartError extends Error {
  readonly source: string;
  readonly problems: readonly string[];
  constructor(source: string, problems: readonly string[], summary: string) {
    super(`config rejected: ${summary}`);
    this.name = 'ConfigStartError';
    this.source = source;
    this.problems = problems;
  }
}

/** Loads the config, starts the API and admin servers and the config watcher. */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const logger = options.logger ?? createLogger({ level: process.env.AIGW_LOG_LEVEL ?? 'info' });
  const serverOptions: ServerOptions = { ...SERVER_DEFAULTS, ...stripUndefined(options.server ?? {}) };
  const metrics = new GatewayMetrics({
    defaultMetrics: options.processMetrics ?? false,
    ...(options.genAiMirror ? { genAiMirror: options.genAiMirror } : {}),
  });
  const watch = options.watch === false ? undefined : options.watch;
  const store = new ConfigStore({
    source: options.source,
    logger,
    ...(watch?.pollIntervalMs !== undefined ? { pollIntervalMs: watch.pollIntervalMs } : {}),
    ...(watch?.debounceMs !== undefined ? { debounceMs: watch.debounceMs } : {}),
  });
  const upstream =
    options.upstream ??
    new BedrockUpstream({
      ...options.upstreamOptions,
      onAttempt: combineObservers(metrics.upstreamObserver(), options.upstreamOptions?.onAttempt),
    });
  // ModelRoute health is per process and survives reloads; ejections also go to the shared store when
  // there is one (the operator reports them in the route's status).
  const router = new Router({
    ...options.routing,
    metrics: new RouteMetrics(metrics.registry),
    logger,
    deadlineMs: upstream instanceof BedrockUpstream ? upstream.options.deadlineMs : UPSTREAM_DEFAULTS.deadlineMs,
    sink: options.limits?.redisUrl
      ? new RedisEjectionSink({
          url: options.limits.redisUrl,
          password: options.limits.redisPassword,
          ca: options.limits.redisCa,
          commandTimeoutMs: options.limits.storeTimeoutMs ?? LIMITS_DEFAULTS.storeTimeoutMs,
          onError: (err) => logger.debug({ err: err.message }, 'route ejection store unavailable'),
        })
      : undefined,
    sinkKey: routeEjectionKey,
  });
  // S3 shares the Bedrock client's per-account credentials (one STS session per account).
  const storage = new AccountStorage({
    ...(upstream instanceof BedrockUpstream ? { authFor: (a, c) => upstream.authFor(a, c) } : {}),
    ...(options.storage ? { storage: options.storage } : {}),
  });
  const batchOptions = resolveBatchOptions(options.batches);
  const controlPlane = new BatchControlPlane(
    {
      authFor:
        upstream instanceof BedrockUpstream
          ? (a: CompiledAccount, c: AccountCredentials | undefined) => upstream.authFor(a, c)
          : undefined,
    },
    batchOptions,
  );
  const batches = new BatchService(
    {
      controlPlane,
      storage,
      metrics,
      options: batchOptions,
      snapshot: () => store.current,
      warn: (message, err) => logger.warn({ err: err instanceof Error ? err.message : String(err) }, message),
    },
    virtualFileId,
  );
  store.onReload((outcome) => {
    metrics.configReloads.labels(outcome.result).inc();
    if (outcome.result !== 'loaded') return;
    metrics.setRevision(outcome.revision);
    // Stop background credential refreshes of accounts that left the config.
    const snapshot = store.current;
    if (snapshot && upstream instanceof BedrockUpstream) upstream.retainAuth(snapshot.models.values());
    if (snapshot) router.balancer.retain([...snapshot.routes.values()].map((r) => r.route.name));
    // Close S3 clients of accounts that left the config (or whose settings changed).
    if (snapshot) {
      const live = [...snapshot.accounts.values()].map((account) => ({
        account,
        credentials: snapshot.credentials.accounts[account.name],
      }));
      storage.retain(live);
      // Likewise the Bedrock control-plane clients of the Batch API.
      controlPlane.retain(live);
    }
  });

  const requireConfig = options.requireConfig ?? true;
  // A config the start depends on is reported by the thrown error alone, not logged as well.
  const first = await store.reload({ logRejection: !requireConfig });
  if (first.result === 'rejected' && requireConfig) {
    storage.close();
    controlPlane.close();
    await upstream.close();
    await router.close();
    throw new ConfigStartError(options.source.description, first.problems, first.error);
  }
  if (options.watch !== false) store.watch();

  const mediaFetcher = options.mediaFetcher === null ? undefined : (options.mediaFetcher ?? new MediaFetcher());
  const activity = new ActivityTracker();
  const imageWork = new ImageWorkPool(options.imageWork, {
    pending: (jobs) => metrics.imageJobsPending.set(jobs),
    outcome: (outcome) => metrics.imageJobs.labels(outcome).inc(),
  });
  const usageStore = createUsageStore({
    redisUrl: options.limits?.redisUrl,
    redisPassword: options.limits?.redisPassword,
    redisCa: options.limits?.redisCa,
    ...(options.limits?.storeTimeoutMs !== undefined ? { commandTimeoutMs: options.limits.storeTimeoutMs } : {}),
  });
  // Serving before the store is connected would send the first requests down the failureMode path.
  if (usageStore instanceof RedisUsageStore && !(await usageStore.ready(LIMITS_DEFAULTS.storeConnectWaitMs))) {
    logger.warn({ store: 'redis' }, 'usage store not reachable yet; policies follow their failureMode until it is');
  }
  const offset = options.limits?.clockOffsetMs ?? 0;
  const limiter = new UsageLimiter({
    store: usageStore,
    metrics: new UsageLimitMetrics(metrics.registry),
    logger,
    ...(offset !== 0 ? { now: () => Date.now() + offset } : {}),
    ...(options.limits?.reserveAhead === false ? { ahead: false } : {}),
  });
  logger.info(
    usageStore.kind === 'redis'
      ? { store: 'redis' }
      : { store: 'memory', note: 'usage limits are counted in this process only: exact for one replica' },
    'usage limit store',
  );
  const ctx: ServerContext = {
    store,
    limiter,
    upstream,
    router,
    metrics,
    options: serverOptions,
    logger,
    mediaFetcher,
    activity,
    imageWork,
    identityReviewer: options.identityReviewer,
    usageRecords: options.usageRecords,
    tracer: options.tracer,
    captureContent: options.captureContent,
    storage,
    batches,
    files: resolveFilesOptions(options.files),
  };
  const app = await buildGatewayApp(ctx);
  const host = options.host ?? '127.0.0.1';
  try {
    await app.listen({ host, port: options.port ?? 8080 });
  } catch (err) {
    store.close();
    await limiter.close();
    await usageStore.close();
    storage.close();
    controlPlane.close();
    await upstream.close();
    await router.close();
    await imageWork.close();
    throw err;
  }
  const port = (app.server.address() as AddressInfo).port;

  let draining = false;
  let admin: AdminServer | undefined;
  if (options.adminPort !== null) {
    admin = await startAdminServer({
      host: options.adminHost ?? host,
      port: options.adminPort ?? 9090,
      registry: metrics.registry,
      notReadyReason: () => {
        if (draining) return 'shutting down';
        if (!store.current) return 'no config loaded yet';
        return undefined;
      },
      readyInfo: () => ({ revision: store.current?.revision ?? null }),
    }).catch(async (err: unknown) => {
      // e.g. the admin port is taken: do not leave the API listener and watcher running.
      await app.close();
      store.close();
      await limiter.close();
      await usageStore.close();
      storage.close();
      controlPlane.close();
      await upstream.close();
      await router.close();
      await imageWork.close();
      throw err;
    });
  }
  logger.info(
    { url: `http://${formatHost(host)}:${port}`, admin: admin?.url ?? null, revision: store.current?.revision ?? null },
    'gateway listening',
  );

  let closing: Promise<void> | undefined;
  const finish = async () => {
    store.close();
    await limiter.close();
    await usageStore.close();
    storage.close();
    controlPlane.close();
    await upstream.close();
    await router.close();
    await imageWork.close();
    await admin?.close();
  };
  const gateway: RunningGateway = {
    url: `http://${formatHost(host)}:${port}`,
    port,
    admin,
    store,
    metrics,
    app,
    get draining() {
      return draining;
    },
    shutdown(opts = {}) {
      closing ??= (async () => {
        draining = true;
        activity.draining = true;
        const delayMs = opts.delayMs ?? serverOptions.shutdownDelayMs;
        const graceMs = opts.graceMs ?? serverOptions.shutdownGraceMs;
        logger.info({ inflight: activity.active, delayMs, graceMs }, 'shutting down: readiness failing, draining');
        if (delayMs > 0) await sleep(delayMs);
        const closed = app.close();
        const drained = await Promise.race([activity.idle().then(() => true), sleep(graceMs).then(() => false)]);
        if (!drained) {
          logger.warn({ inflight: activity.active }, 'grace period over: closing remaining connections');
          // Open streams write their final error event; give them a moment before the sockets go.
          activity.endGrace();
          await Promise.race([activity.idle(), sleep(STREAM_CUT_FLUSH_MS)]);
        }
        // Idle keep-alive connections (and, past the grace period, unfinished ones) would hold close() open.
        app.server.closeAllConnections();
        await closed;
        await finish();
        logger.info({}, 'gateway stopped');
      })();
      return closing;
    },
    close() {
      closing ??= (async () => {
        draining = true;
        const closed = app.close();
        app.server.closeAllConnections();
        await closed;
        await finish();
      })();
      return closing;
    },
  };
  return gateway;
}

/** Both observers see every attempt; headers either adds are sent. */
function combineObservers(
  first: UpstreamAttemptObserver,
  second: UpstreamAttemptObserver | undefined,
): UpstreamAttemptObserver {
  if (!second) return first;
  return (start) => {
    const a = first(start);
    const b = second(start);
    if (!a || !b) return a ?? b;
    return {
      ...(a.headers || b.headers ? { headers: { ...a.headers, ...b.headers } } : {}),
      end: (result) => {
        a.end(result);
        b.end(result);
      },
    };
  };
}

/** How long streams cut at the end of the grace period get to write their error event. */
const STREAM_CUT_FLUSH_MS = 500;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
